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

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np

from explorer import settings
from explorer.errors import PatchSettingsError

if TYPE_CHECKING:
    from explorer.engine.registry import ModelSpec

MAX_PATCH_SIZE = 4096
"""Largest patch side accepted, in pixels: larger than any image side worth patching (the pixel limit is 4096²)."""

__all__ = [
    "AUTO_TILE",
    "AutoTile",
    "MAX_PATCH_SIZE",
    "auto_tile_for",
    "Patch",
    "TilePlan",
    "check_patch_settings",
    "parse_patch_settings",
    "plan_patches",
    "round_up_to_multiple",
    "stitch",
    "validate_patch_settings",
]


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


def validate_patch_settings(patch_size: int | None, padding: int | None) -> tuple[int | None, int]:
    """Validate ``patch_size``/``padding`` as UpscalerJS does, without warning.

    Returns ``(patch_size, padding)`` with padding defaulted to 0, or raises
    :class:`PatchSettingsError`; see :func:`check_patch_settings`.
    """
    if patch_size is None:
        return None, 0
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
        raise PatchSettingsError(f"patch_size must be a whole number of pixels, got {patch_size!r}.")
    if patch_size <= 0:
        raise PatchSettingsError(
            f"patch_size must be greater than 0, got {patch_size}. "
            "Leave it unset to upscale the whole image at once."
        )
    if patch_size > MAX_PATCH_SIZE:
        raise PatchSettingsError(
            f"patch_size={patch_size} is too large: use at most {MAX_PATCH_SIZE} pixels "
            "(a patch larger than the image runs it in one piece)."
        )
    if padding is None:
        return int(patch_size), 0
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise PatchSettingsError(f"padding must be a whole number >= 0, got {padding!r}.")
    if 2 * padding >= patch_size:
        raise PatchSettingsError(
            f"padding={padding} is too large for patch_size={patch_size}: twice the padding must be "
            f"smaller than the patch size. Use padding < {math.ceil(patch_size / 2)} or a bigger patch size."
        )
    return int(patch_size), int(padding)


def _raw_pixels(value: object, name: str, limit: int) -> int | None:
    """A pixel count typed, pasted or sent by a front end, as an int; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    shown = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}.")
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}.") from None
    if math.isnan(number):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown} (not a number).")
    if math.isinf(number) or abs(number) > limit:
        raise PatchSettingsError(f"{name} {shown} is out of range: use a whole number of pixels from 0 to {limit}.")
    if number < 0:
        raise PatchSettingsError(f"{name} cannot be negative (got {shown}): use a whole number of pixels from 0 to {limit}.")
    if not number.is_integer():
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}: use {math.floor(number)} or {math.ceil(number)}.")
    return int(number)


def parse_patch_settings(
    patch_size: object, padding: object, *, zero_is_whole: bool = False
) -> tuple[int | None, int | None]:
    """Turn patch settings as a front end receives them (a form, an address, JSON, text) into valid ints.

    Every front end calls this before running anything, so a bad value gets
    the same message everywhere and nothing is clamped or rounded silently.

    Parameters
    ----------
    patch_size, padding : object
        Numbers or their text; None or empty text means unset.
    zero_is_whole : bool
        Read a patch size of 0 as "the whole image at once" (the app's
        convention), instead of an error (UpscalerJS's).

    Returns
    -------
    tuple
        ``(patch_size, padding)``: patch size None for the whole image (then
        padding is returned as given, for the caller to ignore or warn about);
        padding None when unset.

    Raises
    ------
    PatchSettingsError
        NaN, infinite, fractional, negative or too large values, and the
        UpscalerJS rules of :func:`validate_patch_settings` (padding at least
        half the patch size).

    Examples
    --------
    >>> parse_patch_settings("64", 4.0)
    (64, 4)
    >>> parse_patch_settings(0, 0, zero_is_whole=True)
    (None, 0)
    """
    patch = _raw_pixels(patch_size, "Patch size", MAX_PATCH_SIZE)
    pad = _raw_pixels(padding, "Padding", MAX_PATCH_SIZE // 2)
    if patch is None or (zero_is_whole and patch == 0):
        return None, pad
    checked, checked_pad = validate_patch_settings(patch, pad)
    return checked, (None if pad is None else checked_pad)


def check_patch_settings(patch_size: int | None, padding: int | None) -> tuple[int | None, int]:
    """Validate ``patch_size``/``padding`` as UpscalerJS does, warning where it warns.

    Parameters
    ----------
    patch_size : int or None
        Patch side in input pixels; None means the whole image at once.
    padding : int or None
        Context pixels around each patch; None means 0.

    Returns
    -------
    tuple
        ``(patch_size, padding)`` with padding defaulted to 0.

    Raises
    ------
    PatchSettingsError
        If ``patch_size <= 0``, ``padding < 0`` or ``2 * padding >= patch_size``.

    Warns
    -----
    UserWarning
        Padding without a patch size is ignored; a patch size without padding
        will show seams.
    """
    settings = validate_patch_settings(patch_size, padding)
    if patch_size is None and padding:
        warnings.warn(
            f"padding={padding} is ignored without a patch size: the whole image is upscaled at once.",
            stacklevel=3,
        )
    elif patch_size is not None and padding is None:
        warnings.warn(
            f"patch_size={patch_size} without padding: seams may show where patches meet. "
            "Set a padding (e.g. 4 to 16 pixels) to hide them.",
            stacklevel=3,
        )
    return settings


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


@dataclass(frozen=True)
class AutoTile:
    """When a whole-image run is too big, tile it with these settings instead.

    A run without ``patch_size`` whose *output* would exceed ``max_output_pixels``
    is split into ``patch_size``/``padding`` patches, so TensorFlow never runs
    out of memory on large images (untiled, esrgan-medium 4x on a 1024² input
    needs over 6 GB). ``max_output_pixels=None`` means
    :func:`explorer.settings.auto_tile_pixels` (``$UPSCALER_EXPLORER_AUTO_TILE_PIXELS``,
    default 2048×2048), read when a run asks.
    """

    max_output_pixels: int | None = None
    patch_size: int = 256
    padding: int = 16


AUTO_TILE = AutoTile()
"""The documented default: outputs over 2048×2048 pixels are tiled 256/16."""


def auto_tile_for(spec: ModelSpec) -> AutoTile:
    """The automatic tiling of a whole-image run of ``spec``: :data:`AUTO_TILE` with the card's ``auto_tile`` over it.

    The returned ``max_output_pixels`` is always set (the environment's value when neither sets it).
    """
    tile = replace(AUTO_TILE, **spec.auto_tile) if spec.auto_tile else AUTO_TILE
    if tile.max_output_pixels is None:
        tile = replace(tile, max_output_pixels=settings.auto_tile_pixels())
    return tile


def round_up_to_multiple(value: int, factor: int) -> int:
    """Smallest multiple of ``factor`` that is >= ``value``."""
    return -(-value // factor) * factor
