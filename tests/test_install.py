"""The project outside its checkout: the wheel, installed, as a user meets it.

The wheel is built from this checkout and installed into a new virtual
environment (its dependencies are borrowed from the test environment through a
``.pth`` file, so the test takes seconds, not a 1 GB install; ``.ci/run`` does
the full install). ``.ci/installed_smoke.py`` then runs from a folder outside
the checkout: the command lists every model and upscales, the app starts and
answers ``/upscale``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / ".ci" / "installed_smoke.py"
_NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "test-artifacts", "__pycache__", ".*_cache", ".hypo*")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "upscaler-explorer"  # the build writes build/ and *.egg-info
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(out), "-q"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("upscaler_explorer-*.whl")
    return path


def test_the_wheel_carries_the_cards_results_samples_and_example(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in [("", "*.md"), ("results", "*.csv"), ("results", "*.md"), ("samples", "*.png")]:
        expected = {f"explorer/model_cards/{p.relative_to(REPO / 'model_cards').as_posix()}"
                    for p in (REPO / "model_cards" / folder).glob(pattern)}  # fmt: skip
        assert expected and expected <= names, (folder, pattern)
    assert "explorer/examples/astronaut.png" in names
    assert not any(name.startswith(("tests/", "model_cards/", "notebooks/")) for name in names)


def test_installed_package_works_outside_the_checkout(wheel, tmp_path, model_cache):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.check_output([str(python), "-c", where], text=True).strip())
    (site / "borrowed-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "UPSCALER_EXPLORER_CARDS")}
    env.update(HOME=str(tmp_path / "home"), UPSCALER_EXPLORER_CACHE=str(model_cache))
    result = subprocess.run([str(python), SMOKE], cwd=outside, env=env, capture_output=True, text=True, timeout=900)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout, result.stdout
