"""The Compare tab's crop view and A/B slider, on real models and a real photo (handler level)."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.app.compare import compare
from explorer.app.crops import CROP_TARGET, PICKER_SIDE, after_compare, crop_view, pick, psnr_note
from explorer.quality.evaluate import reference_pair, upscale_baseline


def _enlarged(region: np.ndarray, times: int) -> np.ndarray:
    return region.repeat(times, axis=0).repeat(times, axis=1)


@pytest.fixture
def reference_run(photo):
    return compare(str(photo), ["pixel-upsampler/x2", "default-model"], 0, 0, True, None)


def test_reference_mode_shows_the_same_region_of_the_original_each_model_and_bicubic(photo, reference_run):
    run = reference_run.run
    assert run.labels == ["original", "pixel-upsampler/x2", "default-model", "bicubic ×2"]
    view = crop_view(run, 10, 12, 16, "default-model", "original")
    times = -(-CROP_TARGET // 16)  # one frame pixel becomes a block of this many screen pixels
    assert (view.x, view.y, view.size) == (10, 12, 16)
    reference, low = reference_pair(np.asarray(Image.open(photo)), 2)
    expected = {
        "original": reference,
        "pixel-upsampler/x2": upscale_baseline(low, 2, "nearest"),
        "default-model": Upscaler("default-model").upscale(low),  # the library's own pixels
        "bicubic ×2": upscale_baseline(low, 2, "bicubic"),
    }
    for (crop, caption), label in zip(view.crops, run.labels, strict=True):
        assert caption.startswith(f"{label} · 16 px ×{times}")
        np.testing.assert_array_equal(crop, _enlarged(expected[label][12:28, 10:26], times))
    model, original = view.slider
    np.testing.assert_array_equal(model, view.crops[2][0])
    np.testing.assert_array_equal(original, view.crops[0][0])
    assert "16×16 px of the original at (10, 12)" in view.note


def test_the_picker_frames_the_region(reference_run):
    view = crop_view(reference_run.run, 20, 8, 12)
    zoom = -(-PICKER_SIDE // 64)  # the 64×48 photo is shown enlarged, so clicks map to whole pixels
    frame = np.asarray(Image.open(reference_run.run.frame))
    expected = frame.repeat(zoom, axis=0).repeat(zoom, axis=1)
    outline = np.zeros(expected.shape[:2], bool)
    top, left, side = 8 * zoom, 20 * zoom, 12 * zoom
    outline[top : top + side, left : left + side] = True
    outline[top + 2 : top + side - 2, left + 2 : left + side - 2] = False  # a 2-pixel frame
    assert view.picker.shape == expected.shape
    assert (view.picker[outline] == [255, 214, 0]).all()
    np.testing.assert_array_equal(view.picker[~outline], expected[~outline])  # the rest is the image itself


def test_without_reference_every_scale_lines_up_on_the_input(photo):
    out = compare(str(photo), ["pixel-upsampler/x2", "pixel-upsampler/x3"], 0, 0, False, None)
    run = out.run
    assert run.labels == ["input", "pixel-upsampler/x2", "pixel-upsampler/x3", "bicubic ×2", "bicubic ×3"]
    assert [shown.factor for shown in run.outputs] == [1, 2, 3, 2, 3]
    view = crop_view(run, 5, 7, 10)
    sides = {crop.shape for crop, _ in view.crops}
    assert sides == {(360, 360, 3)}  # lcm(1, 2, 3) = 6: 10 px × 6 × 6 for every output
    # Repeating pixels 2 or 3 times and then enlarging is the input enlarged: the regions line up exactly.
    np.testing.assert_array_equal(view.crops[1][0], view.crops[0][0])
    np.testing.assert_array_equal(view.crops[2][0], view.crops[0][0])
    assert not np.array_equal(view.crops[3][0], view.crops[0][0])  # bicubic is smoother


def test_a_click_centres_the_region_and_out_of_range_boxes_are_clamped(reference_run):
    run = reference_run.run
    zoom = -(-PICKER_SIDE // 64)  # picture pixels per photo pixel
    clicked = pick(run, 16, None, None, gr.SelectData(None, {"index": [30 * zoom, 20 * zoom], "value": None}))
    assert (clicked.x, clicked.y, clicked.size) == (22, 12, 16)
    corner = crop_view(run, 1000, -5, 9999)
    assert (corner.x, corner.y, corner.size) == (
        16,
        0,
        48,
    )  # the photo is 64×48: as big as its height, at the right edge
    assert corner.slider is None  # no outputs chosen for the slider


def test_after_a_comparison_the_slider_pits_the_first_model_against_the_original(reference_run):
    *view, a, b = after_compare(reference_run.run, 24)
    assert a.value == "pixel-upsampler/x2" and b.value == "original"
    assert view[0] == (64 - 24) // 2 and view[1] == (48 - 24) // 2


def test_the_crop_view_needs_a_comparison_first():
    with pytest.raises(gr.Error, match="Run a comparison first"):
        crop_view(None, 0, 0, 16)


def test_the_summary_says_where_bicubic_scores_higher(reference_run):
    table = reference_run.table
    bicubic = table.loc[table["model"] == "bicubic ×2", "PSNR-Y"].item()
    below = [row["model"] for _, row in table.iterrows() if row["model"] != "bicubic ×2" and row["PSNR-Y"] < bicubic]
    note = psnr_note(table)
    assert "pixel-upsampler/x2" in below  # repeating pixels is the nearest baseline: bicubic beats it
    for model in below:
        assert model in note
    assert ("look at the crops" in note) and note in reference_run.summary
