"""Reference mode for restoration models: degrade a clean image, restore it, score against the clean one.

:func:`evaluate_restoration` takes a clean image, applies one of
:data:`~explorer.quality.degrade.DEGRADATIONS` (made for the model's task),
runs the model on the degraded image, and scores its output, the degraded image
itself (``none``: doing nothing) and every classical filter of that task
(:data:`~explorer.quality.degrade.CLASSICAL`) against the clean image with the
same measures as the upscalers' reference mode: PSNR/SSIM on Y and RGB, GMSD
and the high-frequency energy ratio (cutoff 0.25 cycles per pixel), with no
border cropped (a restoration model keeps the image size).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from explorer.engine.images import ImageInput, load_image
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError
from explorer.quality.degrade import DEGRADATIONS, degrade, restore_classically
from explorer.quality.evaluate import COLUMNS, score_row

__all__ = ["RestorationEvaluation", "baseline_restorations", "degradations_for", "evaluate_restoration"]


@dataclass(frozen=True)
class RestorationEvaluation:
    """The result of :func:`evaluate_restoration`.

    Attributes
    ----------
    model : str
        Id of the model evaluated.
    degradation : str
        The degradation applied (a key of :data:`~explorer.quality.degrade.DEGRADATIONS`).
    table : pandas.DataFrame
        One row per method (the model, ``none``, then the classical filters),
        columns :data:`explorer.quality.evaluate.COLUMNS`; ``kind`` is
        ``"model"``, ``"input"`` (do nothing) or ``"baseline"``.
    reference, degraded : ndarray
        The clean image and what the model was given (H×W×3 uint8).
    outputs : dict of str to ndarray
        Method -> its output.
    """

    model: str
    degradation: str
    table: pd.DataFrame = field(repr=False)
    reference: np.ndarray = field(repr=False)
    degraded: np.ndarray = field(repr=False)
    outputs: dict[str, np.ndarray] = field(repr=False)


def degradations_for(task: str) -> list[str]:
    """The degradations that test a task (empty for retouching: see :mod:`explorer.quality.degrade`)."""
    return [d.name for d in DEGRADATIONS.values() if d.task == task]


def baseline_restorations(reference: np.ndarray, degraded: np.ndarray, task: str) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Score doing nothing and every classical filter of ``task``.

    Returns
    -------
    tuple
        ``(rows, outputs)``: table rows and method -> image.
    """
    rows = [score_row("none", "input", degraded, reference, 1, 0.0, crop_border=0)]
    outputs = {"none": degraded}
    started = time.perf_counter()
    for name, output in restore_classically(degraded, task).items():
        outputs[name] = output
        rows.append(score_row(name, "baseline", output, reference, 1, time.perf_counter() - started, crop_border=0))
        started = time.perf_counter()
    return rows, outputs


def evaluate_restoration(
    model: str | ModelSpec | Upscaler,
    clean_image: ImageInput,
    degradation: str | None = None,
    *,
    key: str = "",
    patch_size: int | None = None,
    padding: int | None = None,
) -> RestorationEvaluation:
    """Score a restoration model and the classical filters on a synthetically degraded clean image.

    Parameters
    ----------
    model : str, ModelSpec or Upscaler
        A restoration model (scale 1) whose task has a degradation.
    clean_image : path, bytes, PIL.Image.Image or ndarray
        The ground truth.
    degradation : str, optional
        One of :func:`degradations_for` the model's task (default: the first).
    key : str, default ""
        Seeds random degradations (noise, rain), so a run can be repeated.
    patch_size, padding : int, optional
        Patch settings for the model (as :meth:`Upscaler.upscale`).

    Raises
    ------
    ExplorerError
        If the model upscales, its task has no synthetic degradation, or the
        degradation is for another task.
    """
    spec = model.spec if isinstance(model, Upscaler) else get_spec(model)
    choices = degradations_for(spec.task)
    if spec.scale != 1 or not choices:
        raise ExplorerError(
            f"{spec.id} ({spec.task}) cannot be scored on a synthetic degradation; restoration reference mode covers "
            f"{', '.join(sorted({d.task for d in DEGRADATIONS.values()}))} (upscalers: use explorer.quality.evaluate)."
        )
    name = degradation or choices[0]
    if name not in choices:
        raise ExplorerError(f"{name!r} does not test {spec.task}; choose from {', '.join(choices)}.")
    reference = load_image(clean_image).rgb
    degraded = degrade(reference, name, key=key)
    upscaler = model if isinstance(model, Upscaler) else Upscaler(spec)
    started = time.perf_counter()
    result = upscaler.run(degraded, patch_size=patch_size, padding=padding)
    row = score_row(spec.id, "model", result.image, reference, 1, time.perf_counter() - started, crop_border=0)
    more, outputs = baseline_restorations(reference, degraded, spec.task)
    table = pd.DataFrame([row, *more], columns=list(COLUMNS))
    return RestorationEvaluation(spec.id, name, table, reference, degraded, {spec.id: result.image, **outputs})
