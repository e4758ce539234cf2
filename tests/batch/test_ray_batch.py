"""The Ray batch engine on a real local Ray: same pixels as in-process, failures listed, reruns skip, kills cost a retry."""

from __future__ import annotations

import csv
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.batch.ray_batch import FAILURES_NAME, run_on_ray
from explorer.engine.upscaler import Upscaler

MODEL = "@upscalerjs/default-model"
SETTINGS = {"patch_size": 12, "padding": 2}


def in_process(folder: Path, names: list[str]) -> dict[str, np.ndarray]:
    upscaler = Upscaler(MODEL)
    return {name: np.asarray(upscaler.upscale(folder / name, **SETTINGS)) for name in names}


def test_outputs_equal_in_process_ones_and_a_corrupt_input_is_listed(local_ray, mixed_folder, tmp_path):
    out = tmp_path / "out"
    summary = run_on_ray([str(mixed_folder)], str(out), model=MODEL, workers=2, progress=False, **SETTINGS)
    good = ["gray.png", "photo.jpg", "rgb.png", "rgba.png"]
    expected = in_process(mixed_folder, good)
    assert summary.done == 4 and summary.skipped == 0
    assert [path for path, _ in summary.failed] == [str(mixed_folder / "corrupt.png")]
    for name in good:
        written = Image.open(out / f"{Path(name).stem}@2x.png")
        assert written.mode == {"gray.png": "L", "rgba.png": "RGBA"}.get(name, "RGB")
        np.testing.assert_array_equal(np.asarray(written), expected[name])
    with open(out / FAILURES_NAME, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["path", "reason"] and [row[0] for row in rows[1:]] == [str(mixed_folder / "corrupt.png")]
    assert "corrupt.png" in rows[1][1]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert sum(stats.images for stats in summary.workers.values()) == 5


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


def test_a_worker_killed_mid_run_costs_a_retry_not_an_output(local_ray, tmp_path):
    from skimage import data

    photo = data.astronaut()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):
        Image.fromarray(photo[i * 40 : i * 40 + 48, i * 30 : i * 30 + 40]).save(folder / f"p{i}.png")
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
