"""Reference-mode scores: the same numbers as explorer.quality.evaluate, in a readable table."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.quality import empty_scores, quality_table, score_output
from explorer.quality.evaluate import evaluate, reference_pair, upscale_baseline


def test_scores_match_evaluate_and_name_the_winner():
    expected = evaluate("pixel-upsampler/x2", str(BUNDLED_EXAMPLE)).table
    reference, low = reference_pair(str(BUNDLED_EXAMPLE), 2)
    output = upscale_baseline(low, 2, "nearest")  # what pixel-upsampler/x2 makes
    headline, table = score_output("@upscalerjs/pixel-upsampler/x2", 2, output, reference, low, 0.01)
    assert list(table.columns) == list(empty_scores().columns)
    np.testing.assert_allclose(table["PSNR-Y (dB)"], expected["psnr_y"].round(2))
    bicubic = expected.set_index("method").loc["bicubic", "psnr_y"]
    gap = expected["psnr_y"].iloc[0] - bicubic
    assert f"{abs(gap):.2f} dB {'better' if gap > 0 else 'worse'} than bicubic" in headline


def test_quality_table_rounds_and_renames():
    table = quality_table(evaluate("pixel-upsampler/x2", str(BUNDLED_EXAMPLE)).table)
    assert table.columns[2] == "PSNR-Y (dB)" and table["SSIM-Y"].map(lambda v: len(str(v).split(".")[1]) <= 4).all()
    with pytest.raises(KeyError):
        quality_table(table)  # already renamed: not an evaluation table
