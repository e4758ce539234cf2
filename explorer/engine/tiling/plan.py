"""Patch plans and stitching with UpscalerJS's semantics. Pure numpy, no TensorFlow.

UpscalerJS cuts an image into patches like this (per axis; rows and columns
are planned independently and every row has the same columns):

* the patch size along an axis is ``min(patch_size, side)``, so every patch
  fed to the model has the same shape;
* a patch carries ``padding`` pixels of context on each side that touches
  another patch, none on a side that touches the image border;
* the last patch is shifted back so it ends on the image edge;
* only each patch's unpadded part is kept (times the scale) and the kept parts
  tile the output exactly.

With the same ``patch_size`` and ``padding`` our output therefore equals
UpscalerJS's. One difference, with no effect on pixels: UpscalerJS sometimes
runs the last patch of an axis twice (same origin, the second time keeping a
sliver already covered); we run it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from explorer.engine.tiling.rules import validate_patch_settings
from explorer.errors import PatchSettingsError

__all__ = ["Patch", "Span", "TilePlan", "plan_patches", "stitch"]


@dataclass(frozen=True)
class Span:
    """One axis of a patch: what the model reads and what is kept of it."""

    origin: int
    """First input pixel the model reads."""
    size: int
    """Pixels the model reads (the patch size along this axis)."""
    keep_offset: int
    """Offset, inside the patch, of the first pixel kept."""
    keep_size: int
    """Pixels kept."""

    @property
    def keep_start(self) -> int:
        """First image pixel of the kept part."""
        return self.origin + self.keep_offset


@dataclass(frozen=True)
class Patch:
    """A patch of the plan: row/column index and the two axis spans."""

    row: int
    col: int
    y: Span
    x: Span

    def read(self, image: np.ndarray) -> np.ndarray:
        """The pixels of ``image`` the model reads for this patch (a view)."""
        return image[self.y.origin : self.y.origin + self.y.size, self.x.origin : self.x.origin + self.x.size]


@dataclass(frozen=True)
class TilePlan:
    """The patches covering an image, in row-major order.

    Attributes
    ----------
    height, width : int
        Image size in pixels.
    patch_size, padding : int
        The settings the plan was made with.
    rows, cols : tuple of Span
        The spans along y (one per row) and x (one per column).
    """

    height: int
    width: int
    patch_size: int
    padding: int
    rows: tuple[Span, ...]
    cols: tuple[Span, ...]

    @property
    def patch_shape(self) -> tuple[int, int]:
        """``(height, width)`` of every patch fed to the model."""
        return (self.rows[0].size, self.cols[0].size)

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    def __iter__(self) -> Iterator[Patch]:
        for r, y in enumerate(self.rows):
            for c, x in enumerate(self.cols):
                yield Patch(r, c, y, x)


def _plan_axis(total: int, patch_size: int, padding: int) -> tuple[Span, ...]:
    """Spans along one axis, following UpscalerJS's per-axis rule."""
    size = min(patch_size, total)
    if size == total:
        return (Span(0, total, 0, total),)
    spans: list[Span] = []
    start = 0
    while start < total:
        pre = padding if start > 0 else 0
        if start + size > total:  # last patch: shift back to end on the edge
            origin = total - size
            spans.append(Span(origin, size, start - origin, total - start))
            break
        keep = size - pre - padding
        spans.append(Span(start - pre, size, pre, keep))
        start += keep
    return tuple(spans)


def plan_patches(height: int, width: int, patch_size: int, padding: int = 0) -> TilePlan:
    """Plan the patches UpscalerJS would run for an image.

    Parameters
    ----------
    height, width : int
        Image size in pixels (both > 0).
    patch_size : int
        Patch side; sides larger than the image are clipped to it.
    padding : int, default 0
        Context on each inner side; ``2 * padding < patch_size``.

    Returns
    -------
    TilePlan

    Examples
    --------
    >>> plan = plan_patches(300, 200, 128, 2)
    >>> [r.origin for r in plan.rows], [c.origin for c in plan.cols]
    ([0, 124, 172], [0, 72])
    """
    if height <= 0 or width <= 0:
        raise PatchSettingsError(f"Cannot plan patches for an empty image ({width}x{height}).")
    patch_size, padding = validate_patch_settings(patch_size, padding)
    assert patch_size is not None
    return TilePlan(
        height=height,
        width=width,
        patch_size=patch_size,
        padding=padding,
        rows=_plan_axis(height, patch_size, padding),
        cols=_plan_axis(width, patch_size, padding),
    )


def stitch(plan: TilePlan, outputs: Iterable[np.ndarray], scale: int) -> np.ndarray:
    """Assemble the model's outputs for each patch (in plan order) into one image.

    Parameters
    ----------
    plan : TilePlan
    outputs : iterable of ndarray
        One ``(h*scale, w*scale, C)`` array per patch, in ``iter(plan)`` order.
    scale : int
        The model's scale.

    Returns
    -------
    ndarray
        ``(height*scale, width*scale, C)``, dtype of the first output.
    """
    canvas: np.ndarray | None = None
    expected = (plan.patch_shape[0] * scale, plan.patch_shape[1] * scale)
    count = 0
    for patch, out in zip(plan, outputs, strict=True):
        if out.shape[:2] != expected:
            raise ValueError(f"Patch output is {out.shape[:2]}, expected {expected} for scale {scale}.")
        if canvas is None:
            canvas = np.empty((plan.height * scale, plan.width * scale, *out.shape[2:]), dtype=out.dtype)
        ys, xs = patch.y, patch.x
        canvas[
            ys.keep_start * scale : (ys.keep_start + ys.keep_size) * scale,
            xs.keep_start * scale : (xs.keep_start + xs.keep_size) * scale,
        ] = out[
            ys.keep_offset * scale : (ys.keep_offset + ys.keep_size) * scale,
            xs.keep_offset * scale : (xs.keep_offset + xs.keep_size) * scale,
        ]
        count += 1
    assert canvas is not None and count == len(plan)
    return canvas
