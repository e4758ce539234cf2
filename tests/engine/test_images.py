"""Tests for explorer.engine.images: real image files written with Pillow, real photos from scikit-image."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image
from skimage import data

from explorer.engine.images import (
    DEFAULT_MAX_PIXELS,
    MAX_PIXELS_ENV,
    LoadedImage,
    load_image,
    arrange,
    restore,
)
from explorer.errors import ImageError
from tests.helpers import rgba_with_hard_edge

SIXTEEN_BIT_VALUES = [0, 128, 129, 300, 257 * 100 + 200, 65535]
SIXTEEN_BIT_AS_EIGHT = [0, 0, 1, 1, 101, 255]  # round(v / 257)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture
def astronaut_png(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    return path


@pytest.fixture(scope="module")
def large_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5000×5000 of one colour: 25 million pixels in a file of about 35 kB."""
    path = tmp_path_factory.mktemp("large") / "large.png"
    Image.new("L", (5000, 5000), 7).save(path)
    return path


def nearest_upscale(rgb: np.ndarray, scale: int) -> np.ndarray:
    """A stand-in for a model: each pixel becomes a scale×scale block."""
    return rgb.repeat(scale, axis=0).repeat(scale, axis=1)


# --- accepted inputs -------------------------------------------------------------------------


def test_every_kind_of_input_gives_the_same_rgb(astronaut: np.ndarray, astronaut_png: Path) -> None:
    inputs = {
        "path": [str(astronaut_png), astronaut_png],
        "bytes": [astronaut_png.read_bytes()],
        "pil": [Image.open(astronaut_png), Image.fromarray(astronaut)],
        "array": [astronaut],
    }
    for kind, images in inputs.items():
        for image in images:
            loaded = load_image(image)
            assert loaded.source_kind == kind
            np.testing.assert_array_equal(loaded.rgb, astronaut)
            assert loaded.rgb.dtype == np.uint8 and loaded.rgb.flags.c_contiguous
            assert (loaded.alpha, loaded.grayscale, loaded.notes) == (None, False, ())
            assert loaded.size == (512, 512)


def test_an_array_input_is_copied(astronaut: np.ndarray) -> None:
    array = astronaut.copy()
    loaded = load_image(array)
    array[:] = 0
    np.testing.assert_array_equal(loaded.rgb, astronaut)
    assert loaded.source_mode == "uint8[H,W,3]"


@pytest.mark.parametrize(
    ("orientation", "upright"),
    [
        (3, lambda a: np.rot90(a, 2)),
        (6, lambda a: np.rot90(a, -1)),  # stored rotated: turn 90° clockwise to view
        (8, lambda a: np.rot90(a, 1)),
    ],
)
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, upright) -> None:
    photo = data.chelsea()[:60, :90]  # not square, so a wrong rotation changes the shape
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "rotated.png"
    Image.fromarray(photo).save(path, exif=exif)

    for image in (path, path.read_bytes(), Image.open(path)):
        np.testing.assert_array_equal(load_image(image).rgb, upright(photo))


def test_rgba_keeps_alpha_and_restore_upscales_it_to_the_exact_size() -> None:
    rgba = rgba_with_hard_edge()
    loaded = load_image(Image.fromarray(rgba))
    np.testing.assert_array_equal(loaded.rgb, rgba[..., :3])
    np.testing.assert_array_equal(loaded.alpha, rgba[..., 3])

    restored = np.asarray(restore(nearest_upscale(loaded.rgb, 4), loaded, 4))

    assert restored.shape == (64, 64, 4) and restored.dtype == np.uint8
    np.testing.assert_array_equal(restored[..., :3], nearest_upscale(rgba[..., :3], 4))
    alpha = restored[..., 3]
    assert (alpha[:, :24] == 0).all() and (alpha[:, 40:] == 255).all()
    # The edge between input columns 7 and 8 lies between output columns 31 and 32.
    assert (alpha[:, :32] < 128).all() and (alpha[:, 32:] > 128).all()


