"""``bench restoration`` on a real MAXIM model (the small deraining package CI uses) and a one-image folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from explorer.cli import main
from explorer.errors import ExplorerError
from explorer.quality.restoration import evaluate_restoration
from explorer.reports.bench.restoration import RESTORATION_COLUMNS, restoration_summary, select_restoration_models


def test_select_restoration_models_keeps_those_with_a_degradation():
    ids = [spec.short_id for spec in select_restoration_models()]
    assert "maxim-denoising" in ids and "maxim-retouching" not in ids and all(i.startswith("maxim-") for i in ids)
    with pytest.raises(ExplorerError, match="No restoration model with a synthetic degradation matches 'maxim-retouching'"):
        select_restoration_models("maxim-retouching")


def test_bench_restoration_cli_writes_rows_that_evaluate_gives(tmp_path, capsys):
    import skimage.data

    folder = tmp_path / "clean"
    folder.mkdir()
    photo = np.ascontiguousarray(skimage.data.coffee()[100:228, 200:328])
    Image.fromarray(photo).save(folder / "coffee.png")
    out = tmp_path / "results"
    assert main(["bench", "restoration", "--models", "maxim-deraining", "--sets", str(folder), "--limit-size", "64",
                 "--out", str(out), "-q"]) == 0  # fmt: skip
    assert "rain:" in capsys.readouterr().out
    rows = pd.read_csv(out / "restoration.csv")
    assert tuple(rows.columns) == RESTORATION_COLUMNS
    assert set(rows["method"]) == {"@upscalerjs/maxim-deraining", "none", "median-3"}
    assert set(rows["set"]) == {"clean"} and set(rows["crop"]) == {64} and set(rows["degradation"]) == {"rain"}
    crop = photo[32:96, 32:96]  # the central 64×64
    expected = evaluate_restoration("maxim-deraining", crop, "rain", key="coffee").table.set_index("method")
    for method, row in rows.set_index("method").iterrows():
        for column in ("psnr_y", "ssim_rgb", "gmsd", "hf_ratio"):
            assert row[column] == pytest.approx(expected.loc[method, column], abs=1e-4), (method, column)
    summary = restoration_summary(rows).set_index("method")
    best = summary.loc[summary["kind"] != "model", "psnr_rgb"].idxmax()
    assert set(summary["best_baseline"]) == {best}
    assert summary.loc["@upscalerjs/maxim-deraining", "delta_best_psnr_rgb"] == pytest.approx(
        summary.loc["@upscalerjs/maxim-deraining", "psnr_rgb"] - summary.loc[best, "psnr_rgb"]
    )
    report = (out / "restoration.md").read_text()
    assert "## deraining: rain" in report and "Retouching is not measured" in report
