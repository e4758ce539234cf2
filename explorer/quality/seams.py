"""The seams view: the patch grid drawn over the input, and where tiling changed the output.

Numpy, Pillow and explorer.quality.metrics only (no TensorFlow, no Gradio), so every picture here can be
checked pixel by pixel.

* :func:`draw_plan` shades, over the input, the **context** each patch reads
  but does not keep (its padding) and outlines the part each patch keeps: the
  kept parts tile the image exactly, the shaded bands are what padding costs.
* :func:`difference_map` colours ``|tiled − whole-image|`` per output pixel,
  the seams that too little padding leaves; :func:`difference_stats` sums it up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.engine.tiling import TilePlan, round_up_to_multiple
from explorer.quality.metrics import psnr

__all__ = [
    "DIFFERENCE_CAP",
    "DifferenceStats",
    "difference_map",
    "difference_stats",
    "draw_plan",
    "ramp_stops",
    "ramp_ticks",
    "view_factor",
]

DIFFERENCE_CAP = 32
"""Differences of this many levels (of 255) or more get the hottest colour."""

_CONTEXT_RGB = np.array([255, 140, 0], np.float32)  # orange: read as context, not kept
_KEPT_EDGE_RGB = np.array([0, 229, 255], np.uint8)  # cyan: edges of the kept parts
_CONTEXT_ALPHA = 0.6
# Colour ramp of the heat map: black, purple, red, orange, yellow, white (positions 0..1).
_RAMP_AT = np.array([0.0, 0.15, 0.4, 0.65, 0.85, 1.0])
_RAMP_RGB = np.array([[0, 0, 0], [80, 18, 123], [190, 40, 60], [245, 120, 30], [250, 210, 60], [255, 255, 255]], np.float32)


def ramp_stops() -> list[tuple[float, tuple[int, int, int]]]:
    """The heat map's colour ramp: ``(position 0..1, (r, g, b))`` from equal (black) to the cap (white)."""
    return [(float(at), tuple(int(c) for c in rgb)) for at, rgb in zip(_RAMP_AT, _RAMP_RGB, strict=True)]


def ramp_ticks(cap: int = DIFFERENCE_CAP) -> list[tuple[float, str]]:
    """Where differences of 0, 1, 2, 4, … levels fall on the ramp (``(position, label)``), the cap as ``"≥ cap"``."""
    levels = [0] + [2**k for k in range(int(math.log2(cap)) + 1) if 2**k < cap]
    ticks = [(math.log1p(level) / math.log1p(cap), str(level)) for level in levels]
    return [*ticks, (1.0, f"≥ {cap}")]


def view_factor(height: int, width: int, *, target: int = 512, limit: int = 8) -> int:
    """Whole-number zoom that makes a small image at least ``target`` px on its long side (at most ``limit``)."""
    return max(1, min(limit, math.ceil(target / max(height, width))))


def draw_plan(image: np.ndarray, plan: TilePlan, *, zoom: int = 1) -> np.ndarray:
    """The input with each patch's context shaded and its kept part outlined.

    Parameters
    ----------
    image : ndarray
        The H×W×3 uint8 input the plan was made for.
    plan : TilePlan
        The patch plan (``UpscaleReport.plan``).
    zoom : int
        Enlarge the picture this many times (pixels repeated) so thin bands show.

    Returns
    -------
    ndarray
        (H·zoom)×(W·zoom)×3 uint8.
    """
    if image.shape[:2] != (plan.height, plan.width):
        raise ValueError(f"The plan is for {plan.width}×{plan.height}, the image is {image.shape[1]}×{image.shape[0]}.")
    context = np.zeros((plan.height, plan.width), bool)
    for patch in plan:
        read = np.zeros_like(context)
        read[patch.y.origin : patch.y.origin + patch.y.size, patch.x.origin : patch.x.origin + patch.x.size] = True
        read[
            patch.y.keep_start : patch.y.keep_start + patch.y.keep_size,
            patch.x.keep_start : patch.x.keep_start + patch.x.keep_size,
        ] = False
        context |= read
    shaded = image[..., :3].astype(np.float32)
    shaded[context] = (1 - _CONTEXT_ALPHA) * shaded[context] + _CONTEXT_ALPHA * _CONTEXT_RGB
    picture = np.rint(shaded).astype(np.uint8)
    if zoom > 1:
        picture = picture.repeat(zoom, axis=0).repeat(zoom, axis=1)
    _outline_kept_parts(picture, plan, zoom)
    return picture


