"""Score and time the candidates on a central crop of the user's picture, with the classical rows beside them.

Upscalers follow the reference protocol with the picture as the original
(:func:`explorer.quality.evaluate.reference_pair` and :func:`~explorer.quality.evaluate.score`:
the crop is shrunk by the scale, enlarged again by each model and by Pillow's
filters, and compared with the crop). Restoration models follow the
restoration benchmark (:mod:`explorer.quality.restoration`): the crop is
degraded synthetically, restored by each model, by nothing and by the task's
classical filters, and compared with the clean crop.

A model's time is its warm call on the crop (the first call, which traces the
model for that size, is not timed; a second call is),
scaled by pixels to the whole picture: ``seconds`` estimates one whole-picture
run on this machine. Classical rows are timed on the crop and scaled the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from explorer.engine.registry import ModelSpec
from explorer.engine.upscaler import Upscaler
from explorer.quality.degrade import degrade
from explorer.quality.evaluate import COLUMNS, reference_pair, score, score_row
from explorer.quality.restoration import baseline_restorations

__all__ = [
    "DEGRADE_KEY",
    "RESTORATION_CROP",
    "Measured",
    "central_crop",
    "crop_side",
    "measure_restoration",
    "measure_upscaling",
]

RESTORATION_CROP = 128
"""Side of the crop restoration models are scored on: ``bench restoration``'s default (MAXIM is slow on a CPU)."""

DEGRADE_KEY = "recommend"
"""Seeds the random degradations (noise, rain), so the same picture gives the same table."""


Check = Callable[[str], None]


@dataclass(frozen=True)
class Measured:
    """What :func:`measure_upscaling` and :func:`measure_restoration` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method (and precision), columns :data:`explorer.quality.evaluate.COLUMNS`
        and ``precision`` (``exact``/``fast`` for models, empty for the rest), with ``seconds``
        scaled to the whole picture.
    crop : tuple of int
        ``(height, width)`` of the crop the scores are on.
    degradation : str or None
        The synthetic degradation (restoration), else None.
    notes : tuple of str
        Why a precision asked for was not measured (the fast verdicts that said exact).
    """

    table: pd.DataFrame
    crop: tuple[int, int]
    degradation: str | None = None
    notes: tuple[str, ...] = ()


def crop_side(scale: int) -> int:
    """Side of the crop scored for a scale: 192, or 64 pixels of low-resolution input for larger scales.

    Restoration (scale 1) uses :data:`RESTORATION_CROP`.
    """
    return RESTORATION_CROP if scale == 1 else max(192, 64 * scale)


def central_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """The central ``side``×``side`` region (the whole side where the picture is smaller)."""
    height, width = rgb.shape[:2]
    box_h, box_w = min(height, side), min(width, side)
    top, left = (height - box_h) // 2, (width - box_w) // 2
    return np.ascontiguousarray(rgb[top : top + box_h, left : left + box_w])


def measure_upscaling(
    rgb: np.ndarray, specs: Sequence[ModelSpec], scale: int, *, side: int, check: Check, status: Check | None = None,
    precisions: Sequence[str] = ("exact",),
) -> Measured:  # fmt: skip
    """Reference-protocol scores and warm times of upscalers and Pillow's filters on a crop of ``rgb``.

    ``check`` is called with what is about to run (it may stop the work by raising).
    """
    reference, low = reference_pair(central_crop(rgb, side), scale)
    runs, notes = _model_runs(specs, low, precisions, check, status)
    exact = {spec_id: run for (spec_id, precision), run in runs.items() if precision == "exact"}
    tables = [score(reference, low, scale, exact)[0].assign(precision=lambda t: _precisions(t))]
    for (spec_id, precision), run in runs.items():
        if precision != "exact":
            tables.append(score(reference, low, scale, {spec_id: run}, baselines=())[0].assign(precision=precision))
    return Measured(_scaled(pd.concat(tables, ignore_index=True), rgb, low), reference.shape[:2], notes=notes)


def measure_restoration(
    rgb: np.ndarray, specs: Sequence[ModelSpec], task: str, degradation: str, *, side: int, check: Check,
    status: Check | None = None, precisions: Sequence[str] = ("exact",),
) -> Measured:  # fmt: skip
    """Restoration-benchmark scores and warm times of models, doing nothing and classical filters on a crop of ``rgb``."""
    clean = central_crop(rgb, side)
    degraded = degrade(clean, degradation, key=DEGRADE_KEY)
    runs, notes = _model_runs(specs, degraded, precisions, check, status, f" degraded by {degradation}")
    rows = [
        {**score_row(spec_id, "model", output, clean, 1, seconds, crop_border=0), "precision": precision}
        for (spec_id, precision), (output, seconds) in runs.items()
    ]
    check(f"Running the classical filters for {task}")
    rows += [{**row, "precision": ""} for row in baseline_restorations(clean, degraded, task)[0]]
    table = pd.DataFrame(rows, columns=[*COLUMNS, "precision"])
    return Measured(_scaled(table, rgb, clean), clean.shape[:2], degradation, notes)


def _precisions(table: pd.DataFrame) -> list[str]:
    return ["exact" if kind == "model" else "" for kind in table["kind"]]


def _model_runs(
    specs: Sequence[ModelSpec], pixels: np.ndarray, precisions: Sequence[str], check: Check, status: Check | None,
    what: str = "",
) -> tuple[dict[tuple[str, str], tuple[np.ndarray, float]], tuple[str, ...]]:  # fmt: skip
    """``{(model id, precision): (output, warm seconds)}`` and why a fast precision was left out where it was.

    A ``fast`` Upscaler that runs exact on this CPU (no bf16 units, or bf16 measured unfaithful or not
    faster) would only repeat the exact row, so it gets none: its verdict is kept as a note instead.
    """
    runs, notes = {}, []
    for spec in specs:
        for precision in precisions:
            check(f"Running {spec.short_id} ({precision}) on a {pixels.shape[1]}×{pixels.shape[0]} crop{what}")
            upscaler = Upscaler(spec, status=status, precision=precision)
            if upscaler.fast is not None and not upscaler.fast.used:
                notes.append(f"{spec.short_id} fast precision: {upscaler.fast.reason}.")
                continue
            runs[spec.id, precision] = _warm_run(upscaler, pixels)
    return runs, tuple(notes)


def _warm_run(upscaler: Upscaler, pixels: np.ndarray) -> tuple[np.ndarray, float]:
    """The model's output on ``pixels`` and the time of a warm call (the first, tracing call is not timed)."""
    output = upscaler.run(pixels).image
    return output, upscaler.run(pixels).report.total_seconds


def _scaled(table: pd.DataFrame, rgb: np.ndarray, crop_input: np.ndarray) -> pd.DataFrame:
    """``seconds`` on the crop's input scaled by pixels to the whole picture's input."""
    factor = (rgb.shape[0] * rgb.shape[1]) / (crop_input.shape[0] * crop_input.shape[1])
    return table.assign(seconds=table["seconds"] * factor)
