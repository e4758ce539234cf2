"""Hostile or broken model.json files: each is a clear ModelFormatError, before any large allocation.

Every file is built here from a real package's model.json (esrgan-slim 2x) or
from scratch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from explorer import Upscaler, get_spec
from explorer.engine import store
from explorer.errors import ExplorerError, ModelFormatError, UnsupportedLayerError


@pytest.fixture()
def slim_copy(tmp_path) -> Path:
    shutil.copytree(store.package_dir(get_spec("esrgan-slim/2x")) / "models" / "x2", tmp_path / "x2")
    return tmp_path / "x2" / "model.json"


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _layer(data: dict, name: str) -> dict:
    return next(layer for layer in data["modelTopology"]["model_config"]["config"]["layers"] if layer["name"] == name)


def _sequential(folder: Path, layers: list[dict]) -> Path:
    """A weightless layers model: an RGB input, then ``layers``."""
    folder.mkdir()
    first = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None, None, 3], "name": "in"}}
    topology = {"class_name": "Sequential", "config": {"name": "s", "layers": [first, *layers]}}
    (folder / "model.json").write_text(json.dumps({"modelTopology": topology, "weightsManifest": []}))
    return folder / "model.json"


def test_a_deeply_nested_model_json_is_a_format_error(tmp_path):
    path = tmp_path / "model.json"
    depth = 200_000
    path.write_text('{"modelTopology": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(ModelFormatError, match="nested too deeply"):
        Upscaler(path)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"a": 1}, "must be a list of groups, not dict"),
        (["group"], "group 1 is a str"),
        ([{"paths": "group1-shard1of1.bin", "weights": []}], "'paths' must be a list"),
        ([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "k", "shape": [3, -3], "dtype": "float32"}]}], "malformed weight entry"),
        ([{"paths": ["group1-shard1of1.bin"], "weights": [{"name": "k", "shape": [3], "dtype": ["float32"]}]}], "malformed dtype"),
    ],
)
def test_a_malformed_weights_manifest_is_a_format_error(slim_copy, manifest, message):
    _edit(slim_copy, lambda d: d.update(weightsManifest=manifest))
    with pytest.raises(ModelFormatError, match=message):
        Upscaler(slim_copy)


def test_an_activation_given_as_an_object_is_named(slim_copy):
    _edit(slim_copy, lambda d: _layer(d, "F_0")["config"].update(activation={"class_name": "Lambda", "config": {}}))
    with pytest.raises(UnsupportedLayerError, match="'F_0' uses activation .*not supported"):
        Upscaler(slim_copy)


def test_a_conv2d_declaring_two_billion_filters_is_refused_before_allocating(slim_copy):
    # Built as declared, the kernel alone would be 3*3*64*2e9 floats (4.6 TB): the weights decide.
    _edit(slim_copy, lambda d: _layer(d, "F_0")["config"].update(filters=2_000_000_000))
    with pytest.raises(ModelFormatError, match=r"'F_0' declares a kernel of shape \(3, 3, 64, 2000000000\) but the weights hold \(3, 3, 64, 64\)"):
        Upscaler(slim_copy)


@pytest.mark.parametrize(
    "change",
    [
        {"kernel_size": {"a": 1}},
        {"filters": "many"},
        {"padding": ["same"]},
        {"strides": None},
    ],
    ids=["kernel_size-object", "filters-text", "padding-list", "strides-null"],
)
def test_a_conv2d_with_a_malformed_setting_is_a_format_error(slim_copy, change):
    _edit(slim_copy, lambda d: _layer(d, "F_0")["config"].update(change))
    with pytest.raises(ModelFormatError, match="'F_0'"):
        Upscaler(slim_copy)


@pytest.mark.parametrize(
    "shape", [[None, None, None, 2_000_000_000], [None, None, None], "big", [None, -5, None, 3]], ids=["channels", "3d", "text", "negative"]
)
def test_an_input_that_is_not_an_rgb_batch_is_refused(slim_copy, shape):
    _edit(slim_copy, lambda d: _layer(d, "LR")["config"].update(batch_input_shape=shape))
    with pytest.raises(ModelFormatError, match="model input"):
        Upscaler(slim_copy)


@pytest.mark.parametrize(
    "topology",
    [{"class_name": "Sequential", "config": "layers"}, {"class_name": 5, "config": {"layers": 3}}, [1, 2], "text"],
    ids=["config-text", "class-number", "list", "text"],
)
def test_a_topology_of_the_wrong_shape_is_a_format_error(slim_copy, topology):
    _edit(slim_copy, lambda d: d.update(modelTopology=topology))
    with pytest.raises(ModelFormatError):
        Upscaler(slim_copy)


def test_a_layer_whose_config_is_not_an_object_is_a_format_error(tmp_path):
    path = _sequential(tmp_path / "m", [{"class_name": "Activation", "name": "act", "config": ["relu"]}])
    with pytest.raises(ModelFormatError, match="'act' has an invalid configuration"):
        Upscaler(path)


def test_an_absurd_upsampling_is_refused_before_the_probe_runs(tmp_path):
    # 16x32 probe -> 80,000 x 160,000 pixels (150 GB as float32) if it ran
    path = _sequential(tmp_path / "m", [{"class_name": "UpSampling2D", "config": {"name": "up", "size": [5000, 5000]}}])
    with pytest.raises(ModelFormatError, match="more than 16x"):
        Upscaler(path)


def test_a_scale_over_the_largest_is_refused(slim_copy):
    with pytest.raises(ExplorerError, match="from 1 to 16"):
        Upscaler(slim_copy, scale=10_000)


def _keras_file_with(tmp_path: Path, suffix: str, change) -> Path:
    """A small real Keras model saved as ``suffix``, its stored configuration then edited by ``change``."""
    import zipfile

    import h5py
    import keras

    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(8, 3, padding="same", name="conv")])
    path = tmp_path / f"mine{suffix}"
    model.save(path)
    if suffix == ".keras":
        edited = tmp_path / "edited.keras"
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
            for name in source.namelist():
                data = source.read(name)
                if name == "config.json":
                    config = json.loads(data)
                    change(config)
                    data = json.dumps(config).encode()
                target.writestr(name, data)
        return edited
    with h5py.File(path, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        change(config)
        h5.attrs["model_config"] = json.dumps(config)
    return path


def _conv_config(config: dict) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Conv2D")["config"]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_keras_file_declaring_two_billion_filters_is_refused_before_keras_builds_it(tmp_path, suffix):
    path = _keras_file_with(tmp_path, suffix, lambda config: _conv_config(config).update(filters=2_000_000_000))
    with pytest.raises(ModelFormatError, match=r"'conv' declares filters=2e\+09, more weights than the file stores \(224 values"):
        Upscaler(path, scale=1)


def test_a_keras_file_as_saved_still_loads(tmp_path):
    path = _keras_file_with(tmp_path, ".keras", lambda config: None)
    assert Upscaler(path, scale=1).model_file.parameters == 3 * 3 * 3 * 8 + 8
