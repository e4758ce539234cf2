"""Reference mode: score a model against a high-resolution image it has never seen.

Given a high-resolution (HR) image, :func:`evaluate`

1. mod-crops it to a multiple of the model's scale (:func:`mod_crop`: pixels
   are dropped on the right and bottom, as MATLAB's ``modcrop`` does);
2. downscales it by the scale with Pillow's bicubic resampling
   (:func:`downscale`). Pillow's ``resize`` is **antialiased**: when shrinking it
   widens the cubic kernel (a = -0.5) by the factor, like MATLAB's ``imresize``
   with its default antialiasing, the way most SR training and test sets are
   made. A plain bicubic interpolation that samples without widening the
   kernel would alias and make every upscaler look worse;
3. upscales the low-resolution (LR) image with the model, and with the
   baselines ``nearest``, ``bilinear``, ``bicubic`` and ``lanczos`` (Pillow's
   filters) at the same scale;
4. scores every output against the mod-cropped HR image with
   :mod:`explorer.quality.metrics`: PSNR and SSIM on the BT.601 luma (``psnr_y``,
   ``ssim_y``) and on RGB (``psnr_rgb``, ``ssim_rgb``), GMSD (``gmsd``: do the
   edges agree? lower is better) and the high-frequency energy ratio
   (``hf_ratio``: 1 is as much fine detail as the original, bicubic is far
   below), cropping ``scale`` pixels from every side.

Outputs are the rounded uint8 images each method produces.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from PIL import Image

from explorer.engine.images import RESAMPLING, ImageInput, load_image
from explorer.engine.limits import WorkLimits
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.upscaler import Upscaler
from explorer.errors import EvaluationError
from explorer.quality import metrics

__all__ = [
    "BASELINES",
    "COLUMNS",
    "EvaluationError",
    "Evaluation",
    "downscale",
    "evaluate",
    "min_side",
    "mod_crop",
    "reference_pair",
    "score",
    "score_row",
    "upscale_baseline",
]

BASELINES: Mapping[str, Image.Resampling] = RESAMPLING
"""The classical upscalers every model is compared with: Pillow's filters by name (:data:`explorer.engine.images.RESAMPLING`)."""

