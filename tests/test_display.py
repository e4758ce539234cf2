"""Notebook pictures: side-by-side panels, the patch grid and the seam heat map (PNG display: tests/engine)."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
from PIL import Image

from explorer import Upscaler
from explorer.display import (
    as_pil,
    patch_grid,
    seam_heatmap,
    seam_stats,
    side_by_side,
)
from explorer.engine.tiling import plan_patches
from explorer.errors import ImageError


@pytest.fixture(scope="module")
def cat() -> np.ndarray:
    """A 48×64 crop of scikit-image's Chelsea the cat (CC0)."""
    return np.ascontiguousarray(skimage.data.chelsea()[100:148, 150:214])


@pytest.fixture(scope="module")
def slim_outputs(cat: np.ndarray) -> dict:
    """esrgan-slim/2x on the cat crop: whole, and in 16-pixel patches with and without padding."""
    upscaler = Upscaler("esrgan-slim/2x")
    return {
        "whole": upscaler.upscale(cat),
        "padding 0": upscaler.upscale(cat, patch_size=16, padding=0),
        "padding 6": upscaler.upscale(cat, patch_size=16, padding=6),
    }


# --- as_pil -------------------------------------------------------------------------------------------------------


def test_as_pil_makes_rgb_from_every_image_shape(cat: np.ndarray):
    gray = cat[..., 0]
    assert np.array_equal(np.asarray(as_pil(cat)), cat)
    assert np.array_equal(np.asarray(as_pil(gray)), np.repeat(gray[..., None], 3, axis=2))
    assert np.array_equal(np.asarray(as_pil(gray[..., None])), np.asarray(as_pil(gray)))
    rgba = np.dstack([cat, np.full(cat.shape[:2], 7, np.uint8)])
    assert np.array_equal(np.asarray(as_pil(rgba)), cat)  # alpha dropped, colours kept
    assert as_pil(Image.fromarray(gray)).mode == "RGB"


@pytest.mark.parametrize(
    ("array", "hint"),
    [
        (np.zeros((8, 8, 3), np.float32), "uint8"),
        (np.zeros((8, 8, 2), np.uint8), "H×W×3"),
        (np.zeros((2, 8, 8, 3), np.uint8), "H×W×3"),
    ],
)
def test_as_pil_refuses_what_is_not_an_image(array: np.ndarray, hint: str):
    with pytest.raises(ImageError, match=hint):
        as_pil(array)


def test_as_pil_refuses_other_objects():
    with pytest.raises(ImageError, match="Cannot read an image from a list"):
        as_pil([[0, 1], [2, 3]])


def test_as_pil_reads_image_files_too(cat: np.ndarray, tmp_path):
    path = tmp_path / "cat.png"
    Image.fromarray(cat).save(path)
    assert np.array_equal(np.asarray(as_pil(path)), cat)
    assert np.array_equal(np.asarray(as_pil(path.read_bytes())), cat)


def test_showing_is_not_refused_for_size(cat: np.ndarray, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_MAX_PIXELS", "100")  # the models' limit, not the display's
    assert as_pil(cat).size == (64, 48)


# --- side_by_side -------------------------------------------------------------------------------------------------


def test_side_by_side_repeats_pixels_to_one_height(cat: np.ndarray):
    small = cat[::2, ::2]  # 24×32
    row = side_by_side([small, cat], gap=5)
    assert row.size == (64 + 5 + 64, 48)
    pixels = np.asarray(row)
    assert np.array_equal(pixels[:, :64], small.repeat(2, axis=0).repeat(2, axis=1))
    assert np.array_equal(pixels[:, 69:], cat)
    assert (pixels[:, 64:69] == 255).all()  # the gap is white


def test_side_by_side_titles_sit_above_the_panels(cat: np.ndarray):
    plain = side_by_side([cat, cat], gap=0)
    titled = side_by_side([cat, cat], ["left", "a title wider than the panel below it"], gap=0)
    band = titled.height - plain.height
    assert band > 0
    pixels = np.asarray(titled)
    assert (pixels[:band] < 128).any(), "the titles are drawn"
    assert titled.width > plain.width, "a long title widens its slot"
    left_slot = pixels[band:, :64]
    assert np.array_equal(left_slot, cat)


def test_side_by_side_height_and_filters(cat: np.ndarray):
    nearest = side_by_side([cat], height=96)
    smooth = side_by_side([cat], height=96, resample="lanczos")
    assert nearest.size == smooth.size == (128, 96)
    assert np.array_equal(np.asarray(nearest), cat.repeat(2, axis=0).repeat(2, axis=1))
    assert not np.array_equal(np.asarray(nearest), np.asarray(smooth))
    assert side_by_side([cat], height=96, resample=Image.Resampling.NEAREST) == nearest


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": []}, "at least one image"),
        ({"titles": ["one"]}, "one title per image"),
        ({"height": 0}, "height"),
        ({"gap": -1}, "gap"),
        ({"resample": "sharpest"}, "nearest"),
    ],
)
def test_side_by_side_explains_bad_arguments(cat: np.ndarray, kwargs: dict, message: str):
    arguments = {"images": [cat, cat], **kwargs}
    with pytest.raises(ValueError, match=message):
        side_by_side(**arguments)


