"""Old result files are swept from the app's scratch folder, without a sweep on every save."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from explorer.app import pictures


def test_old_results_are_swept_at_most_once_a_minute(monkeypatch):
    folder = Path(tempfile.gettempdir()) / "upscaler-explorer-app"
    old = pictures.save_result_png(np.zeros((2, 2, 3), np.uint8), "old")
    hour_ago = time.time() - 2 * 3600
    os.utime(old.parent, (hour_ago, hour_ago))
    monkeypatch.setattr(pictures, "_last_sweep", time.monotonic())  # swept just now: the next save does not sweep
    pictures.save_result_png(np.zeros((2, 2, 3), np.uint8), "new")
    assert old.exists()
    monkeypatch.setattr(pictures, "_last_sweep", time.monotonic() - pictures._SWEEP_SECONDS)  # a minute later: it does
    fresh = pictures.save_result_png(np.zeros((2, 2, 3), np.uint8), "newer")
    assert not old.parent.exists() and fresh.exists() and fresh.parent.parent == folder
