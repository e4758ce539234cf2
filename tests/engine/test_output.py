"""Writing images: PNG, JPEG, WebP, tagged sRGB, atomic, with clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from skimage import data

from explorer.engine.output import DEFAULT_QUALITY, format_of, png_bytes, save_image, save_png
from explorer.errors import ImageError
from tests.helpers import psnr, rgba_with_hard_edge


@pytest.mark.parametrize("make", [np.asarray, Image.fromarray], ids=["array", "pil"])
def test_save_png_round_trips_and_leaves_no_temporary_file(tmp_path: Path, make) -> None:
    rgba = rgba_with_hard_edge()
    target = tmp_path / "new" / "folder" / "out.png"

    assert save_png(make(rgba), target) == target
    save_png(make(rgba[..., :3]), target)  # replaces the first one

    np.testing.assert_array_equal(np.asarray(Image.open(target)), rgba[..., :3])
    assert [p.name for p in target.parent.iterdir()] == ["out.png"]


def test_save_png_into_an_unwritable_folder_is_explained(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("a file where a folder should be")
    with pytest.raises(ImageError, match="choose a folder you can write to"):
        save_png(data.astronaut()[:8, :8], not_a_folder / "out.png")
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


@pytest.mark.parametrize(("name", "pillow_format"), [("o.png", "PNG"), ("o.JPG", "JPEG"), ("o.jpeg", "JPEG"), ("o.webp", "WEBP")])
def test_format_follows_the_suffix_and_every_file_is_tagged_srgb(tmp_path: Path, name: str, pillow_format: str) -> None:
    photo = data.astronaut()[:96, :96]
    save_image(photo, tmp_path / name)
    with Image.open(tmp_path / name) as written:
        assert written.format == pillow_format
        profile = ImageCms.ImageCmsProfile(io.BytesIO(written.info["icc_profile"]))
        pixels = np.asarray(written.convert("RGB"))
    assert "sRGB" in ImageCms.getProfileDescription(profile)
    assert psnr(photo, pixels) > (200 if pillow_format == "PNG" else 30)
    assert format_of(tmp_path / name) == {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}[pillow_format]


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_quality_trades_size_for_fidelity(tmp_path: Path, fmt: str) -> None:
    photo = data.astronaut()[:128, :128]
    low, high = tmp_path / f"low.{fmt}", tmp_path / f"high.{fmt}"
    save_image(photo, low, quality=20)
    save_image(photo, high, quality=95)
    assert low.stat().st_size < high.stat().st_size
    assert psnr(photo, np.asarray(Image.open(low).convert("RGB"))) < psnr(photo, np.asarray(Image.open(high).convert("RGB")))
    default = tmp_path / f"default.{fmt}"
    save_image(photo, default)
    save_image(photo, tmp_path / f"same.{fmt}", quality=DEFAULT_QUALITY)
    assert default.read_bytes() == (tmp_path / f"same.{fmt}").read_bytes()


def test_jpeg_flattens_alpha_over_white_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="flattened over white"):
        save_image(rgba_with_hard_edge(), tmp_path / "o.jpg", quality=100)
    pixels = np.asarray(Image.open(tmp_path / "o.jpg"))
    assert pixels[:, :6].min() >= 245  # the transparent half is white (JPEG may move it a few levels)


@pytest.mark.parametrize(
    ("name", "quality", "message"),
    [("o.gif", None, "use a .png, .jpg or .webp"), ("o.png", 80, "PNG is lossless"), ("o.jpg", 0, "1 to 100"),
     ("o.webp", 101, "1 to 100")],
)  # fmt: skip
def test_bad_formats_and_qualities_are_explained(tmp_path: Path, name: str, quality, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        save_image(data.astronaut()[:8, :8], tmp_path / name, quality=quality)
    assert list(tmp_path.iterdir()) == []


def _decoded_png(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    return picture


def test_png_bytes_keeps_small_images_and_their_alpha() -> None:
    photo = data.astronaut()[:48, :64]
    alpha = (np.arange(48 * 64) % 256).astype(np.uint8).reshape(48, 64)
    rgba = np.dstack([photo, alpha])
    picture = _decoded_png(png_bytes(rgba))
    assert picture.mode == "RGBA"
    assert np.array_equal(np.asarray(picture), rgba)


def test_png_bytes_shrinks_large_images_for_display() -> None:
    big = data.astronaut()[:48, :64].repeat(20, axis=0).repeat(20, axis=1)  # 960×1280
    assert _decoded_png(png_bytes(big, max_side=320)).size == (320, 240)
    assert _decoded_png(png_bytes(big, max_side=None)).size == (1280, 960)
    assert _decoded_png(png_bytes(big)).size == (1024, 768)
