"""Validate and normalise input images for the models, and rebuild the output in the input's layout.

The models take an H×W×3 uint8 RGB array and nothing else. :func:`load_image`
turns a path, the bytes of an image file, a PIL image or a numpy array into
that array (a :class:`LoadedImage`), keeping what the model cannot carry on the
side: the alpha channel and whether the input was grayscale. After the model
has run, :func:`restore` gives the output in the :data:`OutputLayout` asked for
(by default the input's own channels and kind, array or PIL image);
:func:`arrange` gives the input itself in that layout.

Rules, in the order they are applied to files, bytes and PIL images:

* size: width × height must be at most the pixel limit (:data:`DEFAULT_MAX_PIXELS`,
  the ``UPSCALER_EXPLORER_MAX_PIXELS`` environment variable, or ``max_pixels=``).
  It is checked from the header, before any pixel is decoded. Pillow's own
  decompression-bomb check is turned into an :class:`~explorer.errors.ImageError`
  as well.
* frames: an animated or multipage image gives its first frame, with a warning.
* orientation: the EXIF orientation tag is applied.
* colour: an image tagged with another colour profile (Display P3, Adobe RGB,
  a CMYK press profile) is converted to sRGB, with a warning
  (:mod:`explorer.engine.colour`). Writing images is :mod:`explorer.engine.output`'s job.
* mode: RGB stays RGB; RGBA, LA, PA and images with a transparency key keep
  their alpha; ``1`` and ``L`` are grayscale; P, CMYK, YCbCr, LAB and HSV become
  RGB; 16-bit images (``I;16*``, ``I``, 16-bit PNGs) are reduced to 8 bits with
  a warning; float images (``F``) are refused.

Every warning is also kept in :attr:`LoadedImage.notes`, for interfaces that
show them to the user.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from explorer import settings
from explorer.engine.colour import to_srgb
from explorer.errors import ImageError
from explorer.settings import DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV

__all__ = [
    "RESAMPLING",
    "DEFAULT_MAX_PIXELS",
    "MAX_PIXELS_ENV",
    "ImageInput",
    "LoadedImage",
    "OutputLayout",
    "SourceKind",
    "arrange",
    "load_image",
    "restore",
]

RESAMPLING: dict[str, Image.Resampling] = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
"""Pillow's resampling filters by name: the classical upscalers models are compared with, and the panels' resizers."""

ImageInput = Union[str, os.PathLike, bytes, Image.Image, np.ndarray, "LoadedImage"]
"""What :func:`load_image` accepts."""

SourceKind = Literal["path", "bytes", "pil", "array"]

OutputLayout = Literal["input", "array", "rgb"]
"""How an output (or the input, :func:`arrange`) is returned.

