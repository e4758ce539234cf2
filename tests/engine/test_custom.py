"""Bring your own model: TF.js files by path, folder or URL, Keras files, scale probing, bad inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer import Upscaler, get_spec
from explorer.engine import store
from explorer.errors import (
    ExplorerError,
    ModelFetchError,
    ModelFormatError,
    UnsupportedLayerError,
)
from tests.helpers import assert_equal_but_rounding, serve_folder

REPO = Path(__file__).resolve().parents[2]
IMAGE = np.random.default_rng(7).integers(0, 256, (20, 28, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def slim_package() -> Path:
    return store.package_dir(get_spec("esrgan-slim/2x"))


@pytest.fixture()
def slim_copy(slim_package, tmp_path) -> Path:
    shutil.copytree(slim_package / "models" / "x2", tmp_path / "x2")
    return tmp_path / "x2" / "model.json"


def test_a_layers_model_by_path_or_folder_equals_the_registry_model(slim_package):
    expected = Upscaler("esrgan-slim/2x").upscale(IMAGE)
    by_file = Upscaler(str(slim_package / "models" / "x2" / "model.json"))
    by_folder = Upscaler(slim_package / "models" / "x2")
    assert by_file.spec.is_custom and by_file.spec.scale == 2 and by_file.spec.task == "custom"
    np.testing.assert_array_equal(by_file.upscale(IMAGE), expected)
    np.testing.assert_array_equal(by_folder.upscale(IMAGE), expected)


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_the_scale_probe_finds_every_registry_scale(slim_package, scale):
    assert Upscaler(slim_package / "models" / f"x{scale}").scale == scale


def test_a_model_served_over_http_works_by_url_and_is_cached(slim_package):
    expected = Upscaler("esrgan-slim/2x").upscale(IMAGE)
    with serve_folder(slim_package) as base:
        by_url = Upscaler(f"{base}/models/x2/model.json")
        folder_url = Upscaler(f"{base}/models/x2/")
    np.testing.assert_array_equal(by_url.upscale(IMAGE), expected)
    assert folder_url.spec.scale == 2
    # the server is gone: the cached copy still loads, offline
    assert Upscaler(f"{base}/models/x2/model.json", offline=True).scale == 2


def _small_keras_model(scale: int):
    import keras

    inputs = keras.Input((None, None, 3))
    features = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    if scale > 1:
        features = keras.layers.UpSampling2D(scale)(features)
    outputs = keras.layers.Conv2D(3, 3, padding="same")(features)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(scale)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize(("suffix", "scale"), [(".keras", 2), (".h5", 3), (".keras", 1)])
def test_a_keras_file_round_trips(tmp_path, suffix, scale):
    model = _small_keras_model(scale)
    path = tmp_path / f"mine{suffix}"
    model.save(path)
    upscaler = Upscaler(path, input_range="0,1")
    assert upscaler.scale == scale and upscaler.model_file.format == "keras"
    raw = model(IMAGE[None].astype(np.float32) / 255, training=False).numpy()[0]
    # Eager Keras here, a traced function in the Upscaler: the same float32 maths, but the kernels may sum in
    # another order (they do on some CPUs), so outputs agree to ~1e-6, and a value within that of a half level
    # can round the other way. 0.01 levels is ~4e-5 on this model's [0, 1] scale: far above float noise, far below
    # any real error.
    assert_equal_but_rounding(upscaler.upscale(IMAGE), np.clip(raw, 0, 1) * 255, tolerance=0.01)


def test_a_keras_lambda_layer_is_refused(tmp_path):
    import keras

    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(UnsupportedLayerError, match="Lambda.*runs arbitrary Python code"):
        Upscaler(path)


def test_an_explicit_scale_that_is_wrong_is_caught(slim_copy):
    upscaler = Upscaler(slim_copy, scale=3)
    with pytest.raises(ModelFormatError, match="Check the model's scale"):
        upscaler.upscale(IMAGE)


def test_overrides_are_refused_for_registry_models():
    with pytest.raises(ExplorerError, match="for your own model files"):
        Upscaler("esrgan-slim/2x", scale=4)


@pytest.mark.parametrize("value", ["0,2", "a,b", "1"])
def test_unsupported_input_ranges_are_refused(slim_copy, value):
    with pytest.raises(ExplorerError, match="range"):
        Upscaler(slim_copy, input_range=value)


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_invalid_json_is_a_clear_error(slim_copy):
    slim_copy.write_text("<html>oops</html>")
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        Upscaler(slim_copy)


def test_an_unsupported_or_code_running_layer_is_named(slim_copy):
    layers = lambda d: d["modelTopology"]["model_config"]["config"]["layers"]  # noqa: E731
    _edit(slim_copy, lambda d: layers(d)[4].update(class_name="SpectralNormalization"))
    with pytest.raises(UnsupportedLayerError, match="SpectralNormalization"):
        Upscaler(slim_copy)
    _edit(slim_copy, lambda d: layers(d)[4].update(class_name="Lambda"))
    with pytest.raises(UnsupportedLayerError, match="Lambda.*arbitrary code"):
        Upscaler(slim_copy)


def test_a_missing_or_short_shard_is_a_clear_error(slim_copy):
    shard = slim_copy.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(ModelFormatError, match="truncated"):
        Upscaler(slim_copy)
    shard.unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        Upscaler(slim_copy)


def test_a_url_that_returns_html_is_refused(tmp_path):
    with serve_folder(tmp_path, {"/model.json": (b"<html>Sign in</html>", "text/html")}) as base:
        with pytest.raises(ModelFetchError, match="HTML page"):
            Upscaler(f"{base}/model.json")
    assert not list((store.cache_dir() / "tmp").iterdir())


def test_an_oversized_download_is_refused(slim_package, monkeypatch):
    monkeypatch.setattr(store.url, "_MAX_URL_MODEL_BYTES", 100_000)  # the shard is ~0.9 MB
    with serve_folder(slim_package) as base:
        with pytest.raises(ModelFetchError, match=r"group1-shard1of1.bin sent more than \d+ bytes"):
            Upscaler(f"{base}/models/x4/model.json")


def test_a_shard_path_outside_the_model_folder_is_refused(slim_copy):
    _edit(slim_copy, lambda d: d["weightsManifest"][0].update(paths=["../../secret.bin"]))
    with serve_folder(slim_copy.parent) as base:
        with pytest.raises(ModelFetchError, match="not beside the model.json"):
            Upscaler(f"{base}/model.json")


def test_cli_upscales_and_inspects_your_own_model(slim_package, tmp_path):
    model = slim_package / "models" / "x3"
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    image = REPO / "explorer" / "examples" / "astronaut.png"
    run = lambda *a: subprocess.run([sys.executable, "-m", "explorer", *a], capture_output=True, text=True, env=env)  # noqa: E731
    upscaled = run("upscale", str(image), "-o", str(tmp_path / "o.png"), "--model", str(model), "-q")
    assert upscaled.returncode == 0, upscaled.stderr
    assert "(384x384)" in upscaled.stdout
    inspected = run("inspect", str(model), "--json")
    info = json.loads(inspected.stdout)
    assert info["scale"] == 3 and info["format"] == "tfjs-layers" and info["summary"]["Conv2D"] == 12


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"scale": 0}, "scale must be a whole number from 1 to 16"), ({"divisibility_factor": 0}, "divisibility_factor must be")],
)
def test_bad_overrides_for_your_own_model_are_refused(slim_copy, settings, message):
    with pytest.raises(ExplorerError, match=message):
        Upscaler(slim_copy, **settings)


def test_only_http_urls_are_fetched():
    with pytest.raises(ModelFetchError, match="not an http\\(s\\) URL"):
        store.fetch_url_model("ftp://example.com/model.json")
