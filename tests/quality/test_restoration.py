"""Reference mode for restoration models, on a real MAXIM model (the small deraining package CI uses)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import Upscaler
from explorer.errors import ExplorerError
from explorer.quality import metrics
from explorer.quality.degrade import CLASSICAL, degrade
from explorer.quality.evaluate import COLUMNS
from explorer.quality.restoration import degradations_for, evaluate_restoration


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.coffee()[100:164, 200:264])


def test_degradations_per_task():
    assert degradations_for("denoising") == ["noise-15", "noise-25", "noise-50"]
    assert degradations_for("dehazing") == ["haze"] and degradations_for("retouching") == []


def test_a_maxim_model_scored_next_to_doing_nothing_and_the_classical_filter(clean):
    upscaler = Upscaler("maxim-deraining")
    result = evaluate_restoration(upscaler, clean, key="coffee")
    table = result.table.set_index("method")
    assert list(result.table.columns) == list(COLUMNS)
    assert list(table.index) == ["@upscalerjs/maxim-deraining", "none", *CLASSICAL["deraining"]]
    assert list(table["kind"]) == ["model", "input", "baseline"]
    assert result.degradation == "rain" and np.array_equal(result.degraded, degrade(clean, "rain", key="coffee"))
    assert np.array_equal(result.outputs["none"], result.degraded)
    # the model's output is what the upscaler gives for the degraded image, scored without a border crop
    assert np.array_equal(result.outputs["@upscalerjs/maxim-deraining"], upscaler.run(result.degraded).image)
    for method, output in result.outputs.items():
        assert table.loc[method, "psnr_rgb"] == pytest.approx(metrics.psnr(clean, output))
        assert table.loc[method, "gmsd"] == pytest.approx(metrics.gmsd(clean, output, downsample=False))
        assert table.loc[method, "hf_ratio"] == pytest.approx(metrics.hf_ratio(clean, output))
    assert table.loc["none", "hf_ratio"] > 1  # streaks add fine detail the clean image does not have


def test_errors(clean):
    with pytest.raises(ExplorerError, match="cannot be scored on a synthetic degradation"):
        evaluate_restoration("esrgan-slim/2x", clean)
    with pytest.raises(ExplorerError, match="cannot be scored on a synthetic degradation"):
        evaluate_restoration("maxim-retouching", clean)
    with pytest.raises(ExplorerError, match="'noise-25' does not test deraining; choose from rain"):
        evaluate_restoration("maxim-deraining", clean, "noise-25")


def test_cli_scores_a_restoration_model_on_a_degradation(capsys, clean, tmp_path):
    from PIL import Image

    from explorer.cli import main

    path = tmp_path / "clean.png"
    Image.fromarray(clean).save(path)
    assert main(["evaluate", str(path), "--model", "maxim-deraining", "--degradation", "rain"]) == 0
    out = capsys.readouterr().out
    assert "@upscalerjs/maxim-deraining on 64×64 degraded by rain:" in out
    assert "| none | input |" in out and "| median-3 | baseline |" in out and "| gmsd | hf_ratio |" in out
    assert main(["evaluate", str(path), "--model", "maxim-deraining", "--degradation", "haze"]) == 2
    assert "'haze' does not test deraining" in capsys.readouterr().err
