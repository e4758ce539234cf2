"""Measured numbers per model, read from result files of any layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from explorer.reports.results import ResultTable, measured_by_model


def test_measured_numbers_come_from_set5_and_leave_restoration_out():
    quality = pd.DataFrame(
        {
            "set": ["skimage", "set5", "set5", "set14", "set5"],
            "method": ["@upscalerjs/esrgan-slim/2x"] * 4 + ["bicubic"],
            "kind": ["model"] * 4 + ["baseline"],
            "psnr_y": [40.0, 30.0, 32.0, 20.0, 25.0],
            "ssim_y": [0.9, 0.8, 0.6, 0.5, 0.4],
        }
    )
    restoration = pd.DataFrame({"degradation": ["noise-25"], "method": ["@upscalerjs/maxim-denoising"], "kind": ["model"], "psnr_y": [30.0]})
    measured = measured_by_model([ResultTable("quality", Path("q.csv"), quality), ResultTable("restoration", Path("r.csv"), restoration)])
    assert list(measured.index) == ["@upscalerjs/esrgan-slim/2x"]
    assert measured.loc["@upscalerjs/esrgan-slim/2x", "psnr_y"] == pytest.approx(31.0)
    assert measured.loc["@upscalerjs/esrgan-slim/2x", "ssim_y"] == pytest.approx(0.7)