def _outline_kept_parts(picture: np.ndarray, plan: TilePlan, zoom: int) -> None:
    height, width = picture.shape[:2]
    edges_y = sorted({r.keep_start * zoom for r in plan.rows} | {(r.keep_start + r.keep_size) * zoom - 1 for r in plan.rows})
    edges_x = sorted({c.keep_start * zoom for c in plan.cols} | {(c.keep_start + c.keep_size) * zoom - 1 for c in plan.cols})
    for y in edges_y:
        picture[min(max(y, 0), height - 1), :] = _KEPT_EDGE_RGB
    for x in edges_x:
        picture[:, min(max(x, 0), width - 1)] = _KEPT_EDGE_RGB


def _levels(tiled: np.ndarray, whole: np.ndarray) -> np.ndarray:
    if tiled.shape != whole.shape:
        raise ValueError(f"The tiled output is {tiled.shape} and the whole-image output {whole.shape}: they must match.")
    difference = np.abs(tiled.astype(np.int16) - whole.astype(np.int16))
    return difference.max(axis=2) if difference.ndim == 3 else difference


def difference_map(tiled: np.ndarray, whole: np.ndarray, *, cap: int = DIFFERENCE_CAP) -> np.ndarray:
    """Heat map of ``|tiled − whole|``: black where equal, hotter up to white at ``cap`` levels or more.

    The colour follows ``log(1 + d) / log(1 + cap)``, so differences of one or
    two levels (the usual seams) are visible, not just the large ones.

    Parameters
    ----------
    tiled, whole : ndarray
        The two uint8 outputs, same shape (H×W or H×W×C).
    cap : int
        Difference (largest over the channels) shown in the hottest colour.

    Returns
    -------
    ndarray
        H×W×3 uint8.
    """
    levels = _levels(tiled, whole)
    position = np.clip(np.log1p(levels) / np.log1p(cap), 0.0, 1.0)
    channels = [np.interp(position, _RAMP_AT, _RAMP_RGB[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


@dataclass(frozen=True)
class DifferenceStats:
    """How far a tiled output is from the whole-image one.

    Attributes
    ----------
    max_levels : int
        Largest difference (of 255) over all pixels and channels.
    mean_levels : float
        Mean absolute difference over pixels and channels.
    changed_fraction : float
        Share of pixels where any channel differs.
    psnr : float
        PSNR in dB of the tiled output against the whole-image one (inf if identical).
    """

    max_levels: int
    mean_levels: float
    changed_fraction: float
    psnr: float


def difference_stats(tiled: np.ndarray, whole: np.ndarray) -> DifferenceStats:
    """Summary numbers of ``|tiled − whole|`` (see :class:`DifferenceStats`)."""
    levels = _levels(tiled, whole)
    return DifferenceStats(
        max_levels=int(levels.max()),
        mean_levels=float(np.mean(np.abs(tiled.astype(np.int16) - whole.astype(np.int16)))),
        changed_fraction=float(np.mean(levels > 0)),
        psnr=psnr(whole, tiled),
    )


def shrink_for_view(image: np.ndarray, max_side: int) -> np.ndarray:
    """Make a heat map fit ``max_side`` by keeping the hottest pixel of each block (seams stay visible)."""
    height, width = image.shape[:2]
    step = math.ceil(max(height, width) / max_side)
    if step <= 1:
        return image
    padded_h, padded_w = round_up_to_multiple(height, step), round_up_to_multiple(width, step)
    padded = np.zeros((padded_h, padded_w, image.shape[2]), image.dtype)
    padded[:height, :width] = image
    blocks = padded.reshape(padded_h // step, step, padded_w // step, step, image.shape[2])
    brightness = blocks.astype(np.uint16).sum(axis=4)
    flat = brightness.transpose(0, 2, 1, 3).reshape(padded_h // step, padded_w // step, step * step)
    pick = flat.argmax(axis=2)
    pixels = blocks.transpose(0, 2, 1, 3, 4).reshape(padded_h // step, padded_w // step, step * step, image.shape[2])
    return np.take_along_axis(pixels, pick[..., None, None], axis=2)[:, :, 0]
