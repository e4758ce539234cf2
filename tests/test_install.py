"""The project outside its checkout: the wheel, installed, as a user meets it.

``.ci/installed_smoke.py`` runs from a folder outside the checkout with the
Python of an environment the wheel was installed into: the command lists
every model and upscales, the app starts and answers ``/upscale``.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from tests.installed import REPO, make_env

SMOKE = REPO / ".ci" / "installed_smoke.py"


def test_the_wheel_carries_the_cards_results_samples_and_example(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in [("", "*.md"), ("results", "*.csv"), ("results", "*.md"), ("samples", "*.png")]:
        expected = {f"explorer/model_cards/{p.relative_to(REPO / 'model_cards').as_posix()}"
                    for p in (REPO / "model_cards" / folder).glob(pattern)}  # fmt: skip
        assert expected and expected <= names, (folder, pattern)
    assert "explorer/examples/astronaut.png" in names
    assert "explorer/app/static/browser_run.js" in names  # the "Run in my browser" panel's script
    assert not any(name.startswith(("tests/", "model_cards/", "notebooks/")) for name in names)


def test_installed_package_works_outside_the_checkout(wheel: Path, tmp_path: Path, model_cache: Path):
    python = make_env(tmp_path / "venv", wheel)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "UPSCALER_EXPLORER_CARDS")}
    env.update(HOME=str(tmp_path / "home"), UPSCALER_EXPLORER_CACHE=str(model_cache))
    result = subprocess.run([str(python), SMOKE], cwd=outside, env=env, capture_output=True, text=True, timeout=900)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout, result.stdout
