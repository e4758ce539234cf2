"""Write images: PNG, JPEG or WebP, tagged sRGB, atomically.

The format follows the file's suffix (``.png``, ``.jpg``/``.jpeg``, ``.webp``)
unless given. JPEG and WebP take a ``quality`` (1–100); JPEG has no
transparency, so an image with alpha is composited over white, with a warning.
"""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from explorer.engine.colour import SRGB_ICC
from explorer.errors import ImageError

__all__ = ["DEFAULT_QUALITY", "FORMATS", "format_of", "save_image", "save_png"]

FORMATS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
"""The formats we write and the suffix each gets."""

DEFAULT_QUALITY = 90
"""JPEG and WebP quality when none is given (Pillow's own defaults, 75 and 80, show artefacts on upscaled detail)."""

_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def format_of(path: str | os.PathLike) -> str | None:
    """The format a path's suffix names (``"png"``, ``"jpeg"``, ``"webp"``), or None."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def save_image(
    image: Image.Image | np.ndarray,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    quality: int | None = None,
) -> Path:
    """Write an image tagged sRGB, atomically.

    The file is written to a temporary file in the target folder and renamed
    over ``path``, so readers never see a half-written file. Missing parent
    folders are created.

    Parameters
    ----------
    image : PIL.Image.Image or ndarray
        The image; an array as :func:`explorer.engine.images.restore` returns it.
    path : str or os.PathLike
        Where to write it.
    format : {"png", "jpeg", "webp"}, optional
        Default: from the suffix of ``path``.
    quality : int, optional
        1–100, for JPEG and WebP (default :data:`DEFAULT_QUALITY`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ImageError
        Unknown format, a quality out of range or given for PNG, or a folder
        that cannot be created or written to.
    """
    path = Path(path)
    kind = format or format_of(path)
    if kind not in FORMATS:
        raise ImageError(f"Cannot write {path.name}: use a .png, .jpg or .webp name, or format= png, jpeg or webp.")
    options = {"icc_profile": SRGB_ICC, **_quality_option(kind, quality)}
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    if kind == "jpeg" and picture.mode in ("RGBA", "LA"):
        warnings.warn(f"{path.name}: JPEG has no transparency; the image is flattened over white.", stacklevel=2)
        picture = _over_white(picture)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            picture.save(temporary, format=kind.upper(), **options)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        raise ImageError(f"Cannot write {path} ({error.strerror or error}): choose a folder you can write to.") from error
    return path


def save_png(image: Image.Image | np.ndarray, path: str | os.PathLike) -> Path:
    """Write an image as a PNG file tagged sRGB, atomically (:func:`save_image`)."""
    return save_image(image, path, format="png")


def _quality_option(kind: str, quality: int | None) -> dict[str, int]:
    if kind == "png":
        if quality is not None:
            raise ImageError("quality applies to JPEG and WebP; PNG is lossless: drop it, or write .jpg or .webp.")
        return {}
    if quality is None:
        return {"quality": DEFAULT_QUALITY}
    if not 1 <= quality <= 100:
        raise ImageError(f"quality must be 1 to 100, got {quality}.")
    return {"quality": quality}


def _over_white(picture: Image.Image) -> Image.Image:
    colour = picture.convert("RGBA")
    white = Image.new("RGBA", colour.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, colour).convert("RGB")
    return flat.convert("L") if picture.mode == "LA" else flat
