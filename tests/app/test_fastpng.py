"""The display PNG writer: lossless for every layout the app writes, read back by Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from explorer.app.fastpng import encode_png
from tests.app.conftest import EXAMPLE


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image)


@pytest.mark.parametrize("layout", ["RGB", "RGBA", "L"])
def test_a_photo_comes_back_identical(layout):
    photo = np.asarray(Image.open(EXAMPLE).convert(layout))
    np.testing.assert_array_equal(decoded(encode_png(photo)), photo)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 7, 4), (9, 1), (3, 5, 3)])
def test_edge_sizes_and_wrapping_differences(shape):
    rng = np.random.default_rng(len(shape))
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels[..., 0, :] = 255  # next to rows of 0: the Up filter's differences wrap around 256
    np.testing.assert_array_equal(decoded(encode_png(pixels)), pixels)


def test_a_strided_view_is_encoded_as_its_pixels():
    photo = np.asarray(Image.open(EXAMPLE).convert("RGBA"))
    view = photo[::2, 1::3, :3]
    np.testing.assert_array_equal(decoded(encode_png(view)), view)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4, 3), np.uint8), np.zeros(4, np.uint8)],
)
def test_other_arrays_are_refused(bad):
    with pytest.raises(ValueError, match="uint8 array"):
        encode_png(bad)


def test_the_picture_is_tagged_srgb():
    with Image.open(io.BytesIO(encode_png(np.asarray(Image.open(EXAMPLE).convert("RGB"))))) as image:
        assert image.info.get("srgb") == 0  # the sRGB chunk, perceptual intent
