"""Runtimes side by side: one model's raw call in every runtime that can run it here, timed in one process.

The same traced function runs in TensorFlow (fp32, the reference), OpenVINO
at f32 and at bf16 (where ``openvino`` is installed; layers and Keras models),
and TensorFlow with its convolutions in bf16
(:func:`explorer.engine.runtimes.tensorflow_bf16`). The calls are interleaved,
so a busy CPU slows them all alike. Each output is compared with TensorFlow
fp32's after the model's rounding: f32 runtimes should differ by nothing, bf16
ones by a level or two. ONNX Runtime is not measured: running these models in
it needs a TensorFlow-to-ONNX converter, which is not among the project's
dependencies.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from explorer.engine.precision import measure_fidelity
from explorer.engine.runner import ModelRunner
from explorer.engine.runtimes import OpenVinoFunction, TracedFunction, interleaved_seconds, openvino_installed, tensorflow_bf16

__all__ = ["RUNTIME_COLUMNS", "side_by_side"]

RUNTIME_COLUMNS = (
    "tf_ms", "openvino_ms", "openvino_max_levels", "openvino_bf16_ms", "openvino_bf16_psnr_db",
    "openvino_bf16_max_levels", "tf_bf16_ms", "tf_bf16_psnr_db", "tf_bf16_max_levels",
)  # fmt: skip
"""What :func:`side_by_side` measures (missing where a runtime cannot run the model)."""

_COLUMN_NAMES = {"tensorflow": "tf", "openvino": "openvino", "openvino bf16": "openvino_bf16", "tensorflow bf16": "tf_bf16"}


def side_by_side(runner: ModelRunner, image: np.ndarray, repeats: int = 3) -> dict[str, float]:
    """Time ``runner``'s model on ``image`` (H×W×3 uint8, padded as the model needs) in every runtime available.

    Returns
    -------
    dict
        Some of :data:`RUNTIME_COLUMNS`: milliseconds per call (median of
        ``repeats`` interleaved calls), and for every runtime but TensorFlow
        fp32 its largest level difference from it (bf16 ones: also PSNR).
    """
    batch = runner.to_input_range(runner.pad(image, None)[None])
    functions = _runtimes(runner)
    seconds = interleaved_seconds(functions, batch, repeats)
    reference = runner.to_pixels(functions["tensorflow"](batch)[0])
    row: dict[str, float] = {}
    for name, function in functions.items():
        column = _COLUMN_NAMES[name]
        row[f"{column}_ms"] = seconds[name] * 1e3
        if name == "tensorflow":
            continue
        fidelity = measure_fidelity([reference], [runner.to_pixels(function(batch)[0])])
        row[f"{column}_max_levels"] = fidelity.max_levels
        if name.endswith("bf16"):
            row[f"{column}_psnr_db"] = fidelity.psnr_db
    return row


def _runtimes(runner: ModelRunner) -> dict[str, Callable]:
    file = runner.model.file
    traced = TracedFunction(file.forward, polymorphic=True)
    functions: dict[str, Callable] = {"tensorflow": traced}
    if file.keras_model is not None and openvino_installed():  # graph models (MAXIM) stay out of OpenVINO
        traced(runner.to_input_range(np.zeros((1, 8, 8, 3), np.uint8)))  # trace, to have a function to convert
        concrete = traced.concrete()
        if concrete is not None:
            functions["openvino"] = OpenVinoFunction(concrete)
            functions["openvino bf16"] = OpenVinoFunction(concrete, "bf16")
    functions["tensorflow bf16"] = tensorflow_bf16(file.path)
    return functions
