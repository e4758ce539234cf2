"""The Ray batch engine on a real local Ray: in-process pixels, failures listed, reruns skip, a kill costs a retry."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.batch.ray_batch import FAILURES_NAME, run_on_ray
from explorer.cli import main
from explorer.engine.upscaler import Upscaler

REPO = Path(__file__).resolve().parents[2]
MODEL = "@upscalerjs/default-model"
SETTINGS = {"patch_size": 12, "padding": 2}


def in_process(folder: Path, names: list[str]) -> dict[str, np.ndarray]:
    upscaler = Upscaler(MODEL)
    return {name: np.asarray(upscaler.upscale(folder / name, **SETTINGS)) for name in names}


def test_upscale_on_ray_writes_in_process_pixels_names_the_bad_inputs_and_a_rerun_skips_the_rest(
    local_ray, mixed_folder, tmp_path, capsys
):
    Image.open(mixed_folder / "rgb.png").save(mixed_folder / "rgb.webp")  # its result would be rgb@2x.png too
    out = tmp_path / "out"
    argv = ["upscale", str(mixed_folder), "-o", str(out), "--engine", "ray", "--workers", "1",
            "--patch-size", str(SETTINGS["patch_size"]), "--padding", str(SETTINGS["padding"]), "-q"]  # fmt: skip
    assert main(argv) == 2
    said = capsys.readouterr()
    assert "4 done, 0 skipped (done before), 2 failed" in said.out
    assert "started in" in said.out and "peak memory" in said.out  # per worker
    errors = sorted(line for line in said.err.splitlines() if line.startswith("error: "))
    assert len(errors) == 2 and str(mixed_folder / "corrupt.png") in errors[1] and "is not an image" in errors[1]
    assert errors[0].startswith(f"error: {mixed_folder / 'rgb.webp'}: its result would overwrite")
    good = ["gray.png", "photo.jpg", "rgb.png", "rgba.png"]
    expected = in_process(mixed_folder, good)
    for name in good:
        written = Image.open(out / f"{Path(name).stem}@2x.png")
        assert written.mode == {"gray.png": "L", "rgba.png": "RGBA"}.get(name, "RGB")
        np.testing.assert_array_equal(np.asarray(written), expected[name])
    with open(out / FAILURES_NAME, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["path", "reason"]
    assert sorted(row[0] for row in rows[1:]) == [str(mixed_folder / "corrupt.png"), str(mixed_folder / "rgb.webp")]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

    (mixed_folder / "corrupt.png").unlink()
    (mixed_folder / "rgb.webp").unlink()
    assert main(argv) == 0  # nothing left to do: Ray is not even started
    said = capsys.readouterr()
    assert "Skipped 4 of 4 images done before" in said.err and "0 done, 4 skipped (done before), 0 failed." in said.out


def test_inputs_and_outputs_given_as_uris_go_through_pyarrow_filesystems(local_ray, mixed_folder, tmp_path):
    source = mixed_folder.absolute().as_uri() + "/*.png"
    target = (tmp_path / "bucket").absolute().as_uri()
    summary = run_on_ray([source], target, model=MODEL, workers=1, progress=False, **SETTINGS)
    assert summary.done == 3 and [Path(path).name for path, _ in summary.failed] == ["corrupt.png"]
    expected = in_process(mixed_folder, ["gray.png", "rgb.png", "rgba.png"])
    for name, pixels in expected.items():
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "bucket" / f"{Path(name).stem}@2x.png")), pixels)
    written = sorted(p.name for p in (tmp_path / "bucket").iterdir())
    assert written == sorted([FAILURES_NAME, "gray@2x.png", "rgb@2x.png", "rgba@2x.png"])  # no temporary file left
    assert summary.failures_file == target + "/" + FAILURES_NAME


def _descendants_running(marker: str) -> list[int]:
    """Process ids of this process's descendants whose command line holds ``marker`` (Ray names actor processes)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    ours = {os.getpid()}
    for _ in range(8):  # driver -> raylet -> worker: a few generations
        ours |= {pid for pid, parent in parents.items() if parent in ours}
    found = []
    for pid in sorted(ours - {os.getpid()}):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(pid)
        except OSError:
            continue
    return found


def _photos(folder: Path, count: int) -> Path:
    from skimage import data

    photo = data.astronaut()
    folder.mkdir()
    for i in range(count):
        Image.fromarray(photo[i * 30 : i * 30 + 48, i * 25 : i * 25 + 40]).save(folder / f"p{i}.png")
    return folder


def test_a_worker_killed_mid_run_costs_a_retry_not_an_output(local_ray, tmp_path):
    folder = _photos(tmp_path / "many", 8)
    killed: list[int] = []

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 600
        while not killed and time.monotonic() < deadline:
            pids = _descendants_running("UpscaleWorker")
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            else:
                threading.Event().wait(0.02)

    killer = threading.Thread(target=kill_the_worker, daemon=True)
    killer.start()
    out = tmp_path / "out"
    summary = run_on_ray([str(folder)], str(out), model=MODEL, workers=1, progress=False, **SETTINGS)
    killer.join(timeout=1)
    assert killed, "the worker process was never seen"
    assert summary.done == 8 and summary.failed == []
    assert set(summary.workers) - set(killed), "a restarted worker did the rest"
    expected = in_process(folder, [f"p{i}.png" for i in range(8)])
    for i in range(8):
        np.testing.assert_array_equal(np.asarray(Image.open(out / f"p{i}@2x.png")), expected[f"p{i}.png"])
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_ctrl_c_leaves_complete_outputs_only_and_the_record_knows_them(local_ray, tmp_path):
    from explorer.batch import DoneRecord, RunSettings, model_identity, plan_jobs
    from explorer.engine.registry import get_spec

    folder = _photos(tmp_path / "many", 12)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ADDRESS": local_ray.get_runtime_context().gcs_address}
    command = [sys.executable, "-m", "explorer", "upscale", str(folder), "-o", str(out), "--engine", "ray",
               "--workers", "1", "--patch-size", "12", "--padding", "2", "-q"]  # fmt: skip
    driver = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not list(out.glob("*.png")) and driver.poll() is None and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    driver.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 130, err
    while _descendants_running("UpscaleWorker") and time.monotonic() < deadline:  # Ray stops the job's workers
        threading.Event().wait(0.05)
    written = sorted(out.glob("*.png"))
    assert written, err
    expected = in_process(folder, [p.name.replace("@2x", "") for p in written])
    for path in written:  # every visible output is whole and right
        np.testing.assert_array_equal(np.asarray(Image.open(path)), expected[path.name.replace("@2x", "")])
    spec = get_spec(MODEL)
    record = DoneRecord(RunSettings(spec.id, model_identity(spec), spec.scale, "png", None, 12, 2))
    plan = plan_jobs([str(folder)], str(out), record)
    assert sorted(job.target for job in plan.done) == written  # a rerun skips exactly these
