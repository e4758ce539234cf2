"""The seams view, pixel by pixel."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.engine.tiling import plan_patches
from explorer.quality import seams


def test_plan_shades_exactly_the_context_and_outlines_kept_parts():
    image = np.full((40, 50, 3), 100, np.uint8)
    plan = plan_patches(40, 50, 24, 4)
    picture = seams.draw_plan(image, plan)
    read_not_kept = np.zeros((40, 50), bool)
    for patch in plan:
        mask = np.zeros((40, 50), bool)
        mask[patch.y.origin : patch.y.origin + patch.y.size, patch.x.origin : patch.x.origin + patch.x.size] = True
        mask[patch.y.keep_start : patch.y.keep_start + patch.y.keep_size, patch.x.keep_start : patch.x.keep_start + patch.x.keep_size] = False
        read_not_kept |= mask
    edges = np.all(picture == [0, 229, 255], axis=2)
    shaded = ~edges & np.any(picture != 100, axis=2)
    assert np.array_equal(shaded, read_not_kept & ~edges)
    untouched = ~edges & ~read_not_kept
    assert np.all(picture[untouched] == 100)
    for row in plan.rows:  # every kept part starts on an outline
        assert edges[row.keep_start].all()


def test_plan_zoom_repeats_pixels():
    image = np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3)
    plan = plan_patches(16, 16, 8, 2)
    assert seams.draw_plan(image, plan, zoom=3).shape == (48, 48, 3)
    with pytest.raises(ValueError, match="plan is for"):
        seams.draw_plan(image[:10], plan)


def test_view_factor_enlarges_small_images_only():
    assert seams.view_factor(64, 48) == 8
    assert seams.view_factor(200, 100) == 3
    assert seams.view_factor(2000, 100) == 1


def test_difference_map_is_black_where_equal_and_white_at_the_cap():
    whole = np.full((4, 4, 3), 50, np.uint8)
    tiled = whole.copy()
    tiled[0, 0] = 50 + seams.DIFFERENCE_CAP
    tiled[1, 1, 2] = 51
    heat = seams.difference_map(tiled, whole)
    assert heat.shape == (4, 4, 3) and heat.dtype == np.uint8
    assert np.all(heat[0, 0] == 255) and np.all(heat[3, 3] == 0)
    assert 0 < heat[1, 1].sum() < 3 * 255  # one level shows, dimly


def test_difference_stats():
    whole = np.zeros((10, 10, 3), np.uint8)
    tiled = whole.copy()
    tiled[0, :, 0] = 6
    stats = seams.difference_stats(tiled, whole)
    assert stats.max_levels == 6 and stats.changed_fraction == pytest.approx(0.1)
    assert stats.mean_levels == pytest.approx(6 * 10 / 300)
    assert stats.psnr == pytest.approx(10 * math.log10(255**2 / (36 * 10 / 300)))
    assert seams.difference_stats(whole, whole).psnr == math.inf
    with pytest.raises(ValueError, match="must match"):
        seams.difference_stats(tiled[:5], whole)


def test_shrinking_a_heat_map_keeps_its_hottest_pixels():
    heat = np.zeros((100, 60, 3), np.uint8)
    heat[37, 11] = 255  # one bright seam pixel
    small = seams.shrink_for_view(heat, 25)
    assert small.shape == (25, 15, 3)
    assert small.max() == 255 and small[9, 2].tolist() == [255, 255, 255]
    assert seams.shrink_for_view(heat, 200) is heat
