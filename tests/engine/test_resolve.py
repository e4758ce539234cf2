"""Tests of explorer.engine.resolve: every kind of model reference becomes a spec and a verified file."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.engine import store
from explorer.engine.registry import get_spec
from explorer.engine.resolve import find_model_json, is_model_file, resolve
from explorer.errors import ExplorerError, ModelNotFoundError

PIXEL = get_spec("pixel-upsampler/2x")


@pytest.fixture(scope="module")
def pixel_package() -> Path:
    """The real pixel-upsampler package, verified, in the shared test cache."""
    return store.package_dir(PIXEL)


# --- local models ---------------------------------------------------------------------


def _write(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_local_folder_with_one_model_json(tmp_path: Path) -> None:
    model = _write(tmp_path / "mine" / "models" / "model.json")
    _write(tmp_path / "mine" / "package.json")
    assert find_model_json(tmp_path / "mine") == model.resolve()


def test_local_folder_with_one_json_that_has_a_topology(tmp_path: Path) -> None:
    model = _write(tmp_path / "x2.json", '{"modelTopology": {}, "weightsManifest": []}')
    _write(tmp_path / "package.json", '{"name": "not-a-model"}')
    assert find_model_json(str(tmp_path)) == model.resolve()


def test_local_model_file(pixel_package: Path) -> None:
    assert find_model_json(pixel_package / PIXEL.path) == (pixel_package / PIXEL.path).resolve()


def test_local_package_with_several_models_is_ambiguous(pixel_package: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"several models \(models/x2/x2.json, .*Pass the path"):
        find_model_json(pixel_package)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "nowhere", "No file or folder at"),
        (lambda d: d, "No model.json"),
        (lambda d: _write(d / "weights.bin"), "is not a .json file"),
    ],
    ids=["missing", "empty-folder", "not-json"],
)
def test_local_model_errors_say_what_to_give(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(ModelNotFoundError, match=message):
        find_model_json(make(tmp_path))


def test_every_kind_of_reference_gives_the_same_verified_file(pixel_package: Path) -> None:
    by_id = resolve(PIXEL.id)
    assert by_id.spec == PIXEL and by_id.path == pixel_package / PIXEL.path
    assert resolve("pixel-upsampler/2x") == by_id == resolve(PIXEL)  # alias and spec
    own = resolve(pixel_package / PIXEL.path)
    assert own.path == (pixel_package / PIXEL.path).resolve()
    assert own.spec.is_custom and own.spec.scale == 2  # probed from the file
    assert resolve(own.spec) == own  # a spec of your own file resolves to itself


def test_a_registry_spec_without_fetching() -> None:
    assert resolve("esrgan-slim/4x", fetch=False) == resolve(get_spec("esrgan-slim/4x"), fetch=False)
    assert resolve("esrgan-slim/4x", fetch=False).path is None


@pytest.mark.parametrize("override", [{"scale": 4}, {"input_range": "0,1"}, {"divisibility_factor": 8}])
def test_overrides_are_refused_for_registry_models(override) -> None:
    with pytest.raises(ExplorerError, match=f"for your own model files; {PIXEL.id} takes them from its model card"):
        resolve(PIXEL, fetch=False, **override)


def test_what_counts_as_a_model_file(tmp_path: Path) -> None:
    assert not is_model_file("esrgan-slim/4x") and not is_model_file(PIXEL)
    assert is_model_file("https://example.com/m/model.json") and is_model_file("mine.keras")
    assert is_model_file(tmp_path) and is_model_file("nowhere/model.json")
    with pytest.raises(ModelNotFoundError, match="No Keras model file at"):
        resolve(tmp_path / "missing.h5")
