"""Images in the page: reading uploads under the app's limits, display copies, result files.

Uploads are read once with :func:`explorer.engine.images.load_image` (orientation, alpha,
16-bit, decompression bombs), their size checked against the server's limits
from the header; results are shown as copies capped in size and saved in full
as PNG files for download.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from explorer.app.common import page_message, plain_text, refuse, user_errors, warn
from explorer.app.config import AppConfig
from explorer.app.fastpng import encode_png
from explorer.display import DISPLAY_MAX_SIDE
from explorer.engine.images import LoadedImage, load_image
from explorer.errors import ImageError, WorkLimitError

__all__ = [
    "UPLOAD_HINT",
    "check_upload",
    "declared_size",
    "display_copy",
    "enlarge_nearest",
    "read_image",
    "rgb_view",
    "save_result_png",
    "upload_notes",
]


def read_image(path: str | os.PathLike | None, config: AppConfig) -> LoadedImage:
    """Read an uploaded image, once, under the app's limits.

    Its size is checked against the server's limits
    (:meth:`~explorer.engine.limits.WorkLimits.check_input`) from its header,
    before any pixel is decoded; notes (16-bit, frames, colour profile) are
    shown as toasts.

    Parameters
    ----------
    path : path or None
        The uploaded file (the page's image input gives a path).
    config : AppConfig
        Its ``max_pixels`` applies.

    Raises
    ------
    gradio.Error
        No image, unreadable, or over a limit: one line for the page user,
        never the server's path to the upload.
    """
    loaded = _decode_upload(_upload_file(path).read_bytes(), config)
    for note in upload_notes(loaded):
        warn(note)
    return loaded


def upload_notes(loaded: LoadedImage) -> tuple[str, ...]:
    """What the page says of a decoded upload (only the first of several frames used, 16 bits reduced to 8, CMYK without a profile)."""
    return tuple(_as_upload(plain_text(note)) for note in loaded.notes)


def check_upload(path: str | os.PathLike | None, config: AppConfig) -> tuple[str, ...]:
    """Decode an upload as :func:`read_image` would and return its notes, or refuse it with the same sentence.

    For the live status, so a damaged file (a PNG cut short after a valid
    header) is refused when it is uploaded, not when Upscale is pressed. The
    verdict is remembered per file (path, size and modification time): typing
    in the other fields does not decode it again.

    Raises
    ------
    gradio.Error
        The sentence :func:`read_image` would refuse the file with.
    """
    status = _upload_file(path).stat()
    notes, refusal = _upload_verdict(str(path), status.st_size, status.st_mtime_ns, config)
    if refusal is not None:
        raise refuse(refusal)  # one log line per check, as for a run
    return notes


@functools.lru_cache(maxsize=64)
def _upload_verdict(path: str, size: int, mtime_ns: int, config: AppConfig) -> tuple[tuple[str, ...], str | None]:
    """``(notes, None)`` for a readable upload, ``((), sentence)`` for one the run would refuse (size and time key the cache)."""
    try:
        return upload_notes(_load(Path(path).read_bytes(), config)), None
    except (WorkLimitError, ImageError) as error:
        return (), _refusal(error)


def _decode_upload(data: bytes, config: AppConfig) -> LoadedImage:
    try:
        return _load(data, config)
    except (WorkLimitError, ImageError) as error:
        raise refuse(_refusal(error), cause=error) from None


def _load(data: bytes, config: AppConfig) -> LoadedImage:
    """The upload decoded under the app's input limit; its notes are kept for the page (:func:`upload_notes`), not printed too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_image(data, check_size=config.work_limits.check_input)


def _refusal(error: WorkLimitError | ImageError) -> str:
    """The page's sentence for an upload the library refused."""
    return page_message(error) if isinstance(error, WorkLimitError) else _upload_message(error)


def declared_size(path: str | os.PathLike | None, config: AppConfig) -> tuple[int, int]:
    """``(width, height)`` as an upload's header declares them, refused as :func:`read_image` would refuse the file.

    Nothing is decoded: the checks before a run and the live settings status use it.

    Raises
    ------
    gradio.Error
        No image, an empty file, not an image, or over the input limit (the same sentences as :func:`read_image`).
    """
    file = _upload_file(path)
    try:
        with Image.open(file) as opened:  # the header only
            width, height = opened.size
    except Exception as error:  # noqa: BLE001 - whatever Pillow cannot open, the run cannot read either
        raise refuse(_upload_message(error), cause=error) from None
    with user_errors():
        config.work_limits.check_input(width, height)
    return width, height


UPLOAD_HINT = "Upload a PNG, JPEG or WebP image."
"""What a page user can do about an upload the app cannot use."""


def _upload_file(path: str | os.PathLike | None) -> Path:
    """The upload's file, refused when there is none or it is empty."""
    if not path:
        raise refuse("Add an image first: upload one, paste one, or pick an example.")
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        raise refuse(f"This file is empty (0 bytes). {UPLOAD_HINT}")
    return Path(path)


def _upload_message(error: Exception) -> str:
    """An upload that cannot be read, in the page's words (no paths, no Python); ``error`` is Pillow's or the library's."""
    cause = error.__cause__ if isinstance(error, ImageError) else error
    if isinstance(cause, Image.DecompressionBombError):
        return "This image declares more pixels than this server takes. Downscale or crop it first."
    if isinstance(cause, UnidentifiedImageError) or not isinstance(error, ImageError):
        return f"This file is not an image the app can read. {UPLOAD_HINT}"
    return _as_upload(page_message(error))


def _as_upload(text: str) -> str:
    """The library's words for image bytes ("The image data …") as the page says them of an upload ("This image …")."""
    return text.replace("The image data", "This image")


def rgb_view(image: np.ndarray) -> np.ndarray:
    """An H×W×3 view of an image array for display and scoring (gray repeated, alpha dropped)."""
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
