"""Pictures for notebooks: images side by side, the patch grid, the seam heat map.

Every helper returns a :class:`PIL.Image.Image`, which Jupyter shows by
itself, so the last line of a cell can be ``side_by_side([small, big])``.
An :class:`~explorer.UpscaleResult` shows itself too (through
:func:`png_bytes`, which lives in :mod:`explorer.engine.output` so the engine
can show its results without importing this module).

* :func:`side_by_side` puts images in a row at one height, with titles. It
  enlarges by repeating pixels (``resample="nearest"``) unless told otherwise,
  so a small input looks the way the model saw it, not smoothed.
* :func:`patch_grid` draws a :class:`~explorer.engine.tiling.TilePlan` over the
  input: the context each patch reads but drops is shaded, the part it keeps
  is outlined.
* :func:`seam_heatmap` colours ``|tiled − whole-image|`` per output pixel, and
  :func:`seam_stats` sums it up: where patching changed the output, and by how
  much.

The patch grid and heat map are drawn by :mod:`explorer.quality.seams`, the same code
as the app's seams view.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from explorer.engine.images import RESAMPLING, ImageInput
from explorer.engine.output import DISPLAY_MAX_SIDE, picture_of, png_bytes
from explorer.engine.tiling import TilePlan
from explorer.quality import seams

__all__ = [
    "DISPLAY_MAX_SIDE",
    "RESAMPLING",
    "ImageLike",
    "as_pil",
    "patch_grid",
    "png_bytes",
    "seam_heatmap",
    "seam_stats",
    "side_by_side",
]

ImageLike = ImageInput
"""A PIL image, a uint8 array (H×W, H×W×1, H×W×3 or H×W×4), or an image file's path or bytes."""

_TITLE_MARGIN = 6
_BACKGROUND = (255, 255, 255)
_TEXT = (20, 20, 20)


def as_pil(image: ImageLike) -> Image.Image:
    """An RGB PIL image of any image input.

    Parameters
    ----------
    image : PIL.Image.Image, ndarray, path or bytes
        Any PIL image, a uint8 array (H×W, H×W×1, H×W×3, H×W×4), or an
        image file (its path or its bytes).

    Returns
    -------
    PIL.Image.Image
        Mode ``"RGB"``: gray is repeated over the channels, alpha is dropped.

    Raises
    ------
    ImageError
        If an array is not uint8 or not shaped like an image, or a file
        cannot be read as an image.
    """
    picture = picture_of(image)
    return picture if picture.mode == "RGB" else picture.convert("RGB")


def _filter(resample: str | Image.Resampling) -> Image.Resampling:
    if isinstance(resample, Image.Resampling):
        return resample
    try:
        return RESAMPLING[resample]
    except KeyError:
        raise ValueError(f"Unknown resampling {resample!r}; choose one of {', '.join(RESAMPLING)}.") from None


def _at_height(picture: Image.Image, height: int, resample: Image.Resampling) -> Image.Image:
    if picture.height == height:
        return picture
    width = max(1, round(picture.width * height / picture.height))
    return picture.resize((width, height), resample)


def side_by_side(
    images: Sequence[ImageLike],
    titles: Sequence[str] | None = None,
    *,
    height: int | None = None,
    resample: str | Image.Resampling = "nearest",
    gap: int = 8,
    font_size: int = 14,
) -> Image.Image:
    """Put images in a row at one height, each with an optional title above it.

    Parameters
    ----------
    images : sequence of PIL.Image.Image, ndarray, path or bytes
        The panels, left to right (see :func:`as_pil` for what is accepted).
    titles : sequence of str, optional
        One line of text per panel.
    height : int, optional
        Height of every panel in pixels; default the tallest image's height.
        Widths follow each image's aspect ratio.
    resample : {"nearest", "bilinear", "bicubic", "lanczos"} or PIL.Image.Resampling
        Filter used to resize panels. ``"nearest"`` (the default) repeats
        pixels, so an enlarged input shows exactly what it holds.
    gap : int, default 8
        White pixels between panels.
    font_size : int, default 14
        Size of the titles.

    Returns
    -------
    PIL.Image.Image
        One RGB image; Jupyter shows it when it ends a cell.

    Raises
    ------
    ValueError
        If there are no images, titles do not match the images, or ``height``
        or ``gap`` is out of range.

    Examples
    --------
    >>> small = np.zeros((32, 32, 3), np.uint8)
    >>> side_by_side([small, np.full((64, 64, 3), 255, np.uint8)], ["input", "2x"]).size
    (136, 90)
    """
    if len(images) == 0:
        raise ValueError("side_by_side needs at least one image.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"Got {len(titles)} titles for {len(images)} images; give one title per image.")
    if height is not None and height < 1:
        raise ValueError(f"height must be at least 1 pixel, got {height}.")
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}.")
    pictures = [as_pil(image) for image in images]
    row_height = height or max(picture.height for picture in pictures)
    panels = [_at_height(picture, row_height, _filter(resample)) for picture in pictures]
    return _compose(panels, list(titles) if titles is not None else None, gap, font_size)


