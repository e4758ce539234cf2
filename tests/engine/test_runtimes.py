"""How models run: one trace per model, batches of patches, and OpenVINO only where it is exact."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.engine import runner
from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.detect import load_model_file
from explorer.engine.resolve import resolve
from explorer.engine.runner import LoadedModel, ModelRunner
from explorer.engine.runtimes import OpenVinoFunction, TracedFunction, record_choice, recorded_choice
from explorer.engine.tiling import plan_patches
from explorer.errors import SettingsError
from tests.app.conftest import EXAMPLE

openvino_missing = importlib.util.find_spec("openvino") is None


def photo(height: int, width: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Image.open(EXAMPLE).convert("RGB"))[:height, :width])


def fresh_runner(model: str, precision: str = "exact") -> ModelRunner:
    """A runner on its own copy of the model, so a runtime chosen here stays out of the shared loaded models."""
    resolved = resolve(model)
    return ModelRunner(resolved.spec, LoadedModel(file=load_model_file(resolved.path), load_seconds=0.0), precision)


def fixed_shape_output(upscaler: Upscaler, pixels: np.ndarray) -> np.ndarray:
    """The old path: a function traced for exactly this input shape."""
    tf = import_tensorflow()
    forward = upscaler.model_file.forward
    function = tf.function(forward, input_signature=[tf.TensorSpec([1, *pixels.shape[:2], 3], tf.float32)])
    scale = 1 / 255 if upscaler.spec.input_range[1] == 1 else 1
    raw = function(pixels[None].astype(np.float32) * np.float32(scale)).numpy()[0]
    high = upscaler.spec.output_range[1]
    return np.rint(np.clip(raw, 0, high) * np.float32(255 / high)).astype(np.uint8)


@pytest.mark.parametrize("model", ["default-model", "esrgan-slim/4x"])
def test_one_trace_serves_every_size_with_the_fixed_shape_pixels(model):
    runner_ = fresh_runner(model)
    upscaler = Upscaler(model)
    for index, (height, width) in enumerate([(48, 64), (37, 52), (96, 128)]):
        pixels = photo(height, width)
        output, traced = runner_(pixels)
        assert traced == (index == 0)  # traced on the model's first call only, not per size
        expected = fixed_shape_output(upscaler, pixels)
        # Another traced graph may pick other convolution kernels: at most one level apart after rounding.
        assert np.abs(output.astype(np.int16) - expected).max() <= 1
    assert runner_.model.traced.polymorphic


def test_a_model_that_needs_its_shape_is_traced_per_shape():
    tf = import_tensorflow()

    def forward(batch):  # sizes read while tracing, as some graphs do: fails with unknown sides
        return tf.image.resize(batch, (2 * batch.shape[1], 2 * batch.shape[2]), method="nearest")

    function = TracedFunction(forward, polymorphic=True)
    batch = np.random.default_rng(0).random((2, 4, 6, 3), np.float32)
    output, traced = function(batch)
    assert traced and not function.polymorphic and function.concrete() is None
    np.testing.assert_array_equal(output, np.repeat(np.repeat(batch, 2, axis=1), 2, axis=2))
    assert function(batch)[1] is False  # the same shape again: no new trace
    assert function(batch[:, :3])[1] is True  # a new shape: a new trace
    graph_like = TracedFunction(forward, polymorphic=False)
    assert graph_like(batch)[1] and not graph_like(batch)[1]


def test_batched_patches_equal_one_by_one(monkeypatch):
    upscaler = Upscaler("esrgan-slim/2x")
    pixels = photo(96, 128)
    steps = []
    batched = upscaler.run(pixels, patch_size=32, padding=4, progress=lambda done, total: steps.append((done, total)))
    plan = plan_patches(96, 128, 32, 4)
    assert batched.report.batch == min(len(plan), runner.MAX_BATCH, runner.BATCH_PIXELS // (32 * 32)) > 1
    assert batched.report.patches == len(plan)
    assert steps == [(done, len(plan)) for done in range(1, len(plan) + 1)]  # the progress bar still moves per patch
    assert len(batched.report.patch_seconds) == len(plan)
    monkeypatch.setattr(runner, "BATCH_PIXELS", 1)
    single = upscaler.run(pixels, patch_size=32, padding=4)
    assert single.report.batch == 1
    difference = np.abs(batched.image.astype(np.int16) - single.image)
    # A batch of N may run other convolution kernels than a batch of 1: one level at most, and rarely.
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-3


def test_a_stack_of_patches_comes_back_as_a_stack():
    runner_ = fresh_runner("pixel-upsampler/x2")
    stack = np.stack([photo(16, 16), photo(32, 32)[16:, 16:]])
    outputs, _ = runner_(stack)
    assert outputs.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(outputs[1], runner_(stack[1])[0])
    np.testing.assert_array_equal(outputs[0], np.repeat(np.repeat(stack[0], 2, axis=0), 2, axis=1))


def test_tensorflow_mode_never_tries_openvino(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_RUNTIME", "tensorflow")
    runner_ = fresh_runner("default-model")
    assert runner_.choose_runtime() == "TensorFlow" and runner_.runtime == "tensorflow"


def test_a_bad_runtime_setting_is_named(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_RUNTIME", "cuda")
    with pytest.raises(SettingsError, match="UPSCALER_EXPLORER_RUNTIME='cuda'.*'auto', 'tensorflow' or 'openvino'"):
        fresh_runner("default-model").choose_runtime()


def test_verdicts_are_kept_in_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path))
    assert recorded_choice("model|cpu") is None
    record_choice("model|cpu", "tensorflow", "TensorFlow (not faster)")
    record_choice("other|cpu", "openvino", "OpenVINO (faster)")
    assert recorded_choice("model|cpu") == {"runtime": "tensorflow", "note": "TensorFlow (not faster)"}
    assert recorded_choice("other|cpu")["runtime"] == "openvino"
    (tmp_path / "runtimes.json").write_text("{not json")
    assert recorded_choice("model|cpu") is None  # a damaged file only means measuring again


def openvino_pixels(runner_: ModelRunner, pixels: np.ndarray) -> np.ndarray:
    """What OpenVINO (f32) makes of ``pixels`` with this runner's traced function, converted apart from it."""
    runner_.model.traced(runner_.to_input_range(pixels[None]))  # make sure it is traced
    candidate = OpenVinoFunction(runner_.model.traced.concrete())
    return runner_.to_pixels(candidate(runner_.to_input_range(pixels[None]))[0][0])