``"input"``: the input's kind and channels (a PIL image for a path, bytes or PIL
input, an array for an array; gray, gray with alpha, RGB or RGBA).
``"array"``: an array with the input's channels, gray with alpha as RGBA (an
image array has no gray-and-alpha layout): H×W, H×W×3 or H×W×4.
``"rgb"``: an H×W×3 array (gray repeated, alpha dropped), what the models and the scores see.
"""

SizeCheck = Callable[[int, int], None]
"""Called with ``(width, height)`` before an image is decoded; raises to refuse it."""

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
_GRAY_MODES = frozenset({"1", "L", "LA", "La"})
# The raw mode of 16 bits per sample in a not yet decoded tile, e.g. "RGB;16B" in a
# 16-bit colour PNG, which Pillow decodes to 8-bit RGB itself. BMP's 5-6-5 "BGR;16" does not match.
_SIXTEEN_BIT_RAWMODE = re.compile(r";16[BLN]\b")


@dataclass(frozen=True)
class LoadedImage:
    """An input image, normalised for the models.

    Attributes
    ----------
    rgb : ndarray
        H×W×3 uint8, C-contiguous: what the model sees. For a grayscale input,
        the gray channel repeated three times.
    alpha : ndarray or None
        H×W uint8 alpha channel, or None if the input has no transparency.
    grayscale : bool
        True if the input had one luminance channel (modes ``1``, ``L``,
        ``LA``, 16-bit gray, or an H×W / H×W×1 array).
    source_kind : {"path", "bytes", "pil", "array"}
        What was passed to :func:`load_image`.
    source_mode : str
        The PIL mode of the input (e.g. ``"P"``, ``"I;16"``), or its array layout
        (e.g. ``"uint8[H,W,4]"``).
    notes : tuple of str
        What :func:`load_image` warned about (first frame used, precision reduced).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    grayscale: bool
    source_kind: SourceKind
    source_mode: str
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels, like :attr:`PIL.Image.Image.size`."""
        height, width = self.rgb.shape[:2]
        return width, height


def load_image(image: ImageInput, *, max_pixels: int | None = None, check_size: SizeCheck | None = None) -> LoadedImage:
    """Read and validate an image, and normalise it to what the models take.

    Parameters
    ----------
    image : str, os.PathLike, bytes, PIL.Image.Image, ndarray or LoadedImage
        An image file, the bytes of one, a PIL image, or a uint8 array of
        shape H×W or H×W×1 (gray), H×W×3 (RGB) or H×W×4 (RGBA). A
        :class:`LoadedImage` is returned as it is (only the pixel limit is
        checked): nothing is decoded twice.
    max_pixels : int, optional
        Refuse images with more pixels (width × height) than this. Default:
        the ``UPSCALER_EXPLORER_MAX_PIXELS`` environment variable, else
        :data:`DEFAULT_MAX_PIXELS`.
    check_size : callable, optional
        Called with ``(width, height)`` as the file's header declares them,
        before any pixel is decoded (an array: its shape), e.g. a server's
        :meth:`~explorer.engine.limits.WorkLimits.check_input`; not called for
        a :class:`LoadedImage`, which was checked when it was decoded.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageError
        The image cannot be read (missing, empty, truncated, not an image) or is
        outside what we accept (too large, float pixels, wrong array type or shape).

    Warns
    -----
    UserWarning
        Only the first frame of a multi-frame image is used; a 16-bit image was
        reduced to 8 bits per sample.

    Notes
    -----
    16-bit gray values ``v`` become ``round(v / 257)``. Pillow decodes 16-bit
    colour PNGs and TIFFs to 8 bits itself, keeping the high byte (``v // 256``,
    at most one below ``round(v / 257)``). A multi-frame PIL image is read at
    frame 0 and left at the frame it was at.
    """
    limit = _Budget(_pixel_limit(max_pixels), check_size)
    if isinstance(image, LoadedImage):  # decoded already (a front end read it under its own limits)
        _check_pixel_budget(image.size, _Budget(limit.pixels, None), "The image")
        return image
    if isinstance(image, np.ndarray):
        loaded = _load_array(image, limit)
    elif isinstance(image, Image.Image):
        loaded = _load_pil(image, "The PIL image", "pil", limit)
    elif isinstance(image, bytes):
        loaded = _load_bytes(image, limit)
    elif isinstance(image, (str, os.PathLike)):
        loaded = _load_path(Path(image), limit)
    else:
        raise ImageError(
            f"Cannot read an image from a {type(image).__name__}: pass a file path, the bytes of an "
            "image file, a PIL.Image.Image or a uint8 numpy array."
        )
    for note in loaded.notes:
        warnings.warn(note, stacklevel=2)
    return loaded


def restore(rgb_out: np.ndarray, loaded: LoadedImage, scale: int, layout: OutputLayout = "input") -> Image.Image | np.ndarray:
    """The model's output in the layout asked for.

    Parameters
    ----------
    rgb_out : ndarray
        The model's output, H'×W'×3 uint8 with H' = scale × H and W' = scale × W.
    loaded : LoadedImage
        The input, as :func:`load_image` returned it.
    scale : int
        The model's scale factor.
    layout : {"input", "array", "rgb"}
        See :data:`OutputLayout`. With ``"input"``: H'×W' for a grayscale
        input, H'×W'×2 for gray with alpha, H'×W'×3 for RGB, H'×W'×4 for RGB
        with alpha, as a PIL image unless the input was an array.

    Raises
    ------
    ValueError
        ``rgb_out`` is not H'×W'×3 uint8 for this input and scale.

    Notes
    -----
    Grayscale: the output's luma, by Pillow's ``"L"`` conversion
    (L = 0.299 R + 0.587 G + 0.114 B), since the model may tint the gray
    channels slightly differently.

    Alpha: upscaled on its own with Pillow's bicubic resampling to exactly
    W'×H' (8-bit, so clipped to 0..255). It does not go through the model: the
    models are RGB-only and UpscalerJS drops the alpha channel; bicubic keeps
    the edges of the mask smooth, and a fully opaque mask stays 255.
    """
    width, height = loaded.size
    expected = (height * scale, width * scale, 3)
    if rgb_out.dtype != np.uint8 or rgb_out.shape != expected:
        raise ValueError(
            f"The model output is {rgb_out.dtype} of shape {rgb_out.shape}; a {width}×{height} input at scale "
            f"{scale} needs uint8 of shape {expected}: check the scale and crop any padding before restore()."
        )
    if layout == "rgb":
        return rgb_out
    alpha = None if loaded.alpha is None else _upscale_alpha(loaded.alpha, (expected[1], expected[0]))
    return _laid_out(rgb_out, _luma(rgb_out) if loaded.grayscale else None, alpha, loaded.source_kind, layout)


def arrange(loaded: LoadedImage, layout: OutputLayout = "array") -> Image.Image | np.ndarray:
    """The input itself in ``layout`` (see :data:`OutputLayout`), e.g. to save or show what the model ran on."""
    if layout == "rgb":
        return loaded.rgb
    gray = loaded.rgb[..., 0] if loaded.grayscale else None
    return _laid_out(loaded.rgb, gray, loaded.alpha, loaded.source_kind, layout)


def _laid_out(
    rgb: np.ndarray, gray: np.ndarray | None, alpha: np.ndarray | None, source_kind: SourceKind, layout: OutputLayout
) -> Image.Image | np.ndarray:
    if layout not in ("input", "array"):
        raise ValueError(f"Unknown output layout {layout!r}: use 'input', 'array' or 'rgb'.")
    colour = gray if gray is not None and (alpha is None or layout == "input") else rgb
    array = colour if alpha is None else np.dstack([colour, alpha])
    return Image.fromarray(array) if layout == "input" and source_kind != "array" else array


def _pixel_limit(max_pixels: int | None) -> int:
    if max_pixels is None:
        return settings.max_pixels() or DEFAULT_MAX_PIXELS
    if max_pixels < 1:
        raise ImageError(f"max_pixels={max_pixels} must be a positive number of pixels, e.g. {DEFAULT_MAX_PIXELS}.")
    return max_pixels


@dataclass(frozen=True)
class _Budget:
    pixels: int
    check_size: SizeCheck | None


def _check_pixel_budget(size: tuple[int, int], budget: _Budget, described: str) -> None:
    width, height = size
    if budget.check_size is not None:
        budget.check_size(width, height)
    limit = budget.pixels
    bomb_limit = Image.MAX_IMAGE_PIXELS
    if bomb_limit and width * height > bomb_limit:  # checked here: Pillow would only warn, and filters are global
        raise ImageError(
            f"{described} is refused as a possible decompression bomb: {width}×{height} = {width * height:,} pixels, "
            f"more than Pillow's limit of {bomb_limit:,}. Downscale it first, or, if you trust the file, raise "
            "PIL.Image.MAX_IMAGE_PIXELS."
        )
    if width * height > limit:
        raise ImageError(
            f"{described} is {width}×{height} = {width * height:,} pixels, more than the limit of {limit:,} "
            "(a guard against decompression bombs and running out of memory): downscale it first, or raise "
            f"the limit with max_pixels= or the {MAX_PIXELS_ENV} environment variable."
        )


def _load_path(path: Path, limit: _Budget) -> LoadedImage:
    if not path.exists():
        raise ImageError(f"No file at {path}: check the path (relative paths start at {Path.cwd()}).")
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file: pass the path of an image inside it.")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):  # a pipe would block the read, a device never ends: neither is an image file
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"  # fmt: skip
        raise ImageError(f"{path} is {kind}, not an image file: pass the path of an image file (PNG, JPEG, WebP, …).")
    if path.stat().st_size == 0:
        raise ImageError(f"File {path} is empty (0 bytes): it was not written completely; export or download it again.")
    return _load_encoded(path, f"File {path}", "path", limit)


def _load_bytes(data: bytes, limit: _Budget) -> LoadedImage:
    if not data:
        raise ImageError("The image data is empty (0 bytes): pass the whole content of an image file.")
    return _load_encoded(io.BytesIO(data), "The image data", "bytes", limit)


def _load_encoded(source: Path | io.BytesIO, described: str, source_kind: SourceKind, limit: _Budget) -> LoadedImage:
    with _pillow_errors_explained(described):
        opened = Image.open(source)  # reads the header only
    with opened:
        return _load_pil(opened, described, source_kind, limit)


@contextmanager
def _pillow_errors_explained(described: str) -> Iterator[None]:
    """Turn Pillow's decoding errors into ImageErrors."""
    try:
        yield
    except UnidentifiedImageError as error:
        raise ImageError(
            f"{described} is not an image Pillow can read (PNG, JPEG, WebP, …): check the file, or convert it to PNG."
        ) from error
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"{described} is refused by Pillow as a possible decompression bomb ({error}): downscale it first, "
            "or, if you trust the file, raise PIL.Image.MAX_IMAGE_PIXELS."
        ) from error
    except PermissionError as error:
        raise ImageError(f"{described} cannot be read (permission denied): check its permissions.") from error
    except OSError as error:
        raise ImageError(
            f"{described} is truncated or damaged (Pillow: {error}): the file is incomplete or corrupt; "
            "download, copy or export it again."
        ) from error