def test_fully_opaque_alpha_stays_opaque(astronaut: np.ndarray) -> None:
    rgba = np.dstack([astronaut[:40, :30], np.full((40, 30), 255, np.uint8)])
    loaded = load_image(rgba)
    restored = restore(nearest_upscale(loaded.rgb, 3), loaded, 3)
    assert restored.shape == (120, 90, 4)
    assert (restored[..., 3] == 255).all()


def test_la_is_grayscale_with_alpha(tmp_path: Path) -> None:
    gray = data.camera()[::8, ::8]
    alpha = np.zeros_like(gray)
    alpha[:, 32:] = 255
    path = tmp_path / "la.png"
    Image.fromarray(np.dstack([gray, alpha])).save(path)

    loaded = load_image(path)

    assert loaded.grayscale and loaded.source_mode == "LA"
    np.testing.assert_array_equal(loaded.rgb, np.dstack([gray] * 3))
    np.testing.assert_array_equal(loaded.alpha, alpha)
    restored = restore(nearest_upscale(loaded.rgb, 2), loaded, 2)
    assert restored.mode == "LA"
    np.testing.assert_array_equal(np.asarray(restored)[..., 0], nearest_upscale(gray, 2))


def test_palette_without_transparency_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "palette.png"
    palette_image = Image.fromarray(data.chelsea()).quantize(16)
    palette_image.save(path)

    loaded = load_image(path)

    assert loaded.source_mode == "P" and loaded.alpha is None and not loaded.grayscale
    np.testing.assert_array_equal(loaded.rgb, np.asarray(palette_image.convert("RGB")))


def test_palette_with_transparency_keeps_alpha(tmp_path: Path) -> None:
    indices = np.zeros((10, 12), np.uint8)
    indices[:, 6:] = 1
    palette_image = Image.fromarray(indices, mode="P")
    palette_image.putpalette([255, 0, 0, 0, 0, 255])
    path = tmp_path / "transparent.png"
    palette_image.save(path, transparency=0)

    loaded = load_image(path)

    assert loaded.source_mode == "P"
    np.testing.assert_array_equal(loaded.alpha, np.where(indices == 0, 0, 255))
    np.testing.assert_array_equal(loaded.rgb[0, -1], [0, 0, 255])


def test_bilevel_image_is_grayscale(tmp_path: Path) -> None:
    bits = data.horse()  # bool silhouette
    path = tmp_path / "bilevel.png"
    Image.fromarray(bits).save(path)

    loaded = load_image(path)

    assert loaded.source_mode == "1" and loaded.grayscale and loaded.alpha is None
    np.testing.assert_array_equal(loaded.rgb[..., 0], np.where(bits, 255, 0))
    restored = restore(nearest_upscale(loaded.rgb, 2), loaded, 2)
    assert restored.mode == "L" and restored.size == (bits.shape[1] * 2, bits.shape[0] * 2)