@pytest.mark.skipif(openvino_missing, reason="openvino is not installed (pip install openvino)")
def test_openvino_when_forced_runs_only_where_its_pixels_are_tensorflows(monkeypatch):
    """OpenVINO's f32 kernels sum in another order: on some CPUs (AVX-512) its rounded pixels equal TensorFlow's, on
    others (AVX2) a few differ by a level. Forced, it runs exactly where they are equal, and where they differ the
    note says so and TensorFlow keeps running."""
    monkeypatch.setenv("UPSCALER_EXPLORER_RUNTIME", "openvino")
    runner_ = fresh_runner("default-model")
    note = runner_.choose_runtime()
    probe = photo(96, 128)  # the largest of the runner's own probes
    tensorflow_pixels = runner_.to_pixels(runner_.model.traced(runner_.to_input_range(probe[None]))[0][0])
    if runner_.runtime == "openvino":
        assert note.startswith("OpenVINO (same pixels")
        np.testing.assert_array_equal(runner_(probe)[0], tensorflow_pixels)
        pixels = photo(80, 112)
        np.testing.assert_array_equal(runner_(pixels)[0], fixed_shape_output(Upscaler("default-model"), pixels))
    else:
        assert runner_.runtime == "tensorflow" and note.startswith("TensorFlow (OpenVINO's pixels differ on"), note
        differs = np.abs(openvino_pixels(runner_, probe).astype(np.int16) - tensorflow_pixels)
        assert 0 < differs.max() <= 2  # the reason given is true, and it is rounding, not a wrong model


@pytest.mark.skipif(openvino_missing, reason="openvino is not installed (pip install openvino)")
def test_auto_measures_once_and_keeps_the_verdict(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSCALER_EXPLORER_RUNTIME", "auto")
    first, second = fresh_runner("esrgan-slim/2x"), fresh_runner("esrgan-slim/2x")
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path))  # the verdict goes here; the models are loaded
    note = first.choose_runtime()
    # Measured: same pixels and how fast, or which crop's pixels differ (then TensorFlow runs).
    assert ("× TensorFlow's time" in note) or (note.startswith("TensorFlow (OpenVINO's pixels differ on") and first.runtime == "tensorflow"), note
    kept = next(iter(json.loads((tmp_path / "runtimes.json").read_text()).values()))
    assert kept["runtime"] == first.runtime and kept["note"] == note
    assert second.choose_runtime().endswith("(measured earlier on this machine)") and second.runtime == first.runtime