def _load_pil(image: Image.Image, described: str, source_kind: SourceKind, limit: _Budget) -> LoadedImage:
    _check_pixel_budget(image.size, limit, described)
    with _pillow_errors_explained(described):
        notes = _decoding_notes(image, described)
        with _at_first_frame(image):
            upright, colour_note = to_srgb(ImageOps.exif_transpose(image), image.info.get("icc_profile"), described)
    notes += (colour_note,) if colour_note else ()
    return _loaded(_channels(upright, described), source_kind, image.mode, notes)


def _decoding_notes(image: Image.Image, described: str) -> tuple[str, ...]:
    notes = []
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        notes.append(f"{described} has {frames} frames: only the first one is used.")
    if _has_sixteen_bit_samples(image):
        notes.append(f"{described} has 16 bits per sample: precision was reduced to 8 bits (the models take 8-bit input).")
    return tuple(notes)


@contextmanager
def _at_first_frame(image: Image.Image) -> Iterator[None]:
    position = image.tell()
    image.seek(0)
    try:
        yield
    finally:
        image.seek(position)


def _has_sixteen_bit_samples(image: Image.Image) -> bool:
    undecoded_tiles = getattr(image, "tile", ())  # only images read from a file have tiles
    return image.mode in _SIXTEEN_BIT_MODES or any(_SIXTEEN_BIT_RAWMODE.search(str(tile.args)) for tile in undecoded_tiles)