def test_cmyk_becomes_rgb_and_without_a_profile_says_its_colours_are_approximate(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(path, quality=100)

    with pytest.warns(UserWarning, match="is CMYK with no colour profile") as caught:
        loaded = load_image(path)

    assert len(caught) == 1 and loaded.notes == (str(caught[0].message),)
    assert loaded.source_mode == "CMYK"
    np.testing.assert_allclose(loaded.rgb[4, 4], [255, 0, 0], atol=2)  # cyan-free, magenta + yellow: red


@pytest.mark.parametrize("mode", ["YCbCr", "LAB", "HSV"])
def test_other_colour_spaces_become_rgb(mode: str) -> None:
    image = Image.fromarray(data.chelsea()).convert(mode)
    loaded = load_image(image)
    assert loaded.source_mode == mode
    np.testing.assert_array_equal(loaded.rgb, np.asarray(image.convert("RGB")))


def test_sixteen_bit_png_is_reduced_to_eight_bits_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "gray16.png"
    Image.fromarray(np.array([SIXTEEN_BIT_VALUES], np.uint16)).save(path)

    with pytest.warns(UserWarning, match="reduced to 8 bits"):
        loaded = load_image(path)

    assert loaded.source_mode == "I;16" and loaded.grayscale
    np.testing.assert_array_equal(loaded.rgb[0, :, 0], SIXTEEN_BIT_AS_EIGHT)
    assert "reduced to 8 bits" in loaded.notes[0]


def test_32_bit_integer_image_is_scaled_like_16_bit_and_clipped() -> None:
    values = np.array([SIXTEEN_BIT_VALUES + [70000]], np.int32)
    with pytest.warns(UserWarning, match="reduced to 8 bits"):
        loaded = load_image(Image.fromarray(values))
    assert loaded.source_mode == "I"
    np.testing.assert_array_equal(loaded.rgb[0, :, 0], SIXTEEN_BIT_AS_EIGHT + [255])


def test_sixteen_bit_colour_tiff_is_reduced_with_a_warning(tmp_path: Path) -> None:
    values = (data.chelsea()[:4, :5].astype(np.uint16) * 257 + 100).astype(np.uint16)
    path = tmp_path / "colour16.tif"
    tifffile.imwrite(path, values, photometric="rgb")

    with pytest.warns(UserWarning, match="16 bits per sample"):
        loaded = load_image(path)

    np.testing.assert_array_equal(loaded.rgb, values // 256)  # Pillow keeps the high byte


def test_float_image_is_refused() -> None:
    image = Image.fromarray(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
    with pytest.raises(ImageError, match=r"float pixels \(mode F\).*convert it to 8 bits"):
        load_image(image)


def test_animated_gif_gives_its_first_frame_with_a_warning(tmp_path: Path) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (6, 4), colour) for colour in colours]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)

    with pytest.warns(UserWarning, match="has 3 frames: only the first one is used"):
        loaded = load_image(path)
    assert (loaded.rgb == colours[0]).all()

    opened = Image.open(path)
    opened.seek(2)
    with pytest.warns(UserWarning, match="3 frames"):
        loaded = load_image(opened)
    assert (loaded.rgb == colours[0]).all()
    assert opened.tell() == 2  # the caller's image is left at its frame


# --- refused arrays --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "hint"),
    [
        (np.zeros((4, 4, 3), np.uint16), "(a / 257).round().astype(np.uint8)"),
        (np.zeros((4, 4, 3), np.float32), "(a * 255).clip(0, 255).round().astype(np.uint8)"),
        (np.zeros((4, 4), np.float64), "(a * 255).clip(0, 255).round().astype(np.uint8)"),
        (np.zeros((4, 4), bool), "a.astype(np.uint8) * 255"),
        (np.zeros((4, 4, 3), np.int64), "a.clip(0, 255).astype(np.uint8)"),
        (np.zeros((3, 8, 8), np.uint8), "np.moveaxis(a, 0, -1)"),
        (np.zeros((1, 8, 8, 3), np.uint8), "a[0]"),
        (np.zeros((8, 8, 2), np.uint8), "H×W×4 (RGBA)"),
        (np.zeros(8, np.uint8), "H×W×3 (RGB)"),
        (np.zeros((0, 8, 3), np.uint8), "at least 1×1"),
    ],
    ids=["uint16", "float32", "float64", "bool", "int64", "channels-first", "batch", "two-channels", "1-d", "empty"],
)
def test_refused_arrays_say_how_to_convert(array: np.ndarray, hint: str) -> None:
    with pytest.raises(ImageError) as raised:
        load_image(array)
    assert hint in str(raised.value)


def test_unsupported_object_is_refused() -> None:
    with pytest.raises(ImageError, match="pass a file path, the bytes of an image file"):
        load_image([[0, 0], [0, 0]])


# --- unreadable files ------------------------------------------------------------------------