COLUMNS = ("method", "kind", "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio", "seconds")
"""Columns of :attr:`Evaluation.table`, in order."""


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`.

    Attributes
    ----------
    model : str
        Id of the model evaluated.
    scale : int
        Its upscaling factor.
    table : pandas.DataFrame
        One row per method (the model first, then the baselines) with the
        columns ``method`` (model id or baseline name), ``kind`` (``"model"``
        or ``"baseline"``), ``psnr_y``, ``ssim_y``, ``psnr_rgb``, ``ssim_rgb``,
        ``gmsd``, ``hf_ratio`` and ``seconds`` (wall time to produce the output; for the model it
        includes tracing it if this input size is new to the process).
    reference : ndarray
        The mod-cropped HR image (H×W×3 uint8) every output is scored against.
    low_resolution : ndarray
        The downscaled input (H/scale × W/scale × 3 uint8).
    outputs : dict of str to ndarray
        Method -> its upscaled uint8 image, the shape of ``reference``.
    """

    model: str
    scale: int
    table: pd.DataFrame = field(repr=False)
    reference: np.ndarray = field(repr=False)
    low_resolution: np.ndarray = field(repr=False)
    outputs: dict[str, np.ndarray] = field(repr=False)


def min_side(scale: int) -> int:
    """Smallest HR side that can be scored at ``scale``: the SSIM window plus a border crop on each side."""
    return metrics.SSIM_WINDOW + 2 * scale


def mod_crop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop an image to sides that are multiples of ``scale``.

    Parameters
    ----------
    image : ndarray
        H×W or H×W×C array.
    scale : int
        The upscaling factor (>= 1).

    Returns
    -------
    ndarray
        ``image[:H - H % scale, :W - W % scale]`` (a view): the right and
        bottom remainders are dropped, as MATLAB's ``modcrop`` does.
    """
    _check_scale(scale)
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        raise EvaluationError("mod_crop needs an H×W or H×W×C numpy array.")
    height, width = image.shape[:2]
    if height < scale or width < scale:
        raise EvaluationError(f"A {width}×{height} image is smaller than the scale {scale}; use a larger image.")
    return image[: height - height % scale, : width - width % scale]


def downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """Shrink an image by an integer factor with Pillow's antialiased bicubic resampling.

    Parameters
    ----------
    hr : ndarray
        H×W×3 uint8 image whose sides are multiples of ``scale``
        (see :func:`mod_crop`).
    scale : int
        The factor (>= 1).

    Returns
    -------
    ndarray
        (H/scale)×(W/scale)×3 uint8, rounded by Pillow.

    Notes
    -----
    Pillow widens the bicubic kernel by the factor when shrinking, which
    averages away detail that the smaller grid cannot hold (antialiasing),
    as MATLAB's ``imresize`` does by default.
    """
    _check_rgb(hr, "hr")
    _check_scale(scale)
    height, width = hr.shape[:2]
    if height % scale or width % scale:
        raise EvaluationError(
            f"The {width}×{height} image is not a multiple of the scale {scale}; mod_crop(image, {scale}) it first."
        )
    small = Image.fromarray(hr).resize((width // scale, height // scale), Image.Resampling.BICUBIC)
    return np.asarray(small)


def upscale_baseline(low_resolution: np.ndarray, scale: int, method: str) -> np.ndarray:
    """Enlarge an image ``scale`` times with one of :data:`BASELINES`.

    Parameters
    ----------
    low_resolution : ndarray
        H×W×3 uint8.
    scale : int
        The factor.
    method : {"nearest", "bilinear", "bicubic", "lanczos"}
        The Pillow filter.

    Returns
    -------
    ndarray
        (H·scale)×(W·scale)×3 uint8.
    """
    if method not in BASELINES:
        raise EvaluationError(f"Unknown baseline {method!r}; choose one of {', '.join(BASELINES)}.")
    _check_rgb(low_resolution, "low_resolution")
    height, width = low_resolution.shape[:2]
    big = Image.fromarray(low_resolution).resize((width * scale, height * scale), BASELINES[method])
    return np.asarray(big)


def reference_pair(hr_image: ImageInput, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """The mod-cropped reference and its downscaled low-resolution input.

    Parameters
    ----------
    hr_image : path, bytes, PIL.Image.Image or ndarray
        The high-resolution image (any input :func:`explorer.engine.images.load_image`
        takes; alpha is dropped, grayscale is scored as RGB).
    scale : int
        The upscaling factor.

    Returns
    -------
    tuple of ndarray
        ``(reference, low_resolution)``, both uint8 RGB.
    """
    _check_scale(scale)
    rgb = load_image(hr_image).rgb
    need = min_side(scale)
    if min(rgb.shape[:2]) < need:
        raise EvaluationError(
            f"The HR image is {rgb.shape[1]}×{rgb.shape[0]}; scoring at scale {scale} needs at least {need} pixels "
            "per side (the SSIM window plus the border crop). Use a larger image."
        )
    reference = np.ascontiguousarray(mod_crop(rgb, scale))
    return reference, downscale(reference, scale)


def score_row(
    method: str, kind: str, output: np.ndarray, reference: np.ndarray, scale: int, seconds: float, *, crop_border: int | None = None
) -> dict:
    """One row of an evaluation table: the scores of ``output`` against ``reference``.

    PSNR and SSIM on Y and RGB, GMSD at full resolution (lower is better; see
    :func:`~explorer.quality.metrics.gmsd` for why not halved) and the high-frequency
    energy ratio (1: as much fine detail as the reference), all with
    ``crop_border`` pixels (default: the scale) cropped from every side.
    """
    crop = scale if crop_border is None else crop_border
    scores = {}
    for suffix, y_channel in (("y", True), ("rgb", False)):
        scores[f"psnr_{suffix}"] = metrics.psnr(reference, output, crop_border=crop, y_channel=y_channel)
        scores[f"ssim_{suffix}"] = metrics.ssim(reference, output, crop_border=crop, y_channel=y_channel)
    scores["gmsd"] = metrics.gmsd(reference, output, crop_border=crop, downsample=False)
    scores["hf_ratio"] = metrics.hf_ratio(reference, output, scale=scale, crop_border=crop)
    return {"method": method, "kind": kind, **scores, "seconds": seconds}


def score(
    reference: np.ndarray,
    low_resolution: np.ndarray,
    scale: int,
    models: Mapping[str, tuple[np.ndarray, float]] | None = None,
    *,
    baselines: Iterable[str] = tuple(BASELINES),
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The one scoring entry: models' outputs and the classical baselines, scored against the reference.

    Every front end scores through here (:func:`evaluate`, the app's
    reference mode and Compare tab, ``bench quality``, the notebooks), so
    their numbers agree.

    Parameters
    ----------
    reference, low_resolution : ndarray
        From :func:`reference_pair`.
    scale : int
    models : mapping, optional
        ``{method: (output, seconds)}``: outputs already made from ``low_resolution``.
    baselines : iterable of str, default every name of :data:`BASELINES`
        Baselines to upscale ``low_resolution`` with (timed) and score.

    Returns
    -------
    tuple
        ``(table, outputs)``: one row per model then per baseline, columns
        :data:`COLUMNS`; and each baseline's image by name.
    """
    rows = [score_row(method, "model", output, reference, scale, seconds) for method, (output, seconds) in (models or {}).items()]
    outputs = {}
    for method in baselines:
        output, seconds = _timed(lambda: upscale_baseline(low_resolution, scale, method))
        outputs[method] = output
        rows.append(score_row(method, "baseline", output, reference, scale, seconds))
    return pd.DataFrame(rows, columns=list(COLUMNS)), outputs


def evaluate(
    model: str | ModelSpec | Upscaler,
    hr_image: ImageInput,
    *,
    patch_size: int | None = None,
    padding: int | None = None,
    limits: WorkLimits | None = None,
) -> Evaluation:
    """Score a model and the classical baselines on a high-resolution image.

    Parameters
    ----------
    model : str, ModelSpec or Upscaler
        An upscaling model: registry id or alias, spec, or a ready
        :class:`~explorer.Upscaler`.
    hr_image : path, bytes, PIL.Image.Image or ndarray
        The ground truth. It is mod-cropped to a multiple of the scale,
        downscaled (antialiased bicubic), upscaled again by every method and
        compared with the mod-cropped original.
    patch_size, padding : int, optional
        Patch settings for the model (as :meth:`Upscaler.upscale`).
    limits : WorkLimits, optional
        Bounds on the model's run (as :meth:`Upscaler.upscale`).

    Returns
    -------
    Evaluation
        The table (one row per method), the reference, the low-resolution
        input and every output.

    Raises
    ------
    EvaluationError
        If the model does not upscale (scale 1), or the image is too small.

    Examples
    --------
    >>> result = evaluate("esrgan-slim/2x", "photo.png")      # doctest: +SKIP
    >>> result.table[["method", "psnr_y", "ssim_y"]]          # doctest: +SKIP
    """
    spec = model.spec if isinstance(model, Upscaler) else get_spec(model)
    _check_upscaling(spec)
    reference, low_resolution = reference_pair(hr_image, spec.scale)
    upscaler = model if isinstance(model, Upscaler) else Upscaler(spec)
    result, seconds = _timed(lambda: upscaler.run(low_resolution, patch_size=patch_size, padding=padding, limits=limits))
    table, outputs = score(reference, low_resolution, spec.scale, {spec.id: (result.image, seconds)})
    return Evaluation(
        model=spec.id,
        scale=spec.scale,
        table=table,
        reference=reference,
        low_resolution=low_resolution,
        outputs={spec.id: result.image, **outputs},
    )


def _timed(make: Callable[[], object]) -> tuple:
    start = time.perf_counter()
    value = make()
    return value, time.perf_counter() - start


def _check_upscaling(spec: ModelSpec) -> None:
    if spec.scale < 2:
        raise EvaluationError(
            f"{spec.id} is a {spec.task} model (scale {spec.scale}); reference mode scores upscaling models "
            "(scale 2 or more). List them with `python -m explorer models --task upscaling`."
        )


def _check_scale(scale: int) -> None:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise EvaluationError(f"scale must be a whole number >= 1, got {scale!r}.")


def _check_rgb(image: np.ndarray, name: str) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise EvaluationError(f"{name} must be an H×W×3 uint8 RGB array, got {got}.")
