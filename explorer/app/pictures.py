"""Images in the page: reading uploads under the app's limits, display copies, result files.

Uploads are read with :func:`explorer.engine.images.load_image` (orientation, alpha,
16-bit, decompression bombs), after a header-only check of the app's own
pixel limits; results are shown as copies capped in size and saved in full as
PNG files for download.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from explorer.app.common import page_message, plain_text, refuse, warn
from explorer.app.config import AppConfig
from explorer.app.fastpng import encode_png
from explorer.display import DISPLAY_MAX_SIDE
from explorer.engine.images import LoadedImage, load_image, restore
from explorer.errors import ExplorerError

__all__ = [
    "UPLOAD_HINT",
    "as_model_input",
    "display_copy",
    "enlarge_nearest",
    "input_array",
    "read_image",
    "rgb_view",
    "save_result_png",
]


def read_image(path: str | os.PathLike | None, config: AppConfig, scale: int = 1) -> LoadedImage:
    """Read an uploaded image under the app's limits.

    Parameters
    ----------
    path : path or None
        The uploaded file (the page's image input gives a path).
    config : AppConfig
        Its ``max_pixels`` and ``max_output_pixels`` apply.
    scale : int
        The model's scale, for the output limit.

    Raises
    ------
    gradio.Error
        No image, unreadable, or over a limit: one line for the page user,
        never the server's path to the upload.
    """
    if not path:
        raise _error("Add an image first: upload one, paste one, or pick an example.")
    data = Path(path).read_bytes() if Path(path).is_file() else b""
    if not data:
        raise _error(f"This file is empty (0 bytes). {UPLOAD_HINT}")
    width, height = _header_size(data, config)
    if width * height == 0:
        raise _error(f"This image has no pixels ({width}×{height}). {UPLOAD_HINT}")
    if width * height > config.max_pixels:
        raise _error(
            f"This image is {width}×{height} = {width * height:,} pixels; this app takes up to "
            f"{config.max_pixels:,} ({_square(config.max_pixels)}). Downscale or crop it first."
        )
    if width * height * scale**2 > config.max_output_pixels:
        raise _error(
            f"At {scale}x this {width}×{height} image would become {width * scale}×{height * scale} = "
            f"{width * height * scale**2:,} pixels; this app makes up to {config.max_output_pixels:,} "
            f"({_square(config.max_output_pixels)}). Use a smaller image or a smaller scale."
        )
    try:
        loaded = load_image(data, max_pixels=config.max_pixels)
    except ExplorerError as error:
        raise _error(page_message(error).replace("The image data", "This image")) from None
    for note in loaded.notes:
        warn(plain_text(note))
    return loaded


UPLOAD_HINT = "Upload a PNG, JPEG or WebP image."
"""What a page user can do about an upload the app cannot use."""


def _error(message: str) -> gr.Error:
    return refuse(message)


def _header_size(data: bytes, config: AppConfig) -> tuple[int, int]:
    """The size an image file declares, read from its header only."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Image.DecompressionBombError:
        raise _error(
            f"This image declares more pixels than this app takes ({config.max_pixels:,}, "
            f"{_square(config.max_pixels)}). Downscale or crop it first."
        ) from None
    except Exception:  # noqa: BLE001 - whatever Pillow cannot open is not an image for this page
        raise _error(f"This file is not an image the app can read. {UPLOAD_HINT}") from None


def _square(pixels: int) -> str:
    side = int(pixels**0.5)
    return f"{side}×{side}" if side * side == pixels else f"{pixels / 1e6:.1f} megapixels"


def as_model_input(loaded: LoadedImage) -> LoadedImage:
    """The decoded upload as :meth:`Upscaler.run` takes it without decoding it again.

    The output comes back as an array in the input's layout (gray, RGB or
    RGBA; gray with alpha as RGBA, since image arrays have no gray-and-alpha layout).
    """
    return replace(loaded, source_kind="array", grayscale=loaded.grayscale and loaded.alpha is None)


def input_array(source: LoadedImage | np.ndarray) -> np.ndarray:
    """The pixels of a model input in its own layout (H×W gray, RGB or RGBA), e.g. to save or measure it."""
    return source if isinstance(source, np.ndarray) else restore(source.rgb, source, 1)


def rgb_view(image: LoadedImage | np.ndarray) -> np.ndarray:
    """An H×W×3 view of a model input or output for display and scoring (gray repeated, alpha dropped)."""
    if isinstance(image, LoadedImage):
        return image.rgb
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    return image[..., :3] if image.shape[2] >= 3 else np.repeat(image[..., :1], 3, axis=2)


def display_copy(image: np.ndarray, *, nearest: bool = False, max_side: int = DISPLAY_MAX_SIDE) -> np.ndarray:
    """A copy small enough to show in the page (downloads stay full size)."""
    height, width = image.shape[:2]
    factor = max(height, width) / max_side
    if factor <= 1:
        return image
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.LANCZOS
    return np.asarray(Image.fromarray(image).resize(size, resample))


def enlarge_nearest(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``(width, height)`` by repeating pixels (what the model starts from)."""
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.NEAREST))


_SWEEP_SECONDS = 60.0
_last_sweep = -_SWEEP_SECONDS


def save_result_png(image: np.ndarray, stem: str) -> Path:
    """Write a PNG into the app's scratch folder and return its path.

    Encoded with :func:`~explorer.app.fastpng.encode_png` (about 7× faster than
    Pillow's default level for a 512² photo, 18 % more bytes); the page shows
    the same file it offers for download, so each picture is encoded once.
    Files older than an hour are removed on the way, at most once a minute
    (a sweep of a few thousand folders took 47 ms: more than the encoding), so
    a long-running server does not fill its disk.
    """
    global _last_sweep
    folder = Path(tempfile.gettempdir()) / "upscaler-explorer-app"
    if time.monotonic() - _last_sweep >= _SWEEP_SECONDS:
        _last_sweep = time.monotonic()
        _remove_old_files(folder, max_age_seconds=3600)
    safe = "".join(c if c.isalnum() or c in "-_@." else "-" for c in stem)
    path = folder / uuid.uuid4().hex[:12] / f"{safe}.png"
    try:
        path.parent.mkdir(parents=True)
        path.write_bytes(encode_png(image))
    except OSError as error:
        raise refuse(f"The server cannot write its result file ({error.strerror or error}).") from None
    return path


def _remove_old_files(folder: Path, max_age_seconds: float) -> None:
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_seconds
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < cutoff:
                for child in entry.iterdir():
                    child.unlink()
                entry.rmdir()
