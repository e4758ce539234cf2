"""Patch plans follow UpscalerJS's rules; stitching puts every kept pixel in place once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.engine.registry import get_spec
from explorer.engine.tiling import (
    MAX_PATCH_SIZE,
    RunSettings,
    auto_tile_for,
    parse_patch_settings,
    patch_notes,
    plan_patches,
    round_up_to_multiple,
    settle_patch_settings,
    stitch,
    validate_patch_settings,
)
from explorer.errors import PatchSettingsError


def _upscalerjs_axis(total: int, patch_size: int, padding: int) -> list[tuple[int, int, int]]:
    """UpscalerJS's loop for one axis, transcribed from its documented behaviour.

    Returns (origin, keep_start, keep_size) per patch, including the redundant
    trailing patch UpscalerJS sometimes runs.
    """
    size = min(patch_size, total)
    out, start = [], 0
    while start < total:
        pre = 0 if start == 0 or size == total else padding
        beyond = start + size > total
        post = 0 if beyond or size == total else padding
        if beyond:
            origin, keep = total - size, total - start
        else:
            origin, keep = start - pre, size - pre - post
        out.append((origin, start, keep))
        start += size - pre - post
    return out


def test_known_case_from_upscalerjs_tests():
    plan = plan_patches(300, 200, 128, 2)
    assert [r.origin for r in plan.rows] == [0, 124, 172]
    assert [c.origin for c in plan.cols] == [0, 72]
    assert plan.patch_shape == (128, 128)
    assert len(plan) == 6


def test_patch_larger_than_image_is_one_patch_of_the_image_size():
    plan = plan_patches(50, 70, 128, 8)
    assert len(plan) == 1
    assert plan.patch_shape == (50, 70)


def test_patch_equal_to_one_side_has_no_padding_on_that_side():
    plan = plan_patches(64, 200, 64, 8)
    assert [(r.origin, r.keep_offset, r.keep_size) for r in plan.rows] == [(0, 0, 64)]
    assert plan.cols[0].keep_size == 56  # border side: no pre-padding, inner side padded


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(1, 400),
    patch_size=st.integers(1, 200),
    padding_fraction=st.floats(0, 0.499),
)
def test_axis_plan_matches_upscalerjs_and_tiles_exactly(total, patch_size, padding_fraction):
    padding = min(int(patch_size * padding_fraction), (patch_size - 1) // 2)
    spans = plan_patches(total, 1, patch_size, padding).rows
    reference = _upscalerjs_axis(total, patch_size, padding)
    ours = [(s.origin, s.keep_start, s.keep_size) for s in spans]
    # Same patches, except UpscalerJS may repeat the last one (same origin, already covered).
    assert ours == reference[: len(ours)]
    for origin, keep_start, keep_size in reference[len(ours):]:
        assert origin == spans[-1].origin and keep_start + keep_size == total
    covered = np.zeros(total, int)
    for span in spans:
        assert 0 <= span.origin and span.origin + span.size <= total
        assert span.size == min(patch_size, total)
        covered[span.keep_start : span.keep_start + span.keep_size] += 1
        # context: a kept part has `padding` pixels around it unless it touches the border
        if span.keep_start > 0 and span.origin + span.size < total:
            assert span.keep_offset >= min(padding, span.keep_start)
    assert (covered == 1).all()


@settings(max_examples=100, deadline=None)
@given(
    height=st.integers(1, 90),
    width=st.integers(1, 90),
    patch_size=st.integers(2, 64),
    padding=st.integers(0, 31),
    scale=st.sampled_from([1, 2, 3]),
)
def test_stitching_a_pixel_repeat_equals_the_whole_image(height, width, patch_size, padding, scale):
    padding = min(padding, (patch_size - 1) // 2)
    rng = np.random.default_rng(height * 1000 + width)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    plan = plan_patches(height, width, patch_size, padding)
    outputs = (
        image[p.y.origin : p.y.origin + p.y.size, p.x.origin : p.x.origin + p.x.size].repeat(scale, 0).repeat(scale, 1)
        for p in plan
    )
    np.testing.assert_array_equal(stitch(plan, outputs, scale), image.repeat(scale, 0).repeat(scale, 1))


@pytest.mark.parametrize(
    ("patch_size", "padding", "message"),
    [
        (0, 0, "greater than 0"),
        (-8, 2, "greater than 0"),
        (16, 8, "too large"),
        (16, 9, "too large"),
        (16, -1, "padding must be"),
        (12.5, 2, "whole number"),
        (MAX_PATCH_SIZE + 1, 4, f"at most {MAX_PATCH_SIZE}"),
    ],
)
def test_invalid_settings_are_refused_with_advice(patch_size, padding, message):
    with pytest.raises(PatchSettingsError, match=message):
        validate_patch_settings(patch_size, padding)


def test_valid_settings_default_padding_to_zero():
    assert validate_patch_settings(None, 4) == (None, 0)
    assert validate_patch_settings(32, None) == (32, 0)


def test_stitch_rejects_outputs_of_the_wrong_scale():
    plan = plan_patches(10, 10, 4, 1)
    with pytest.raises(ValueError, match="expected"):
        stitch(plan, (np.zeros((4, 4, 3)) for _ in plan), scale=2)


def test_round_up_to_multiple():
    assert [round_up_to_multiple(v, 64) for v in (1, 64, 65, 128)] == [64, 64, 128, 128]


BAD_RAW_SETTINGS = [
    # (patch size, padding, what the message must say): the values users type, paste or send
    (100000, 4, "out of range"),
    ("100000", 4, "out of range"),
    (64, 200, "twice the padding"),
    (64, -5, "cannot be negative"),
    (-10, 4, "cannot be negative"),
    (-10, 200, "cannot be negative"),
    (float("nan"), 4, "not a number"),
    ("NaN", 4, "not a number"),
    (64, float("nan"), "not a number"),
    (float("inf"), 4, "out of range"),
    (64, "-inf", "out of range"),
    (3.5, 0, "use 3 or 4"),
    (64, "3.5", "use 3 or 4"),
    (1e300, 4, "out of range"),
    (64, 1e300, "out of range"),
    ("sixty-four", 4, "whole number"),
    (True, 4, "whole number"),
]


@pytest.mark.parametrize(("patch_size", "padding", "message"), BAD_RAW_SETTINGS)
def test_raw_settings_from_front_ends_are_refused_not_clamped(patch_size, padding, message):
    with pytest.raises(PatchSettingsError, match=message) as caught:
        parse_patch_settings(patch_size, padding, zero_is_whole=True)
    assert "\n" not in str(caught.value) and ("Patch size" in str(caught.value) or "adding" in str(caught.value))


@pytest.mark.parametrize(
    ("patch_size", "padding", "zero_is_whole", "expected"),
    [
        ("64", "4", False, (64, 4)),
        (64.0, 4.0, False, (64, 4)),
        (np.int64(48), np.float32(2), False, (48, 2)),
        (" 32 ", None, False, (32, None)),
        (0, 0, True, (None, 0)),
        ("", "", True, (None, None)),
        (None, 8, False, (None, 8)),  # whole image: padding handed back for the caller to ignore
        (MAX_PATCH_SIZE, 0, False, (MAX_PATCH_SIZE, 0)),
    ],
)
def test_raw_settings_that_are_whole_numbers_pass(patch_size, padding, zero_is_whole, expected):
    assert parse_patch_settings(patch_size, padding, zero_is_whole=zero_is_whole) == expected


def test_zero_is_an_error_unless_the_front_end_means_whole_image():
    with pytest.raises(PatchSettingsError, match="greater than 0"):
        parse_patch_settings(0, 0)


# --- advice about valid settings, and the settings a run uses ---------------------------------------------


def test_patch_notes_are_data_each_front_end_words():
    assert [n.kind for n in patch_notes(64, None, divisibility_factor=64)] == ["seams"]
    assert patch_notes(64, 0) == [] and patch_notes(None, 0) == []  # an explicit 0 is UpscalerJS's "no padding"
    (ignored,) = patch_notes(None, 8)
    assert ignored.text("patchSize", "padding") == (
        "padding is ignored without patchSize: the whole image goes through the model at once."
    )
    seams, rounded = patch_notes(100, None, divisibility_factor=64)
    assert (rounded.kind, rounded.factor, rounded.rounded) == ("rounded", 64, 128)
    assert rounded.text("--patch-size", model="maxim-deblurring", because="it warns") == (
        "maxim-deblurring needs sides that are multiples of 64: --patch-size 100 becomes 128 (it warns)."
    )
    assert seams.text().startswith("patch_size without padding: seams may show where patches meet. Set padding")


def test_a_run_settles_auto_tiling_and_rounding():
    default, maxim = get_spec("default-model"), get_spec("maxim-deblurring")
    assert settle_patch_settings(default, 100, 100, None, None) == RunSettings(None, 0, False, ())
    tile = auto_tile_for(default)
    side = int(tile.max_output_pixels**0.5) // default.scale + 1  # just over the limit
    big = settle_patch_settings(default, side, side, None, 4)
    assert (big.patch_size, big.padding, big.auto_tiled) == (tile.patch_size, tile.padding, True)
    assert [n.kind for n in big.notes] == ["padding-ignored"]
    rounded = settle_patch_settings(maxim, 300, 300, 100, 8)
    assert (rounded.patch_size, rounded.padding, [n.kind for n in rounded.notes]) == (128, 8, ["rounded"])
    with pytest.raises(PatchSettingsError):
        settle_patch_settings(default, 10, 10, 16, 8)


def test_the_auto_tile_threshold_follows_the_environment(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_AUTO_TILE_PIXELS", "1000")
    assert auto_tile_for(get_spec("default-model")).max_output_pixels == 1000
    assert settle_patch_settings(get_spec("default-model"), 20, 20, None, None).auto_tiled  # 40² output > 1000
