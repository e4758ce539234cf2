"""Ray as an optional extra, and the pool size that fits a machine (no Ray started here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from explorer.batch.ray_session import MAXIM_WORKER_MIB, WORKER_MIB, default_workers, worker_mib
from explorer.engine.registry import get_spec

REPO = Path(__file__).resolve().parents[2]
GIB = 2**30


def test_without_ray_the_engine_says_which_extra_to_install(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    code = ("import sys; sys.modules['ray'] = None\n"  # as if Ray were not installed
            "from explorer.cli import main\n"
            f"raise SystemExit(main(['upscale', {str(tmp_path / 'a.png')!r}, '--engine', 'ray', '-q']))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert 'pip install "upscaler-explorer[ray]"' in done.stderr
    assert not (tmp_path / "a@2x.png").exists()


def test_the_default_pool_fits_the_cpus_and_the_memory():
    maxim, default = get_spec("maxim-deblurring"), get_spec("default-model")
    assert worker_mib(maxim) == MAXIM_WORKER_MIB and worker_mib(default) == WORKER_MIB
    assert default_workers(16, 8 * GIB, maxim) == 8 * 1024 // MAXIM_WORKER_MIB  # memory-bound
    assert default_workers(2, 24 * GIB, default) == 2  # CPU-bound
    assert default_workers(8, 0.5 * GIB, default) == 1  # never none