def broken_files(folder: Path, png: bytes) -> dict[str, Path]:
    paths = {
        "empty": folder / "empty.png",
        "truncated": folder / "truncated.png",
        "not an image": folder / "notes.png",
        "folder": folder / "a-folder.png",
        "missing": folder / "missing.png",
    }
    paths["empty"].write_bytes(b"")
    paths["truncated"].write_bytes(png[: len(png) // 2])
    paths["not an image"].write_text("This is a text file, not a PNG.\n")
    paths["folder"].mkdir()
    return paths


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("empty", "is empty (0 bytes)"),
        ("truncated", "is truncated or damaged"),
        ("not an image", "is not an image Pillow can read (PNG, JPEG, WebP, …): check the file, or convert it to PNG"),
        ("folder", "is a folder, not an image file"),
        ("missing", "No file at"),
    ],
)
def test_unreadable_files_are_explained(tmp_path: Path, astronaut_png: Path, case: str, expected: str) -> None:
    path = broken_files(tmp_path, astronaut_png.read_bytes())[case]
    with pytest.raises(ImageError) as raised:
        load_image(path)
    message = str(raised.value)
    assert expected in message and str(path) in message


def test_a_pipe_or_a_device_is_not_taken_for_an_empty_file(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)  # nobody writes to it: reading would wait for ever
    for path, kind in ((fifo, "is a named pipe (FIFO), not an image file"), (Path("/dev/zero"), "is a device, not an image file")):
        with pytest.raises(ImageError) as raised:
            load_image(path)
        assert str(raised.value).startswith(f"{path} {kind}") and "written completely" not in str(raised.value)


def test_truncated_and_bad_bytes_are_explained(astronaut_png: Path) -> None:
    png = astronaut_png.read_bytes()
    with pytest.raises(ImageError, match="The image data is empty"):
        load_image(b"")
    with pytest.raises(ImageError, match="The image data is truncated or damaged"):
        load_image(png[: len(png) // 2])
    with pytest.raises(ImageError, match="The image data is not an image Pillow can read"):
        load_image(b"GIF? no, just text")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_permissions_are_explained(astronaut_png: Path) -> None:
    astronaut_png.chmod(0)
    with pytest.raises(ImageError, match="permission denied"):
        load_image(astronaut_png)


# --- pixel budget ----------------------------------------------------------------------------


def test_default_limit_is_4096_squared() -> None:
    assert DEFAULT_MAX_PIXELS == 4096 * 4096 == 16_777_216


def test_too_many_pixels_are_refused_from_the_header(large_png: Path) -> None:
    with pytest.raises(ImageError, match=r"5000×5000 = 25,000,000 pixels, more than the limit of 1,000,000"):
        load_image(large_png, max_pixels=1_000_000)
    # Only the header is there: refusing it by size proves no pixel was decoded.
    header_only = large_png.read_bytes()[:100]
    with pytest.raises(ImageError, match="more than the limit"):
        load_image(header_only, max_pixels=1_000_000)
    with pytest.raises(ImageError, match="more than the limit of 16,777,216"):
        load_image(Image.open(large_png))


def test_large_image_loads_when_the_limit_allows_it(large_png: Path) -> None:
    loaded = load_image(large_png, max_pixels=25_000_000)
    assert loaded.size == (5000, 5000) and loaded.grayscale


def test_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch, astronaut: np.ndarray) -> None:
    monkeypatch.setenv(MAX_PIXELS_ENV, "100000")
    with pytest.raises(ImageError, match=f"limit of 100,000.*{MAX_PIXELS_ENV}"):
        load_image(astronaut)
    assert load_image(astronaut, max_pixels=512 * 512).size == (512, 512)  # the argument wins

    monkeypatch.setenv(MAX_PIXELS_ENV, "a lot")
    with pytest.raises(ImageError, match="is not a whole number"):
        load_image(astronaut)
    with pytest.raises(ImageError, match="max_pixels=0 must be a positive number of pixels"):
        load_image(astronaut, max_pixels=0)


def test_pillow_bomb_limit_holds_even_when_our_limit_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (10000, 10000)).save(path)  # 100 million pixels, over Pillow's MAX_IMAGE_PIXELS
    with pytest.warns(Image.DecompressionBombWarning):  # Pillow warns as it opens the header
        with pytest.raises(ImageError, match="possible decompression bomb.*MAX_IMAGE_PIXELS"):
            load_image(path, max_pixels=200_000_000)


