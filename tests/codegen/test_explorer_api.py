"""The Python and command-line snippets are run and must give the library's pixels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.codegen import snippets
from explorer.codegen.snippets import generate
from explorer.engine import store
from explorer.engine.registry import get_spec
from tests.codegen.helpers import (
    EXAMPLE,
    REPO,
)

# -- python and cli: run them -------------------------------------------------------------------------------


@pytest.fixture()
def photo_dir(tmp_path: Path) -> Path:
    Image.open(EXAMPLE).convert("RGB").crop((100, 60, 148, 100)).save(tmp_path / snippets.INPUT_FILE)  # 48x40
    return tmp_path


def _run_snippet(target: str, code: str, folder: Path) -> list[Path]:
    script = folder / ("snippet.py" if target == "python" else "snippet.sh")
    script.write_text(code)
    command = [sys.executable, script.name] if target == "python" else ["bash", script.name]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return sorted(p for p in folder.glob("*.png") if p.name != snippets.INPUT_FILE)


@pytest.mark.filterwarnings("ignore:patch_size without padding")  # the cli snippet's comment says so
@pytest.mark.parametrize(
    ("target", "model_id", "settings"),
    [
        ("python", "esrgan-slim/2x", {"patch_size": 32, "padding": 4, "warmup_sizes": [32], "progress": True}),
        ("cli", "default-model", {"patch_size": 24}),
        ("python", "default-model", {"patch_size": 32, "padding": 4, "precision": "fast"}),
        ("cli", "esrgan-slim/2x", {"patch_size": 32, "padding": 4, "precision": "fast"}),
    ],
)
def test_python_and_cli_snippets_give_the_library_output(target, model_id, settings, photo_dir):
    code = generate(model_id, target, **settings)
    (written,) = _run_snippet(target, code, photo_dir)
    tiling = {"patch_size": settings["patch_size"], "padding": settings.get("padding")}
    precision = settings.get("precision", "exact")
    assert ("precision" in code) == (precision == "fast")
    expected = Upscaler(model_id, precision=precision).upscale(photo_dir / snippets.INPUT_FILE, **tiling)
    assert written.name == f"photo@{get_spec(model_id).scale}x.png"
    np.testing.assert_array_equal(np.asarray(Image.open(written)), np.asarray(expected))


def test_a_custom_model_cli_snippet_gives_the_library_output(photo_dir):
    model_json = store.model_json_path(get_spec("esrgan-slim/2x"))
    spec = Upscaler(str(model_json)).spec
    code = generate(spec, "cli", patch_size=32, padding=2)
    assert f"--model {model_json} --scale 2" in code.replace(" \\\n  ", " ")
    (written,) = _run_snippet("cli", code, photo_dir)
    expected = Upscaler(str(model_json)).upscale(photo_dir / snippets.INPUT_FILE, patch_size=32, padding=2)
    np.testing.assert_array_equal(np.asarray(Image.open(written)), np.asarray(expected))


def test_the_ray_snippet_runs_as_printed_on_a_local_ray_and_gives_the_library_output(local_ray, photo_dir):
    from explorer.codegen.explorer_api import RAY_INPUT, RAY_OUTPUT

    code = generate("default-model", "ray", patch_size=24, padding=2)
    photos = photo_dir / RAY_INPUT
    photos.mkdir()
    source = Image.open(photo_dir / snippets.INPUT_FILE)
    source.save(photos / "colour.png")
    source.convert("L").crop((0, 0, 30, 21)).save(photos / "gray.png")
    (photo_dir / "snippet.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ADDRESS": local_ray.get_runtime_context().gcs_address}
    done = subprocess.run([sys.executable, "snippet.py"], cwd=photo_dir, env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 done, 0 skipped" in done.stdout
    upscaler = Upscaler("default-model")
    for name in ("colour", "gray"):
        expected = upscaler.upscale(photos / f"{name}.png", patch_size=24, padding=2)
        np.testing.assert_array_equal(np.asarray(Image.open(photo_dir / RAY_OUTPUT / f"{name}@2x.png")), np.asarray(expected))
