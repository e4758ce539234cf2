"""Batch planning on real files: what is read, where it goes, what is refused, what is done."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.batch import DoneRecord, RunSettings, check_output, plan_jobs, sweep_leftovers
from explorer.engine.output import temporary_path
from explorer.errors import ExplorerError

SETTINGS = RunSettings(model="@upscalerjs/pixel-upsampler/x2", model_identity="pinned", scale=2, format="png")


def _picture(path: Path, seed: int, size: tuple[int, int] = (12, 8)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _write(record: DoneRecord, job, seed: int = 99) -> None:
    record.save(job, np.random.default_rng(seed).integers(0, 256, (16, 24, 3), dtype=np.uint8))


def test_an_existing_file_the_tool_did_not_write_is_refused_unless_overwrite(tmp_path):
    icon, logo = _picture(tmp_path / "icon.png", 1), _picture(tmp_path / "logo.png", 2)
    _picture(tmp_path / "logo@2x.png", 3)  # the user's own retina picture
    plan = plan_jobs([str(icon), str(logo)], None, DoneRecord(SETTINGS))
    assert [job.source for job in plan.todo] == [icon] and plan.todo[0].target == tmp_path / "icon@2x.png"
    assert [job.source for job in plan.refused] == [logo]
    assert plan.refused[0].reason == (f"{tmp_path / 'logo@2x.png'} exists and this tool did not write it from this "
                                      "input: move it, choose another -o, or add --overwrite")  # fmt: skip
    assert len(plan_jobs([str(icon), str(logo)], None, DoneRecord(SETTINGS), overwrite=True).todo) == 2


def test_a_users_retina_file_in_a_folder_is_an_input_never_an_output(tmp_path):
    _picture(tmp_path / "logo.png", 1)
    retina = _picture(tmp_path / "logo@2x.png", 2)
    for overwrite in (False, True):
        plan = plan_jobs([str(tmp_path)], None, DoneRecord(SETTINGS), overwrite=overwrite)
        assert [(job.source, job.target) for job in plan.todo] == [(retina, tmp_path / "logo@2x@2x.png")]
        assert [job.source.name for job in plan.refused] == ["logo.png"] and "would replace the input" in plan.refused[0].reason


def test_an_output_that_is_an_input_is_refused_even_with_overwrite(tmp_path):
    _picture(tmp_path / "b.jpg", 1)
    _picture(tmp_path / "b@2x.jpg", 2)
    record = DoneRecord(RunSettings("m", "pinned", 2, "jpeg"))
    plan = plan_jobs([str(tmp_path)], str(tmp_path), record, overwrite=True)
    refused = {job.source.name: job.reason for job in plan.refused}
    assert refused == {"b.jpg": f"its result {tmp_path / 'b@2x.jpg'} would replace the input {tmp_path / 'b@2x.jpg'}: "
                                "choose another -o"}  # fmt: skip


@pytest.mark.parametrize("name", ["photo.png", "link.png"])
def test_an_output_file_that_is_the_input_is_refused_before_anything_runs(tmp_path, name):
    photo = _picture(tmp_path / "photo.png", 1)
    (tmp_path / "link.png").symlink_to(photo)
    with pytest.raises(ExplorerError, match="is the input itself"):
        check_output([str(photo)], str(tmp_path / name), None)


@pytest.mark.parametrize(
    ("output", "message"),
    [("one.png", "names one file, but the inputs are several files or a folder"),
     ("notes", "is an existing file, not a folder"), ("notes.txt", "is an existing file, not a folder"),
     ("notes/out", "Cannot write the output into")],
)  # fmt: skip
def test_output_mistakes_for_a_folder_are_refused(tmp_path, output, message):
    _picture(tmp_path / "in" / "a.png", 1)
    _picture(tmp_path / "in" / "b.png", 2)
    (tmp_path / "notes").write_text("a file")
    (tmp_path / "notes.txt").write_text("a file")
    with pytest.raises(ExplorerError, match=message):
        check_output([str(tmp_path / "in")], str(tmp_path / output), None)


def test_a_rerun_skips_what_is_done_and_never_takes_its_outputs_as_inputs(tmp_path):
    sources = [_picture(tmp_path / name, seed) for seed, name in enumerate(["a.png", "b.png"])]
    first = plan_jobs([str(tmp_path)], None, DoneRecord(SETTINGS))
    record = DoneRecord(SETTINGS)
    for job in first.todo:
        _write(record, job)
    again = plan_jobs([str(tmp_path)], None, DoneRecord(SETTINGS))
    assert [job.source for job in again.done] == sources and again.todo == [] and again.refused == []
    assert again.own_outputs == (tmp_path / "a@2x.png", tmp_path / "b@2x.png")
    listed = plan_jobs([str(p) for p in sorted(tmp_path.glob("*.png"))], None, DoneRecord(SETTINGS))  # a shell's glob
    assert [job.source for job in listed.jobs] == sources and len(listed.done) == 2


def test_a_changed_input_or_setting_is_redone_and_a_touched_output_is_the_users(tmp_path):
    a, b = _picture(tmp_path / "a.png", 1), _picture(tmp_path / "b.png", 2)
    record = DoneRecord(SETTINGS)
    for job in plan_jobs([str(tmp_path)], str(tmp_path / "out"), record).todo:
        _write(record, job)
    _picture(a, 7)  # new content, same name
    plan = plan_jobs([str(tmp_path)], str(tmp_path / "out"), DoneRecord(SETTINGS))
    assert [job.source for job in plan.todo] == [a] and [job.source for job in plan.done] == [b]
    other = RunSettings(**{**SETTINGS.__dict__, "patch_size": 16, "padding": 2})
    assert len(plan_jobs([str(tmp_path)], str(tmp_path / "out"), DoneRecord(other)).todo) == 2
    _picture(tmp_path / "out" / "b@2x.png", 9)  # the user replaced an output with a picture of their own
    plan = plan_jobs([str(tmp_path)], str(tmp_path / "out"), DoneRecord(SETTINGS))
    assert "did not write it" in next(job for job in plan.jobs if job.source == b).reason


def test_an_output_made_from_another_input_is_not_replaced(tmp_path):
    first, second = _picture(tmp_path / "one" / "x.png", 1), _picture(tmp_path / "two" / "x.png", 2)
    record = DoneRecord(SETTINGS)
    for job in plan_jobs([str(first)], str(tmp_path / "out"), record).todo:
        _write(record, job)
    plan = plan_jobs([str(second)], str(tmp_path / "out"), DoneRecord(SETTINGS))
    assert "did not write it from this input" in plan.jobs[0].reason


def test_a_torn_record_line_is_ignored_and_the_next_line_still_counts(tmp_path):
    a, b = _picture(tmp_path / "a.png", 1), _picture(tmp_path / "b.png", 2)
    record = DoneRecord(SETTINGS)
    jobs = plan_jobs([str(a)], str(tmp_path / "out"), record).todo + plan_jobs([str(b)], str(tmp_path / "out"), record).todo
    _write(record, jobs[0])
    with (tmp_path / "out" / ".upscaler-explorer-done.jsonl").open("a") as handle:
        handle.write('{"output":"b@2x.png","output_sta')  # what a kill in the middle of a write would leave
    _write(DoneRecord(SETTINGS), jobs[1])
    plan = plan_jobs([str(tmp_path)], str(tmp_path / "out"), DoneRecord(SETTINGS))
    assert [job.source for job in plan.done] == [a, b]


def test_the_record_is_written_before_the_output_appears(tmp_path):
    source = _picture(tmp_path / "a.png", 1)
    record = DoneRecord(SETTINGS)
    job = plan_jobs([str(source)], str(tmp_path / "out"), record).todo[0]
    record.save(job, np.zeros((4, 4, 3), np.uint8))
    lines = (tmp_path / "out" / ".upscaler-explorer-done.jsonl").read_text().split("\n")
    seen = [line for line in lines if line]
    assert len(seen) == 1 and '"output":"a@2x.png"' in seen[0] and DoneRecord(SETTINGS).is_done(job)
    job.target.unlink()  # a kill after the record, before the rename: the output is missing, so it is redone
    assert plan_jobs([str(source)], str(tmp_path / "out"), DoneRecord(SETTINGS)).todo == [job]


def test_only_temporaries_of_dead_writers_on_this_host_are_swept(tmp_path):
    source = _picture(tmp_path / "a.png", 1)
    plan = plan_jobs([str(source)], None, DoneRecord(SETTINGS))
    ended = os.fork()
    if ended == 0:  # a writer that dies right away: its process id then names no running process
        os._exit(0)
    os.waitpid(ended, 0)
    live = temporary_path(tmp_path / "a@2x.png")
    dead = live.with_name(live.name.replace(f"-{os.getpid()}-", f"-{ended}-"))
    other_host = dead.with_name(dead.name.replace(dead.name.split(".")[-2].rsplit("-", 2)[0], "elsewhere", 1))
    keep = tmp_path / ".notes.txt.tmp"
    for path in (live, dead, other_host, keep):
        path.write_bytes(b"\x89PNG half")
    assert sweep_leftovers(plan) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == sorted(
        p.name for p in (live, other_host, keep)
    )


def _save_all(record: DoneRecord, jobs) -> None:
    for number, job in enumerate(jobs):
        _write(record, job, number)


def test_workers_in_several_processes_record_into_one_folder_at_once(tmp_path):
    import multiprocessing

    sources = [_picture(tmp_path / "in" / f"{number:02}.png", number) for number in range(24)]
    record = DoneRecord(SETTINGS)
    todo = plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"), record).todo
    assert [job.source for job in todo] == sources
    context = multiprocessing.get_context("spawn")  # each worker gets its own pickled copy of the record, as Ray's do
    workers = [context.Process(target=_save_all, args=(record, todo[start::4])) for start in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0] * 4
    again = plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"), DoneRecord(SETTINGS))
    assert len(again.done) == 24 and again.todo == []
