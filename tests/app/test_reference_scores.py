"""Reference-mode scores: the same numbers as explorer.quality.evaluate, in a readable table."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.reference_scores import detail, empty_scores, headline, quality_table, score_output
from explorer.quality.evaluate import evaluate, reference_pair, upscale_baseline


def test_scores_match_evaluate_and_rank_against_the_best_baseline():
    expected = evaluate("pixel-upsampler/x2", str(BUNDLED_EXAMPLE)).table
    reference, low = reference_pair(str(BUNDLED_EXAMPLE), 2)
    output = upscale_baseline(low, 2, "nearest")  # what pixel-upsampler/x2 makes
    text, table = score_output("@upscalerjs/pixel-upsampler/x2", 2, output, reference, low, 0.01)
    assert list(table.columns) == list(empty_scores().columns)
    for column, shown in (("psnr_y", "PSNR-Y (dB)"), ("gmsd", "GMSD (lower is better)"), ("hf_ratio", "HF ratio (original = 1)")):
        np.testing.assert_allclose(table[shown], expected[column].round(2 if column == "psnr_y" else 3), atol=1e-3)
    baselines = expected[expected["kind"] == "baseline"]
    best = baselines.loc[baselines["psnr_y"].idxmax(), "method"]
    assert best != "nearest"  # repeating pixels is the worst classical filter on a photo
    assert f"{best.capitalize()} beats this model on PSNR and SSIM here: {best} (" in text
    # repeated pixels are blocky: more high-frequency energy than the best filter, and edges further from the original
    assert f"Fine detail: the model keeps more than {best}" in text and "further from the original's" in text


@pytest.mark.parametrize(
    ("model", "ssim", "says"),
    [
        (31.0, 0.91, "better than the best classical filter here, lanczos (30.00 dB, SSIM-Y 0.9000), by 1.00 dB"),
        (29.0, 0.80, "Lanczos beats this model on PSNR and SSIM here"),
        (31.0, 0.80, "on PSNR but not on SSIM here"),
        (29.0, 0.95, "on SSIM but not on PSNR here"),
    ],
)
def test_the_headline_ranks_against_the_best_baseline(model, ssim, says):
    import pandas as pd

    table = pd.DataFrame(
        {
            "method": ["m", "bicubic", "lanczos", "nearest"],
            "kind": ["model", "baseline", "baseline", "baseline"],
            "psnr_y": [model, 29.5, 30.0, 27.0],
            "ssim_y": [ssim, 0.89, 0.90, 0.85],
            "gmsd": [0.05, 0.09, 0.08, 0.12],
            "hf_ratio": [0.6, 0.08, 0.06, 1.3],
        }
    )
    assert says in headline(table, 2)
    assert detail(table) == (
        "Fine detail: the model keeps more than lanczos (high-frequency ratio 0.60 against 0.06; the original is 1), "
        "and its edges are closer to the original's (GMSD 0.0500 against 0.0800, lower is better)."
    )


def test_quality_table_rounds_and_renames():
    table = quality_table(evaluate("pixel-upsampler/x2", str(BUNDLED_EXAMPLE)).table)
    assert table.columns[2] == "PSNR-Y (dB)" and table["SSIM-Y"].map(lambda v: len(str(v).split(".")[1]) <= 4).all()
    with pytest.raises(KeyError):
        quality_table(table)  # already renamed: not an evaluation table
