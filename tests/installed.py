"""The project as users get it: a wheel built from this checkout, installed into a new virtual environment.

The environments borrow their dependencies from the test environment (a ``.pth``
file naming its site-packages), so making one takes seconds instead of a 1 GB
install; ``.ci/run`` does the full install from the wheel's own requirements.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "test-artifacts", "__pycache__", ".*_cache", ".hypo*")
"""What a copy of the checkout leaves out (builds write build/ and *.egg-info into the source)."""


def copy_source(destination: Path) -> Path:
    """A copy of the checkout's files, as a clone would have them."""
    shutil.copytree(REPO, destination, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    return destination


def build_wheel(folder: Path) -> Path:
    """Build the wheel from a copy of the checkout (pip, build isolation: setuptools as pyproject.toml pins it)."""
    source = copy_source(folder / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(folder), "-q"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = folder.glob("upscaler_explorer-*.whl")
    return wheel


def make_env(folder: Path, wheel: Path | None = None) -> Path:
    """A new virtual environment, the wheel installed in it if given; returns its Python."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.check_output([str(python), "-c", where], text=True).strip())
    (site / "borrowed-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    if wheel is not None:
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stderr
    return python
