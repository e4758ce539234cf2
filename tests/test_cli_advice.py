"""``upscale --patch-size auto``: the advice measured and used end to end, through the command line's main()."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from tests.test_cli import EXAMPLE


def test_auto_measures_advises_and_runs_with_the_advice(cli, tmp_path):
    from explorer import Upscaler

    source = tmp_path / "photo.png"
    Image.open(EXAMPLE).convert("RGB").crop((0, 0, 96, 80)).save(source)
    output = tmp_path / "out.png"
    result = cli(
        "upscale",
        str(source),
        "-o",
        str(output),
        "--model",
        "esrgan-slim/2x",
        "--patch-size",
        "auto",
        "--budget-seconds",
        "30",
    )
    assert result.returncode == 0, result.stderr
    advice = re.search(r"Advice: (whole image|(\d+)/(\d+)): .*≈[\d.]+ s", result.stderr)
    assert advice, result.stderr
    patch = int(advice.group(2)) if advice.group(2) else None
    padding = int(advice.group(3)) if advice.group(3) else None
    how = "whole image" if patch is None else f"patches of {patch} px, padding {padding}"
    assert how in result.stdout
    expected = Upscaler("esrgan-slim/2x").upscale(np.asarray(Image.open(source)), patch_size=patch, padding=padding)
    np.testing.assert_array_equal(np.asarray(Image.open(output)), expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget-seconds", "2"], "go with --patch-size auto"),
        (["--patch-size", "auto", "--padding", "4"], "chooses the padding too"),
        (["--patch-size", "big"], "a whole number of pixels or 'auto'"),
        (["--patch-size", "auto", "--budget-seconds", "0"], "must be above 0"),
    ],
)
def test_bad_auto_settings_are_one_line_errors(cli, tmp_path, args, message):
    result = cli("upscale", str(EXAMPLE), "-o", str(tmp_path / "x.png"), *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.png").exists()
