"""The spec of your own model: a TF.js model.json (path, folder or URL) or a Keras ``.keras``/``.h5`` file.

:func:`explorer.engine.resolve.resolve` finds the file; this module says what it is.

What the file does not say is inferred or given: the scale is found by running
a small probe and comparing output to input size (override with ``scale=``),
the input range defaults to ``[0, 255]`` (``input_range=``), and the side
multiple defaults to none (``divisibility_factor=``). The same safety rules as
for registry models apply: no code-running layers, size caps on downloads.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from explorer.engine.formats.detect import detect_format
from explorer.engine.registry import ModelSpec
from explorer.engine.runner import LoadedModel
from explorer.errors import ExplorerError, ModelFormatError

__all__ = ["MAX_SCALE", "check_overrides", "custom_spec", "parse_range", "probe_scale", "with_file_facts"]


MAX_SCALE = 16
"""The largest scale a model may have (the registry's largest is 8): a model that claims more is refused."""


def parse_range(text: str | Sequence[float]) -> tuple[float, float]:
    """Parse ``"0,1"`` (or a pair) into an input range; only [0, 1] and [0, 255] exist."""
    values = text.split(",") if isinstance(text, str) else list(text)
    try:
        low, high = (float(v) for v in values)
    except ValueError as exc:
        raise ExplorerError(f"An input range is two numbers such as 0,255 or 0,1; got {text!r}.") from exc
    if (low, high) not in ((0.0, 1.0), (0.0, 255.0)):
        raise ExplorerError(f"Input range {low:g},{high:g} is not supported: use 0,255 (pixels) or 0,1 (unit range).")
    return (low, high)


def check_overrides(
    scale: int | None = None, input_range: str | Sequence[float] | None = None, divisibility_factor: int | None = None
) -> None:
    """Refuse bad settings for a user's model before anything is fetched or loaded.

    Raises
    ------
    ExplorerError
        A scale outside 1..:data:`MAX_SCALE`, an unsupported input range, or a
        divisibility factor below 1.
    """
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE):
        raise ExplorerError(f"scale must be a whole number from 1 to {MAX_SCALE}, got {scale!r}.")
    if input_range is not None:
        parse_range(input_range)
    if divisibility_factor is not None and (
        isinstance(divisibility_factor, bool) or not isinstance(divisibility_factor, int) or divisibility_factor < 1
    ):
        raise ExplorerError(f"divisibility_factor must be a whole number >= 1, got {divisibility_factor}.")


def custom_spec(
    model: str | os.PathLike,
    model_file: Path,
    *,
    input_range: str | Sequence[float] | None = None,
    divisibility_factor: int | None = None,
) -> ModelSpec:
    """A provisional spec for a user's model file (scale unknown until probed)."""
    check_overrides(None, input_range, divisibility_factor)
    value_range = parse_range(input_range) if input_range is not None else (0.0, 255.0)
    return ModelSpec(
        id=os.fspath(model),
        package="",
        version="",
        integrity="",
        export="",
        path=str(model_file),
        scale=0,
        model_type=detect_format(model_file).removeprefix("tfjs-"),
        input_range=value_range,
        output_range=value_range,
        task="custom",
        divisibility_factor=divisibility_factor,
        platforms=(),
        title=Path(model_file).parent.name if model_file.name == "model.json" else model_file.stem,
    )


def _refuse_huge_outputs(spec: ModelSpec, loaded: LoadedModel, height: int, width: int) -> None:
    """Work out a Keras-built model's output size without running it, and refuse absurd scales before the probe."""
    if loaded.file.keras_model is None:
        return
    try:
        shape = loaded.file.keras_model.compute_output_shape((1, height, width, 3))
    except Exception:  # noqa: BLE001 - the probe itself will report a model that cannot run
        return
    if len(shape) == 4 and all(isinstance(d, int) for d in shape[1:3]) and shape[1] * shape[2] > height * width * MAX_SCALE**2:
        raise ModelFormatError(
            f"{spec.id} would turn a {width}x{height} probe into {shape[2]}x{shape[1]} pixels: more than "
            f"{MAX_SCALE}x, which no image model needs. Check its upsampling layers."
        )


def probe_scale(spec: ModelSpec, loaded: LoadedModel) -> int:
    """Run a small non-square probe and return output size over input size.

    Raises
    ------
    ModelFormatError
        If the model fails on the probe, or the two sides scale differently or
        by a non-whole factor.
    """
    side = spec.divisibility_factor or 16
    height, width = side, 2 * side
    _refuse_huge_outputs(spec, loaded, height, width)
    try:
        output = np.asarray(loaded.file.forward(np.zeros((1, height, width, 3), np.float32)))
    except Exception as exc:  # any TensorFlow failure on the probe means we cannot infer the scale
        raise ModelFormatError(
            f"Running {spec.id} on a {width}x{height} probe failed ({type(exc).__name__}); "
            "give the scale yourself (scale=N / --scale N), and a divisibility factor if sides must be multiples of one."
        ) from exc
    if output.ndim != 4 or output.shape[-1] != 3:
        raise ModelFormatError(f"{spec.id} returned shape {output.shape}; an image model must return (1, H, W, 3).")
    scale_y, scale_x = output.shape[1] / height, output.shape[2] / width
    if scale_y != scale_x or not scale_y.is_integer() or not 1 <= scale_y <= MAX_SCALE:
        raise ModelFormatError(
            f"{spec.id} turns {height}x{width} into {output.shape[1]}x{output.shape[2]}: not one whole scale. "
            f"Only models that scale both sides by the same whole factor, 1 to {MAX_SCALE}, are supported."
        )
    return int(scale_y)


def with_file_facts(spec: ModelSpec, loaded: LoadedModel, scale: int | None) -> ModelSpec:
    """Complete a provisional spec with its scale (given or probed), parameters and size."""
    check_overrides(scale)
    return replace(
        spec,
        scale=scale or probe_scale(spec, loaded),
        parameters=loaded.file.parameters,
        size_bytes=loaded.file.size_bytes,
    )