# --- patch_grid ---------------------------------------------------------------------------------------------------


def test_patch_grid_shades_context_and_keeps_the_rest(cat: np.ndarray):
    plan = plan_patches(48, 64, 32, 4)
    picture = np.asarray(patch_grid(cat, plan, zoom=1))
    assert picture.shape == cat.shape
    # Inside the first patch's kept part, away from its outline and from what the shifted-back last row
    # of patches reads (rows 16 to 47), nothing is drawn over the image.
    assert np.array_equal(picture[2:14, 2:20], cat[2:14, 2:20])
    # The columns the first patches read as context (28 to 31) and drop are shaded.
    first = plan.cols[0]
    context = slice(first.keep_start + first.keep_size, first.origin + first.size)
    assert context.stop > context.start
    assert not np.array_equal(picture[5:10, context], cat[5:10, context])


def test_patch_grid_zooms_small_images(cat: np.ndarray):
    plan = plan_patches(48, 64, 32, 4)
    assert patch_grid(cat, plan).size == (512, 384)  # 8 times: at least 512 pixels on the long side
    assert patch_grid(cat, plan, zoom=3).size == (64 * 3, 48 * 3)


# --- seam_heatmap and seam_stats (real model outputs) --------------------------------------------------------------


def test_identical_outputs_give_a_black_map(slim_outputs: dict):
    whole = slim_outputs["whole"]
    heat = np.asarray(seam_heatmap(whole, whole))
    assert heat.shape == whole.shape and not heat.any()
    stats = seam_stats(whole, whole)
    assert stats.psnr == float("inf") and stats.max_levels == 0 and stats.changed_fraction == 0


def test_seams_without_padding_light_up_where_patches_meet(slim_outputs: dict):
    whole, tiled = slim_outputs["whole"], slim_outputs["padding 0"]
    heat = np.asarray(seam_heatmap(tiled, whole)).max(axis=2)
    # With patch 16 and no padding, kept parts meet every 16 input pixels: every 32 output pixels.
    seam_rows = [row for edge in range(32, heat.shape[0], 32) for row in (edge - 1, edge)]
    seam_cols = [col for edge in range(32, heat.shape[1], 32) for col in (edge - 1, edge)]
    on_seams = np.concatenate([heat[seam_rows, :].ravel(), heat[:, seam_cols].ravel()])
    centre_rows = [row for row in range(heat.shape[0]) if abs(row % 32 - 16) <= 2]
    centre_cols = [col for col in range(heat.shape[1]) if abs(col % 32 - 16) <= 2]
    centres = heat[np.ix_(centre_rows, centre_cols)]
    assert on_seams.mean() > 5 * centres.mean()


def test_padding_brings_the_tiled_output_closer(slim_outputs: dict):
    whole = slim_outputs["whole"]
    without, with_padding = seam_stats(slim_outputs["padding 0"], whole), seam_stats(slim_outputs["padding 6"], whole)
    assert with_padding.psnr > without.psnr + 10
    assert with_padding.changed_fraction < without.changed_fraction
    heat = {name: np.asarray(seam_heatmap(slim_outputs[name], whole)).sum() for name in ("padding 0", "padding 6")}
    assert heat["padding 6"] < heat["padding 0"]
