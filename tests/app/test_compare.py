"""The Compare tab: several real models on one real image."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from explorer.app.compare import COMPARE_COLUMNS, compare, padded_limits, quality_plot
from explorer.app.config import AppConfig
from explorer.quality.evaluate import reference_pair, score_row, upscale_baseline


def test_reference_mode_scores_each_model_and_bicubic(photo):
    out = compare(str(photo), ["pixel-upsampler/x2", "default-model"], 0, 0, True, None)
    assert list(out.table.columns) == list(COMPARE_COLUMNS)
    assert list(out.table["model"]) == ["pixel-upsampler/x2", "default-model", "bicubic ×2"]
    reference, low = reference_pair(np.asarray(Image.open(photo)), 2)
    nearest = score_row("nearest", "baseline", upscale_baseline(low, 2, "nearest"), reference, 2, 0.0)
    pixel = out.table.iloc[0]
    assert pixel["PSNR-Y"] == round(nearest["psnr_y"], 2)  # repeating pixels is the nearest baseline
    # measured, and rounded to ms in the table: a fast run may show 0.000, never nothing
    assert out.table["seconds"].iloc[:2].ge(0).all() and out.table["parameters"].iloc[1] == 222075
    assert [caption.split(" ·")[0] for _, caption in out.gallery] == ["original", "pixel-upsampler/x2", "default-model", "bicubic ×2"]
    assert all(np.asarray(Image.open(image)).shape == (48, 64, 3) for image, _ in out.gallery)
    assert list(out.points["method"]) == ["pixel-upsampler/x2", "default-model", "bicubic ×2"]
    assert "Fastest" in out.summary and "Best PSNR-Y" in out.summary


def test_without_reference_models_upscale_the_image_itself(photo):
    progress = []
    out = compare(str(photo), ["pixel-upsampler/x2", "pixel-upsampler/x3"], 32, 4, False, lambda *a, **k: progress.append(k.get("desc")))
    assert [np.asarray(Image.open(image)).shape for image, _ in out.gallery] == [(96, 128, 3), (144, 192, 3)]
    assert out.table["PSNR-Y"].isna().all() and out.points.empty
    assert any("(2/2)" in (desc or "") for desc in progress)


@pytest.mark.parametrize(("models", "message"), [([], "at least one"), (["default-model", "nope"], "No model called")])
def test_bad_choices_are_errors(photo, models, message):
    with pytest.raises(gr.Error) as caught:
        compare(str(photo), models, 0, 0, True, None)
    assert message in caught.value.message


def test_the_number_of_models_is_bounded(photo):
    with pytest.raises(gr.Error, match="up to 2"):
        compare(str(photo), ["default-model", "esrgan-slim/3x", "esrgan-slim/4x"], 0, 0, True, None, config=AppConfig(max_compare=2))


def test_the_quality_plot_leaves_room_around_every_point_and_names_each_method_once():
    points = pd.DataFrame(
        {"method": ["default-model", "a<b", "bicubic ×2"], "seconds": [0.5, 1.5, 0.0], "PSNR-Y": [30.0, 31.0, 29.0]}
    )
    plot, legend = quality_plot(points)
    assert plot.x_lim == [-0.12, 1.62] and plot.y_lim == [28.84, 31.16]  # 8 % of each span beyond the extremes
    assert list(plot.color_map) == ["default-model", "a<b", "bicubic ×2"] and len(set(plot.color_map.values())) == 3
    assert legend.count('class="key"') == 3 and "a&lt;b" in legend  # names are text, not markup
    assert padded_limits(pd.Series([2.0, 2.0])) == [1.84, 2.16] and padded_limits(pd.Series([], dtype=float)) is None


def test_fast_precision_is_said_per_model(photo, monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "off")  # the path of a CPU without bf16 units
    out = compare(str(photo), ["pixel-upsampler/x2", "default-model"], 0, 0, True, None, precision="fast")
    assert "**Precision (fast):**" in out.summary
    for name in ("pixel-upsampler/x2", "default-model"):
        assert f"- {name}: exact runs: bf16 is off (UPSCALER_EXPLORER_BF16=off)" in out.summary
    assert "Precision" not in compare(str(photo), ["pixel-upsampler/x2"], 0, 0, True, None).summary


@pytest.mark.parametrize(
    ("patch_size", "padding", "config"),
    [(8, 0, AppConfig()), (64, 32, AppConfig()), (16, 4, AppConfig(max_patches=2)), (0, 0, AppConfig(max_pixels=1000))],
    ids=["small-patch", "rules", "patches", "input"],
)
def test_the_live_status_refuses_what_the_comparison_refuses_in_the_same_words(photo, patch_size, padding, config):
    from explorer.app.compare import settings_status

    models = ["esrgan-slim/2x", "pixel-upsampler/x2"]
    with pytest.raises(gr.Error) as caught:
        compare(str(photo), models, patch_size, padding, True, None, config=config)
    assert settings_status(str(photo), models, patch_size, padding, True, config=config) == f"✗ {caught.value.message}"
    assert settings_status(str(photo), models, 32, 4, True, config=AppConfig()).startswith("✓")


def test_a_first_run_is_never_shown_faster_than_a_warm_one(photo):
    from explorer.engine.loaded_models import clear_model_cache

    clear_model_cache()
    cold = compare(str(photo), ["esrgan-slim/2x", "default-model"], 0, 0, True, None).table.set_index("model")
    warm = compare(str(photo), ["esrgan-slim/2x", "default-model"], 0, 0, True, None).table.set_index("model")
    for model in ("esrgan-slim/2x", "default-model"):
        assert cold.loc[model, "first run"] > cold.loc[model, "seconds"]  # load and tracing are in the first
        assert np.isnan(warm.loc[model, "first run"])  # warm already: no first run to show
        assert warm.loc[model, "seconds"] >= 0