# --- restore, arrange: output layouts -------------------------------------------------------


def test_grayscale_restore_takes_the_luma(astronaut: np.ndarray) -> None:
    gray = np.asarray(Image.fromarray(astronaut).convert("L"))
    loaded = load_image(gray)
    model_output = np.zeros((1024, 1024, 3), np.uint8)
    model_output[..., 0] = 200  # a tinted output: luma = 0.299 * 200

    restored = restore(model_output, loaded, 2)

    assert restored.shape == (1024, 1024)
    assert (restored == 60).all()


def test_restore_refuses_an_output_of_the_wrong_size(astronaut: np.ndarray) -> None:
    loaded = load_image(astronaut)
    with pytest.raises(ValueError, match=r"needs uint8 of shape \(1024, 1024, 3\)"):
        restore(nearest_upscale(astronaut, 2)[:-2], loaded, 2)
    with pytest.raises(ValueError, match="needs uint8"):
        restore(nearest_upscale(astronaut, 2).astype(np.float32), loaded, 2)


@pytest.mark.parametrize(
    ("array", "mode"),
    [
        (data.camera()[:16, :16], "L"),
        (data.astronaut()[:16, :16], "RGB"),
        (rgba_with_hard_edge(), "RGBA"),
    ],
)
def test_the_input_layout_matches_the_input_kind(tmp_path: Path, array: np.ndarray, mode: str) -> None:
    path = tmp_path / "input.png"
    Image.fromarray(array).save(path)
    for image in (path, path.read_bytes(), Image.open(path), array):
        loaded = load_image(image)
        result = restore(nearest_upscale(loaded.rgb, 2), loaded, 2)
        if isinstance(image, np.ndarray):
            assert isinstance(result, np.ndarray) and result.shape[:2] == (32, 32)
        else:
            assert isinstance(result, Image.Image) and (result.mode, result.size) == (mode, (32, 32))


def test_loaded_image_is_frozen(astronaut: np.ndarray) -> None:
    loaded = load_image(astronaut)
    assert isinstance(loaded, LoadedImage)
    with pytest.raises(AttributeError):
        loaded.grayscale = True


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_array_and_rgb_layouts_for_every_input(tmp_path: Path, mode: str) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (6, 5, len(mode)), dtype=np.uint8)
    path = tmp_path / f"{mode}.png"
    Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(path)
    loaded = load_image(path)
    as_array = {"L": "L", "LA": "RGBA"}.get(mode, mode)  # an array has no gray-and-alpha layout: RGBA
    expected = np.asarray(Image.open(path).convert(as_array))
    np.testing.assert_array_equal(arrange(loaded, "array"), expected)
    assert isinstance(arrange(loaded, "input"), Image.Image) and arrange(loaded, "input").mode == mode
    np.testing.assert_array_equal(arrange(loaded, "rgb"), loaded.rgb)
    output = restore(nearest_upscale(loaded.rgb, 2), loaded, 2, "array")
    colour = slice(0, 3) if mode.endswith("A") else slice(None)
    np.testing.assert_array_equal(output[..., colour], nearest_upscale(expected, 2)[..., colour])
    assert output.shape == nearest_upscale(expected, 2).shape
    if mode.endswith("A"):  # the alpha resized as for the input's own layout
        np.testing.assert_array_equal(output[..., 3], np.asarray(restore(nearest_upscale(loaded.rgb, 2), loaded, 2))[..., -1])
    assert restore(nearest_upscale(loaded.rgb, 2), loaded, 2, "rgb").shape == (12, 10, 3)


def test_a_size_check_sees_the_header_before_any_pixel_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (300, 200)).save(path)
    seen = []

    def refuse(width: int, height: int) -> None:
        seen.append((width, height))
        raise ImageError("too wide")

    with pytest.raises(ImageError, match="too wide"):
        load_image(path, check_size=refuse)
    assert seen == [(300, 200)]
    loaded = load_image(path)
    assert load_image(loaded, check_size=refuse) is loaded  # decoded already: checked when it was decoded
