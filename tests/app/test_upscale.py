"""The Upscale tab's handlers, on real models and real images."""

from __future__ import annotations

import warnings

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler, list_models
from explorer.app.config import AppConfig
from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.upscale import model_info, seams_heatmap, settings_status, upscale
from explorer.engine.tiling import plan_patches
from explorer.quality.evaluate import evaluate


class Recorder:
    """Stands in for gr.Progress: records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, progress, desc=None, total=None, unit="steps"):
        self.calls.append((progress, desc, unit))


def test_whole_image_run_equals_the_library(photo):
    out = upscale(str(photo), "default-model", 0, 0, False, None)
    expected = Upscaler("default-model").upscale(np.asarray(Image.open(photo)))
    np.testing.assert_array_equal(np.asarray(Image.open(out.png)), expected)
    before, after = (np.asarray(Image.open(path)) for path in out.slider)
    assert out.slider[1] == out.png  # shown at full size: the page shows the download's own file, encoded once
    assert before.shape == after.shape == (96, 128, 3)
    np.testing.assert_array_equal(after, expected)
    np.testing.assert_array_equal(before[::2, ::2], np.asarray(Image.open(photo)))  # pixels repeated
    assert "64×48 → 128×96" in out.summary and "whole image" in out.summary
    assert "| Model load |" in out.timings and ("| Model calls |" in out.timings or "| First model call |" in out.timings)
    assert out.plan_view is None and out.last_run.plan is None
    assert "reference mode" in out.quality and out.scores.empty


def test_fast_precision_says_what_ran_and_why(photo, monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "off")  # the path of a CPU without bf16 units
    fast = upscale(str(photo), "esrgan-slim/2x", 0, 0, False, None, precision="fast")
    exact = upscale(str(photo), "esrgan-slim/2x", 0, 0, False, None)
    np.testing.assert_array_equal(np.asarray(Image.open(fast.png)), np.asarray(Image.open(exact.png)))
    assert "**Precision:** exact runs: bf16 is off (UPSCALER_EXPLORER_BF16=off)." in fast.summary
    assert "Precision" not in exact.summary
    with pytest.raises(gr.Error, match="precision='half' is not valid"):
        upscale(str(photo), "esrgan-slim/2x", 0, 0, False, None, precision="half")


def test_progress_advances_once_per_patch(photo):
    progress = Recorder()
    out = upscale(str(photo), "esrgan-slim/2x", 32, 4, False, progress)
    plan = plan_patches(48, 64, 32, 4)
    steps = [call[0] for call in progress.calls if call[2] == "patches"]
    assert sorted(set(steps)) == [(done, len(plan)) for done in range(1, len(plan) + 1)]  # the ticker may repeat one
    named = [call[0] for call in progress.calls if call[2] == "steps done"]
    assert named and all(done < total for done, total in named)  # every named step shown beside a count
    descs = [call[1] or "" for call in progress.calls]
    assert any(desc.startswith("Loading esrgan-slim/2x") for desc in descs)
    assert any(desc.startswith(f"Upscaling with esrgan-slim/2x on 64×48 px, {len(plan)} patches of 32 px") for desc in descs)
    assert f"{len(plan)} patches of 32 px, padding 4" in out.summary
    assert len(out.patch_times) == len(plan) and (out.patch_times["ms"] >= 0).all()
    assert np.asarray(Image.open(out.plan_view)).shape == (48 * 12, 64 * 12, 3)  # small inputs are shown enlarged (to 768 px)
    assert f"{len(plan.rows)} × {len(plan.cols)} patches" in out.seams_note


def test_reference_mode_scores_the_model_and_the_baselines(tmp_path):
    source = tmp_path / "hr.png"
    Image.open(BUNDLED_EXAMPLE).save(source)
    out = upscale(str(source), "default-model", 0, 0, True, None)
    assert list(out.scores["method"]) == ["default-model", "nearest", "bilinear", "bicubic", "lanczos"]
    expected = evaluate("default-model", str(source)).table
    np.testing.assert_allclose(out.scores["PSNR-Y (dB)"], expected["psnr_y"].round(2))
    np.testing.assert_allclose(out.scores["SSIM-Y"], expected["ssim_y"].round(4))
    assert "PSNR-Y" in out.quality and ("beats this model" in out.quality or "classical filter" in out.quality)
    assert np.asarray(Image.open(out.slider[1])).shape == (128, 128, 3)  # the 64² downscaled copy, upscaled 2x
    np.testing.assert_array_equal(np.asarray(Image.open(out.slider[0])), np.asarray(Image.open(source).convert("RGB")))
    assert "left is your original image" in out.summary


def test_seams_heatmap_compares_with_the_whole_image(photo):
    with pytest.warns(UserWarning, match="seams may show"):
        tiled = upscale(str(photo), "esrgan-slim/2x", 32, 0, False, None)
    heat_png, note = seams_heatmap(tiled.last_run, None)
    heat = np.asarray(Image.open(heat_png))
    assert heat.shape == (96 * 6, 128 * 6, 3)  # enlarged to 768 px wide, pixels repeated
    assert heat.max() > 0 and "levels" in note  # no padding: seams show
    whole = upscale(str(photo), "esrgan-slim/2x", 0, 0, False, None)
    assert seams_heatmap(whole.last_run, None) == (None, "")
    assert seams_heatmap(None, None) == (None, "")


def test_a_patch_larger_than_the_image_runs_as_one_patch_and_says_so(photo):
    out = upscale(str(photo), "esrgan-slim/2x", 100, 4, False, None)
    whole = upscale(str(photo), "esrgan-slim/2x", 0, 0, False, None)
    np.testing.assert_array_equal(np.asarray(Image.open(out.png)), np.asarray(Image.open(whole.png)))
    assert "one patch: the 100 px patch covers the whole 64×48 image" in out.summary
    assert len(out.patch_times) == 1 and seams_heatmap(out.last_run, None).heatmap is None


def test_grayscale_and_alpha_come_back_in_the_download(tmp_path):
    gray = tmp_path / "gray.png"
    Image.new("L", (20, 10), 128).save(gray)
    assert Image.open(upscale(str(gray), "pixel-upsampler/x2", 0, 0, False, None).png).mode == "L"
    rgba = tmp_path / "rgba.png"
    Image.new("RGBA", (20, 10), (10, 20, 30, 40)).save(rgba)
    out = upscale(str(rgba), "pixel-upsampler/x2", 0, 0, False, None)
    output = Image.open(out.png)
    assert output.mode == "RGBA" and output.size == (40, 20)
    shown = Image.open(out.slider[1])  # the page shows the model's RGB output, alpha dropped
    assert shown.mode == "RGB" and np.array_equal(np.asarray(shown), np.asarray(output)[..., :3])
    assert "Transparency is kept" in out.summary
    assert "Transparency" not in upscale(str(gray), "pixel-upsampler/x2", 0, 0, False, None).summary


def test_one_x_models_do_not_claim_pixels_are_repeated(photo):
    out = upscale(str(photo), "pixel-upsampler/x2", 0, 0, False, None)
    assert "each pixel repeated" in out.summary
    spec = next(spec for spec in list_models() if spec.scale == 1)
    from explorer.app.runview import summary

    report = Upscaler("pixel-upsampler/x2").run(np.asarray(Image.open(photo))).report
    text = summary(spec.short_id, 1, report, shown=128, scoring=False, alpha=False)
    assert "repeated" not in text and "left is your image, right" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patch_size": 32, "padding": 16}, "twice the padding"),
        ({"patch_size": 100000, "padding": 4}, "out of range"),
        ({"patch_size": 64, "padding": 200}, "twice the padding"),
        ({"patch_size": 64, "padding": -5}, "cannot be negative"),
        ({"patch_size": -10, "padding": 200}, "cannot be negative"),
        ({"patch_size": float("nan"), "padding": 4}, "not a number"),
        ({"patch_size": float("inf"), "padding": 4}, "out of range"),
        ({"patch_size": 3.5, "padding": 0}, "use 3 or 4"),
        ({"patch_size": 1e300, "padding": 4}, "out of range"),
        ({"model": "nope"}, "No model called"),
        ({"image": None}, "Add an image"),
    ],
)
def test_bad_requests_are_shown_not_raised_as_tracebacks(photo, kwargs, message):
    call = {"image": str(photo), "model": "default-model", "patch_size": 0, "padding": 0, "reference": False}
    call.update(kwargs)
    with pytest.raises(gr.Error) as caught:
        upscale(**call, progress=None)
    assert message in caught.value.message


def test_the_app_pixel_limit_applies(photo):
    with pytest.raises(gr.Error) as caught:
        upscale(str(photo), "default-model", 0, 0, False, None, config=AppConfig(max_pixels=1000))
    assert "takes up to 1,000" in caught.value.message


def test_padding_zero_warns_about_seams(photo):
    with pytest.warns(UserWarning, match="seams"):
        upscale(str(photo), "pixel-upsampler/x2", 32, 0, False, None)


def test_settings_status_explains_rules_live(photo):
    assert settings_status(None, "default-model", 0, 0).startswith("✓ **Whole image**")
    assert "64 px patches, 4 px padding" in settings_status(None, "default-model", 64, 4)
    assert settings_status(None, "default-model", 64, 32).startswith("✗") and "twice" in settings_status(None, "default-model", 64, 32)
    assert "seams" in settings_status(None, "default-model", 64, 0)
    assert "This image: 6 patches." in settings_status(str(photo), "esrgan-slim/2x", 32, 4)  # 64×48 in 32 px patches
    assert "esrgan-slim/4x" in model_info("esrgan-slim/4x") and "parameters" in model_info("esrgan-slim/4x")


def test_reference_mode_on_a_model_that_does_not_upscale_is_said_as_you_tick_it(photo):
    """The box can be ticked for a restoration model; the status says at once what the run will say (no scores)."""
    maxim = next((spec for spec in list_models() if spec.scale == 1), None) or pytest.skip("no restoration model")
    sentence = f"{maxim.short_id} is a {maxim.task} model (no upscaling): reference mode needs an upscaling model."
    assert sentence not in settings_status(str(photo), maxim.short_id, 0, 0, False)
    assert settings_status(str(photo), maxim.short_id, 0, 0, True).endswith(f"⚠ {sentence}")
    assert sentence not in settings_status(str(photo), "default-model", 0, 0, True)  # an upscaler is scored


@pytest.mark.parametrize(
    ("patch_size", "padding", "reference", "config"),
    [
        (8, 0, False, AppConfig()),  # the server's smallest patch is 16
        (64, 32, False, AppConfig()),
        (3.5, 0, False, AppConfig()),
        (16, 4, False, AppConfig(max_patches=4)),
        (0, 0, False, AppConfig(max_output_pixels=100 * 100)),
        (0, 0, False, AppConfig(max_pixels=1000)),
        (16, 0, True, AppConfig(max_patches=2)),  # reference mode: the shrunk copy's patches count
    ],
    ids=["small-patch", "rules", "fraction", "patches", "output", "input", "reference-patches"],
)
def test_the_live_check_refuses_what_the_run_refuses_in_the_same_words(photo, patch_size, padding, reference, config):
    with pytest.raises(gr.Error) as caught:
        upscale(str(photo), "default-model", patch_size, padding, reference, None, config=config)
    assert settings_status(str(photo), "default-model", patch_size, padding, reference, config=config) == f"✗ {caught.value.message}"


def test_reference_mode_output_limit_counts_the_real_output(tmp_path):
    hr = tmp_path / "hr.png"
    Image.open(BUNDLED_EXAMPLE).save(hr)  # 128²: at 4x a plain run would make 512², reference mode 128²
    config = AppConfig(max_output_pixels=200 * 200)
    with pytest.raises(gr.Error, match="would become 512×512"):
        upscale(str(hr), "pixel-upsampler/x4", 0, 0, False, None, config=config)
    shown = upscale(str(hr), "pixel-upsampler/x4", 0, 0, True, None, config=config).slider[1]
    assert np.asarray(Image.open(shown)).shape == (128, 128, 3)


def test_odd_and_damaged_uploads_are_said_on_upload_in_the_run_s_words_and_once_at_the_run(tmp_path):
    from explorer.app.compare import settings_status as compare_status

    from .conftest import odd_uploads

    for name, (path, said) in odd_uploads(tmp_path).items():
        live = settings_status(str(path), "default-model", 0, 0)
        assert said in live and compare_status(str(path), ["default-model", "esrgan-slim/2x"], 0, 0).count(said) == 1, name
        with warnings.catch_warnings(record=True) as shown:  # gr.Warning outside a page is a Python warning
            warnings.simplefilter("always")
            if said.startswith("✗"):
                with pytest.raises(gr.Error) as caught:
                    upscale(str(path), "default-model", 0, 0, False, None)
                assert live == f"✗ {caught.value.message}"  # the same sentence, before and at the run
            else:
                upscale(str(path), "default-model", 0, 0, False, None)
                assert live.count(said) == 1 and [str(w.message) for w in shown] == [live.split("⚠ ", 1)[1]]