def _channels(image: Image.Image, described: str) -> np.ndarray:
    """H×W×C uint8: C = 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA)."""
    if image.mode == "F":
        raise ImageError(
            f"{described} has 32-bit float pixels (mode F), which have no fixed range to map to 0..255: convert "
            "it to 8 bits first, e.g. Image.fromarray((np.asarray(image) * 255).clip(0, 255).round().astype(np.uint8)) "
            "for values in 0..1."
        )
    if image.mode in _SIXTEEN_BIT_MODES:
        eight_bit = np.clip(np.rint(np.asarray(image) / 257), 0, 255).astype(np.uint8)
        return eight_bit[..., None]
    target = "L" if image.mode in _GRAY_MODES else "RGB"
    if image.has_transparency_data:
        target += "A"
    pixels = np.asarray(image.convert(target))
    return pixels if pixels.ndim == 3 else pixels[..., None]


def _load_array(array: np.ndarray, limit: _Budget) -> LoadedImage:
    channels = array[..., None] if array.ndim == 2 else array
    if channels.ndim != 3 or channels.shape[2] not in (1, 3, 4):
        raise ImageError(
            f"The array has shape {array.shape}; an image array must be H×W or H×W×1 (gray), H×W×3 (RGB) or "
            "H×W×4 (RGBA): for channels first use np.moveaxis(a, 0, -1), for a batch of one use a[0]."
        )
    if array.size == 0:
        raise ImageError(f"The array of shape {array.shape} has no pixels: pass an image of at least 1×1.")
    if array.dtype != np.uint8:
        raise ImageError(f"The array is {array.dtype}, and images must be uint8 (0..255): {_uint8_hint(array.dtype)}.")
    layout = "uint8[H,W]" if array.ndim == 2 else f"uint8[H,W,{array.shape[2]}]"
    _check_pixel_budget((array.shape[1], array.shape[0]), limit, f"The {layout} array")
    return _loaded(channels, "array", layout)


def _uint8_hint(dtype: np.dtype) -> str:
    if dtype == np.uint16:
        return "for 16-bit values use (a / 257).round().astype(np.uint8)"
    if dtype.kind == "f":
        return "for values in 0..1 use (a * 255).clip(0, 255).round().astype(np.uint8)"
    if dtype.kind == "b":
        return "for a mask use a.astype(np.uint8) * 255"
    return "if the values are already 0..255 use a.clip(0, 255).astype(np.uint8)"


def _loaded(channels: np.ndarray, source_kind: SourceKind, source_mode: str, notes: tuple[str, ...] = ()) -> LoadedImage:
    """Build a LoadedImage from H×W×C uint8 with C = 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA)."""
    has_alpha = channels.shape[2] in (2, 4)
    color = channels[..., :-1] if has_alpha else channels
    grayscale = color.shape[2] == 1
    return LoadedImage(
        rgb=np.array(np.repeat(color, 3, axis=2) if grayscale else color, order="C"),
        alpha=np.array(channels[..., -1]) if has_alpha else None,
        grayscale=grayscale,
        source_kind=source_kind,
        source_mode=source_mode,
        notes=notes,
    )


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def _upscale_alpha(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(alpha).resize(size, Image.Resampling.BICUBIC))
