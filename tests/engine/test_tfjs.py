"""The TF.js loader: weights of every dtype, supported and refused layers, broken files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from explorer import get_spec
from explorer.engine import store
from explorer.engine.formats.tfjs_layers import SUPPORTED_LAYERS, load_layers_model
from explorer.engine.formats.tfjs_weights import read_weights
from explorer.errors import ModelFormatError, UnsupportedLayerError


def _write_manifest(folder: Path, entries: list[dict], payload: bytes, shards: int = 1) -> list:
    step = -(-len(payload) // shards)
    paths = []
    for i in range(shards):
        name = f"group1-shard{i + 1}of{shards}.bin"
        (folder / name).write_bytes(payload[i * step : (i + 1) * step])
        paths.append(name)
    return [{"paths": paths, "weights": entries}]


def test_every_stored_dtype_is_decoded(tmp_path):
    f32 = np.arange(6, dtype="<f4").reshape(2, 3) / 7
    i32 = np.array([-3, 0, 7], dtype="<i4")
    f16 = np.array([0.5, -1.25, 3.0], dtype="<f2")
    u8 = np.array([0, 128, 255], dtype="u1")
    u16 = np.array([0, 1000, 65535], dtype="<u2")
    entries = [
        {"name": "a/f32", "shape": [2, 3], "dtype": "float32"},
        {"name": "b/i32", "shape": [3], "dtype": "int32"},
        {"name": "c/f16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}},
        {"name": "d/u8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
        {"name": "e/u16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": 2.0}},
        {"name": "f/axis", "shape": [], "dtype": "int32"},
    ]
    payload = b"".join(a.tobytes() for a in (f32, i32, f16, u8, u16, np.array(3, "<i4")))
    weights = read_weights(_write_manifest(tmp_path, entries, payload, shards=3), tmp_path)
    np.testing.assert_array_equal(weights["a/f32"], f32)
    np.testing.assert_array_equal(weights["b/i32"], i32)
    assert weights["b/i32"].dtype == np.int32
    np.testing.assert_array_equal(weights["c/f16"], f16.astype(np.float32))
    np.testing.assert_allclose(weights["d/u8"], u8 * 0.5 - 1.0)
    np.testing.assert_allclose(weights["e/u16"], u16 * 0.001 + 2.0, rtol=1e-6)
    assert weights["f/axis"].shape == () and weights["f/axis"] == 3  # scalars stay scalars (graph Const nodes)
    assert all(w.dtype == np.float32 for k, w in weights.items() if k not in ("b/i32", "f/axis"))


def test_short_and_long_streams_and_missing_shards_are_reported(tmp_path):
    entries = [{"name": "w", "shape": [4], "dtype": "float32"}]
    manifest = _write_manifest(tmp_path, entries, np.zeros(4, "<f4").tobytes())
    (tmp_path / "group1-shard1of1.bin").write_bytes(b"\0" * 12)
    with pytest.raises(ModelFormatError, match="truncated"):
        read_weights(manifest, tmp_path)
    (tmp_path / "group1-shard1of1.bin").write_bytes(b"\0" * 20)
    with pytest.raises(ModelFormatError, match="do not belong together"):
        read_weights(manifest, tmp_path)
    (tmp_path / "group1-shard1of1.bin").unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        read_weights(manifest, tmp_path)


def test_unsupported_weight_dtype_is_named(tmp_path):
    manifest = _write_manifest(tmp_path, [{"name": "s", "shape": [1], "dtype": "string"}], b"x")
    with pytest.raises(ModelFormatError, match="'string'"):
        read_weights(manifest, tmp_path)


@pytest.fixture()
def slim_copy(tmp_path) -> Path:
    """A private, editable copy of esrgan-slim/2x's model.json and shard."""
    spec = get_spec("esrgan-slim/2x")
    source = store.model_json_path(spec)
    for file in source.parent.iterdir():
        shutil.copy(file, tmp_path / file.name)
    return tmp_path / "model.json"


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _layers(data: dict) -> list:
    return data["modelTopology"]["model_config"]["config"]["layers"]


def test_a_real_model_loads_with_every_weight_assigned(slim_copy):
    model = load_layers_model(slim_copy)
    assert model.count_params() == get_spec("esrgan-slim/2x").parameters
    out = model(np.zeros((1, 8, 10, 3), np.float32)).numpy()
    assert out.shape == (1, 16, 20, 3)


@pytest.mark.parametrize("class_name", ["Lambda", "TFOpLambda"])
def test_code_running_layers_are_refused(slim_copy, class_name):
    _edit(slim_copy, lambda d: _layers(d)[3].update(class_name=class_name))
    with pytest.raises(UnsupportedLayerError, match=f"'{class_name}'.*runs arbitrary code"):
        load_layers_model(slim_copy)


def test_unknown_layer_type_is_named_with_the_supported_set(slim_copy):
    _edit(slim_copy, lambda d: _layers(d)[2].update(class_name="FancyAttention"))
    with pytest.raises(UnsupportedLayerError) as info:
        load_layers_model(slim_copy)
    assert "FancyAttention" in str(info.value)
    assert all(name in str(info.value) for name in SUPPORTED_LAYERS)


def test_unused_weight_is_an_error(slim_copy):
    def add_weight(data):
        data["weightsManifest"][0]["weights"].append({"name": "stray/kernel", "shape": [1], "dtype": "float32"})

    _edit(slim_copy, add_weight)
    shard = slim_copy.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes() + b"\0\0\0\0")
    with pytest.raises(ModelFormatError, match="used by no layer.*stray/kernel"):
        load_layers_model(slim_copy)


def test_weight_shape_mismatch_is_an_error(slim_copy):
    def grow_kernel(data):
        conv = next(layer for layer in _layers(data) if layer["class_name"] == "Conv2D")
        conv["config"]["kernel_size"] = [5, 5]

    _edit(slim_copy, grow_kernel)
    with pytest.raises(ModelFormatError, match=r"declares a kernel of shape \(5, 5, .*but the weights hold \(3, 3, "):
        load_layers_model(slim_copy)


def test_inconsistent_topology_is_a_format_error(slim_copy):
    def grow_filters(data):
        conv = next(layer for layer in _layers(data) if layer["class_name"] == "Conv2D")
        conv["config"]["filters"] += 1

    _edit(slim_copy, grow_filters)  # checked against the weights before Keras builds (and allocates) the layer
    with pytest.raises(ModelFormatError, match="declares a kernel of shape .*the topology and the weights do not belong together"):
        load_layers_model(slim_copy)


def test_invalid_json_and_missing_topology(slim_copy):
    slim_copy.write_text("{not json")
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        load_layers_model(slim_copy)
    slim_copy.write_text(json.dumps({"weightsManifest": []}))
    with pytest.raises(ModelFormatError, match="modelTopology"):
        load_layers_model(slim_copy)


def test_truncated_and_missing_shard_of_a_real_model(slim_copy):
    shard = slim_copy.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:1000])
    with pytest.raises(ModelFormatError, match="truncated"):
        load_layers_model(slim_copy)
    shard.unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        load_layers_model(slim_copy)


def test_sequential_pixel_upsampler_builds():
    model = load_layers_model(store.model_json_path(get_spec("pixel-upsampler/x4")))
    image = np.arange(2 * 3 * 3, dtype=np.float32).reshape(1, 2, 3, 3)
    np.testing.assert_array_equal(model(image).numpy(), image.repeat(4, 1).repeat(4, 2))