def _compose(panels: list[Image.Image], titles: list[str] | None, gap: int, font_size: int) -> Image.Image:
    """Paste panels in a row under a band of titles, each panel centred in its slot."""
    font = ImageFont.load_default(size=font_size)
    band = font_size + 2 * _TITLE_MARGIN if titles else 0
    labels = titles or [""] * len(panels)
    slots = [max(panel.width, round(font.getlength(label)) + 2 * _TITLE_MARGIN) for panel, label in zip(panels, labels)]
    canvas = Image.new("RGB", (sum(slots) + gap * (len(panels) - 1), band + panels[0].height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    left = 0
    for panel, slot, label in zip(panels, slots, labels):
        canvas.paste(panel, (left + (slot - panel.width) // 2, band))
        if label:
            draw.text((left + slot / 2, band / 2), label, fill=_TEXT, font=font, anchor="mm")
        left += slot + gap
    return canvas


def patch_grid(image: ImageLike, plan: TilePlan, *, zoom: int | None = None) -> Image.Image:
    """Draw a patch plan over its input image.

    The context each patch reads but does not keep (its padding) is shaded
    orange; the part each patch keeps is outlined in cyan. The kept parts tile
    the image exactly; the shaded bands are the extra work padding costs.

    Parameters
    ----------
    image : PIL.Image.Image or ndarray
        The input the plan was made for (same size).
    plan : TilePlan
        ``UpscaleReport.plan``, or :func:`explorer.engine.tiling.plan_patches`.
    zoom : int, optional
        Enlarge this many times (pixels repeated) so thin bands show; by
        default enough for about 512 pixels on the long side (at most 8).

    Returns
    -------
    PIL.Image.Image
    """
    rgb = np.asarray(as_pil(image))
    factor = zoom if zoom is not None else seams.view_factor(*rgb.shape[:2])
    return Image.fromarray(seams.draw_plan(rgb, plan, zoom=factor))


def seam_heatmap(tiled: ImageLike, whole: ImageLike, *, cap: int | None = None) -> Image.Image:
    """Colour where a tiled output differs from the whole-image output.

    Black where the two are equal, then purple, red, orange, yellow, up to
    white at ``cap`` levels (of 255) or more; the colour scale is logarithmic
    so differences of one or two levels show.

    Parameters
    ----------
    tiled, whole : PIL.Image.Image or ndarray
        The same image upscaled with patches and at once (same size).
    cap : int, optional
        Difference shown in the hottest colour (default 32 levels).

    Returns
    -------
    PIL.Image.Image
    """
    heat = seams.difference_map(np.asarray(as_pil(tiled)), np.asarray(as_pil(whole)), cap=cap or seams.DIFFERENCE_CAP)
    return Image.fromarray(heat)


def seam_stats(tiled: ImageLike, whole: ImageLike) -> seams.DifferenceStats:
    """How far a tiled output is from the whole-image one.

    Returns
    -------
    DifferenceStats
        ``max_levels``, ``mean_levels``, ``changed_fraction`` (share of pixels
        that differ) and ``psnr`` (dB, inf when identical).
    """
    return seams.difference_stats(np.asarray(as_pil(tiled)), np.asarray(as_pil(whole)))
