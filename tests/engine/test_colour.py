"""Colour profiles: Display P3 and Adobe RGB inputs are converted to sRGB on read, outputs are tagged sRGB.

The two profiles are built here, byte by byte, as ICC v2 matrix/TRC monitor
profiles (what cameras and phones embed): D50-adapted colorants and a tone
curve. The reference is LittleCMS through Pillow's ImageCms, applied directly
to the file's pixels; ours goes through load_image and a real model.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from explorer.engine.colour import SRGB_ICC, to_srgb
from explorer.engine.images import load_image
from explorer.engine.output import save_png
from tests.helpers import max_abs_diff

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"
D50 = (0.9642, 1.0, 0.8249)


def _s15(*values: float) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67


def icc_profile(name: str, colorants: tuple[tuple[float, float, float], ...], curve: bytes) -> bytes:
    """An ICC v2 RGB display profile with a matrix (colorants, D50) and one tone curve for all channels."""
    tags = [(b"desc", _description(name)), (b"wtpt", b"XYZ \0\0\0\0" + _s15(*D50))]
    tags += [(tag, b"XYZ \0\0\0\0" + _s15(*xyz)) for tag, xyz in zip((b"rXYZ", b"gXYZ", b"bXYZ"), colorants)]
    tags += [(tag, curve) for tag in (b"rTRC", b"gTRC", b"bTRC")]
    table, data, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"\0" * 4, 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    header += b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + _s15(*D50)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


SRGB_CURVE = b"para\0\0\0\0" + struct.pack(">H2x", 3) + _s15(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
DISPLAY_P3 = icc_profile(
    "Display P3",
    ((0.515121, 0.241196, -0.001053), (0.291977, 0.692245, 0.041885), (0.157104, 0.066574, 0.784073)),
    SRGB_CURVE,
)
ADOBE_RGB = icc_profile(
    "Adobe RGB (1998)",
    ((0.609741, 0.311111, 0.019470), (0.205276, 0.625671, 0.060867), (0.149185, 0.063217, 0.744568)),
    b"curv\0\0\0\0" + struct.pack(">IH2x", 1, 563),  # gamma 563/256 = 2.19921875
)
PROFILES = {"display-p3": DISPLAY_P3, "adobe-rgb": ADOBE_RGB}


def tagged_photo(folder: Path, icc: bytes, mode: str = "RGB", fmt: str = "PNG") -> Path:
    """A photo crop plus a strip of saturated colours (where the spaces differ most), tagged with ``icc``."""
    photo = np.asarray(Image.open(EXAMPLE).convert("RGB").crop((16, 16, 80, 64)))
    strip = np.repeat(np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 120, 40], [30, 160, 220], [128, 128, 128],
                                 [255, 255, 255], [0, 0, 0]]], np.uint8), 8, axis=1)  # fmt: skip
    pixels = np.concatenate([photo, np.repeat(strip, 8, axis=0)], axis=0)
    image = Image.fromarray(pixels)
    if mode == "RGBA":
        image.putalpha(Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (pixels.shape[0], 1))))
    path = folder / f"tagged.{fmt.lower()}"
    image.save(path, format=fmt, icc_profile=icc, **({"quality": 95} if fmt == "JPEG" else {}))
    return path


def cms_reference(path: Path) -> np.ndarray:
    """The file's own pixels converted from its embedded profile to sRGB by ImageCms, independently of our code."""
    with Image.open(path) as image:
        source = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        converted = ImageCms.profileToProfile(image.convert("RGB"), source, ImageCms.createProfile("sRGB"))
    return np.asarray(converted)


@pytest.mark.parametrize("name", PROFILES)
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_tagged_input_is_read_as_srgb_within_one_level_of_imagecms(tmp_path, name, fmt):
    path = tagged_photo(tmp_path, PROFILES[name], fmt=fmt)
    with pytest.warns(UserWarning, match="converted to sRGB"):
        loaded = load_image(path)
    reference = cms_reference(path)
    assert max_abs_diff(loaded.rgb, reference) <= 1  # LittleCMS both sides; 1 level allows its rounding paths
    assert any("converted to sRGB" in note for note in loaded.notes)
    raw = np.asarray(Image.open(path).convert("RGB"))
    assert max_abs_diff(raw, reference) > 20  # the conversion matters: read as sRGB, saturated colours shift


def test_alpha_is_kept_through_the_conversion(tmp_path):
    path = tagged_photo(tmp_path, DISPLAY_P3, mode="RGBA")
    with pytest.warns(UserWarning, match="Display P3"):
        loaded = load_image(path)
    assert max_abs_diff(loaded.rgb, cms_reference(path)) <= 1
    np.testing.assert_array_equal(loaded.alpha, np.asarray(Image.open(path).getchannel("A")))


def test_srgb_and_untagged_inputs_are_left_alone(tmp_path):
    for icc in (SRGB_ICC, None):
        path = tagged_photo(tmp_path, icc) if icc else tmp_path / "plain.png"
        if icc is None:
            Image.open(EXAMPLE).save(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loaded = load_image(path)
        np.testing.assert_array_equal(loaded.rgb, np.asarray(Image.open(path).convert("RGB")))


def test_an_unreadable_profile_is_reported_and_the_pixels_kept():
    image = Image.open(EXAMPLE).convert("RGB")
    same, note = to_srgb(image, b"not an ICC profile", "The image")
    assert same is image and "cannot be read" in note


def test_upscaled_output_of_a_p3_photo_is_srgb_and_tagged_srgb(tmp_path, model_cache):
    """pixel-upsampler repeats pixels, so its output is the converted input, each pixel doubled."""
    from explorer import Upscaler

    path = tagged_photo(tmp_path, DISPLAY_P3)
    with pytest.warns(UserWarning, match="converted to sRGB"):
        output = Upscaler("pixel-upsampler/x2").upscale(path)
    expected = np.repeat(np.repeat(cms_reference(path), 2, axis=0), 2, axis=1)
    assert max_abs_diff(np.asarray(output), expected) <= 1
    saved = save_png(output, tmp_path / "out.png")
    with Image.open(saved) as written:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(written.info["icc_profile"]))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
