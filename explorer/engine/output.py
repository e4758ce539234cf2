"""Write images: PNG, JPEG or WebP, tagged sRGB, atomically; or PNG bytes to show.

The format follows the file's suffix (``.png``, ``.jpg``/``.jpeg``, ``.webp``)
unless given. JPEG and WebP take a ``quality`` (1–100); JPEG has no
transparency, so an image with alpha is composited over white, with a warning.
:func:`png_bytes` is what a notebook shows (an :class:`~explorer.UpscaleResult`
shows itself through it), shrunk to :data:`DISPLAY_MAX_SIDE`.
"""

from __future__ import annotations

import io
import os
import re
import socket
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from explorer.engine.colour import SRGB_ICC
from explorer.engine.images import ImageInput, load_image
from explorer.errors import ImageError

__all__ = [
    "DEFAULT_QUALITY",
    "DISPLAY_MAX_SIDE",
    "FORMATS",
    "format_of",
    "picture_of",
    "png_bytes",
    "save_image",
    "save_png",
    "sweep_temporaries",
    "temporary_path",
]

FORMATS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
"""The formats we write and the suffix each gets."""

DEFAULT_QUALITY = 90
"""JPEG and WebP quality when none is given (Pillow's own defaults, 75 and 80, show artefacts on upscaled detail)."""

DISPLAY_MAX_SIDE = 1024
"""Images shown in a notebook (:func:`png_bytes`) or the app's page are at most this many pixels on their long side.

Downloads and returned images keep every pixel."""

_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
_HOST = re.sub(r"[^A-Za-z0-9]+", "-", socket.gethostname()) or "host"
_TEMPORARY = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)-[0-9a-f]{12}\.tmp$")


def format_of(path: str | os.PathLike) -> str | None:
    """The format a path's suffix names (``"png"``, ``"jpeg"``, ``"webp"``), or None."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def save_image(
    image: Image.Image | np.ndarray,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    quality: int | None = None,
    before_replace: Callable[[Path], None] | None = None,
) -> Path:
    """Write an image tagged sRGB, atomically.

    The file is written to a hidden temporary file in the target folder
    (:func:`temporary_path`) and renamed over ``path``, so readers never see a
    half-written file. Missing parent folders are created.

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
    before_replace : callable, optional
        Called with the complete temporary file just before it is renamed to
        ``path`` (a batch run records the output there, so a kill can never
        leave an output it did not record).

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
    temporary = temporary_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            picture.save(temporary, format=kind.upper(), **options)
            if before_replace is not None:
                before_replace(temporary)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        raise ImageError(f"Cannot write {path} ({error.strerror or error}): choose a folder you can write to.") from error
    return path


def temporary_path(path: str | os.PathLike) -> Path:
    """The hidden name ``path`` is written under before its rename: ``.NAME.HOST-PID-RANDOM.tmp``.

    The host and process id let :func:`sweep_temporaries` tell a file that a
    killed writer left from one a live writer is still filling.
    """
    path = Path(path)
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")


def sweep_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the hidden temporary files that killed writers on this machine left in ``folder``.

    Only names :func:`temporary_path` gives are touched, and only those of a
    process on this host that no longer runs; a live writer's file, another
    host's and every other file stay.

    Returns
    -------
    list of Path
        The files deleted.
    """
    swept = []
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return swept
    for name in names:
        match = _TEMPORARY.match(name)
        if match and match["host"] == _HOST and not _is_running(int(match["pid"])):
            path = Path(folder) / name
            try:
                path.unlink()
            except OSError:
                continue
            swept.append(path)
    return swept


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True


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


def picture_of(image: ImageInput) -> Image.Image:
    """The image as the models see it (orientation applied, 8 bits), in its own layout: L, LA, RGB or RGBA.

    Read by :func:`explorer.engine.images.load_image`, so inputs are checked as for
    upscaling, except that showing an image is never refused for its size (the
    pixel limit guards the models, not the screen).

    Raises
    ------
    ImageError
        If an array is not uint8 or not shaped like an image, or a file
        cannot be read as an image.
    """
    if isinstance(image, Image.Image):
        limit: int | None = image.width * image.height
    else:
        limit = image.size if isinstance(image, np.ndarray) else None
    loaded = load_image(image, max_pixels=max(1, limit) if limit is not None else None)
    colour = loaded.rgb[..., :1] if loaded.grayscale else loaded.rgb
    channels = colour if loaded.alpha is None else np.dstack([colour, loaded.alpha])
    return Image.fromarray(channels[..., 0] if channels.shape[2] == 1 else channels)


def png_bytes(image: ImageInput, *, max_side: int | None = DISPLAY_MAX_SIDE) -> bytes:
    """PNG bytes of an image, shrunk to fit ``max_side`` for showing.

    Parameters
    ----------
    image : PIL.Image.Image, ndarray, path or bytes
        Gray, RGB or RGBA (alpha is kept).
    max_side : int or None, default :data:`DISPLAY_MAX_SIDE`
        Longest side of the picture; a larger image is shrunk with Lanczos
        resampling. None keeps every pixel.

    Returns
    -------
    bytes
        A PNG file.
    """
    picture = picture_of(image)
    longest = max(picture.size)
    if max_side is not None and longest > max_side:
        size = tuple(max(1, round(side * max_side / longest)) for side in picture.size)
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
