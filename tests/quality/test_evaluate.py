"""Reference mode: mod-crop, antialiased downscale, baselines, and a real model scored against the original."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler, get_spec
from explorer.cli import main
from explorer.quality import metrics
from explorer.quality.evaluate import (
    BASELINES,
    COLUMNS,
    Evaluation,
    EvaluationError,
    downscale,
    evaluate,
    mod_crop,
    upscale_baseline,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "explorer" / "examples" / "astronaut.png"


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photograph, 83×77 so that mod-cropping has something to do."""
    return np.asarray(Image.open(EXAMPLE).convert("RGB"))[10:87, 20:103]


def test_mod_crop_drops_the_right_and_bottom_remainders(photo):
    cropped = mod_crop(photo, 4)
    assert cropped.shape == (76, 80, 3)
    assert np.shares_memory(cropped, photo) and np.array_equal(cropped, photo[:76, :80])
    assert mod_crop(photo, 1).shape == photo.shape
    assert mod_crop(photo[..., 0], 3).shape == (75, 81)


def test_mod_crop_errors():
    with pytest.raises(EvaluationError, match="whole number >= 1"):
        mod_crop(np.zeros((8, 8, 3), np.uint8), 0)
    with pytest.raises(EvaluationError, match="whole number >= 1"):
        mod_crop(np.zeros((8, 8, 3), np.uint8), True)
    with pytest.raises(EvaluationError, match="smaller than the scale 4"):
        mod_crop(np.zeros((3, 8, 3), np.uint8), 4)
    with pytest.raises(EvaluationError, match="numpy array"):
        mod_crop([[1, 2]], 2)


def test_downscale_is_antialiased():
    # A one-pixel checkerboard has no content a half-size grid can hold: an antialiased filter
    # averages it to mid-grey, a plain bicubic interpolation would sample it (0 or 255 everywhere).
    checker = (np.indices((32, 32)).sum(axis=0) % 2 * 255).astype(np.uint8)
    small = downscale(np.repeat(checker[..., None], 3, axis=-1), 2)
    assert small.shape == (16, 16, 3)
    assert np.abs(small.astype(int) - 127.5).max() <= 3  # point sampling would be 127.5 off


def test_downscale_keeps_a_flat_image_and_checks_its_input(photo):
    flat = np.full((24, 36, 3), (10, 200, 77), np.uint8)
    assert np.array_equal(downscale(flat, 3), np.full((8, 12, 3), (10, 200, 77), np.uint8))
    with pytest.raises(EvaluationError, match="mod_crop"):
        downscale(photo, 4)
    with pytest.raises(EvaluationError, match="H×W×3 uint8"):
        downscale(photo.astype(np.float32), 1)


def test_baselines(photo):
    low = mod_crop(photo, 2)[::2, ::2]
    nearest = upscale_baseline(low, 3, "nearest")
    assert np.array_equal(nearest, low.repeat(3, axis=0).repeat(3, axis=1))
    for method in BASELINES:
        assert upscale_baseline(low, 3, method).shape == (low.shape[0] * 3, low.shape[1] * 3, 3)
    with pytest.raises(EvaluationError, match="Unknown baseline 'cubic'.*bicubic"):
        upscale_baseline(low, 2, "cubic")


@pytest.fixture(scope="module")
def slim4x() -> Upscaler:
    return Upscaler("esrgan-slim/4x")


@pytest.fixture(scope="module")
def evaluation(slim4x) -> Evaluation:
    return evaluate(slim4x, EXAMPLE)


def test_evaluation_table_and_images(evaluation):
    table = evaluation.table
    assert tuple(table.columns) == COLUMNS
    assert list(table["method"]) == ["@upscalerjs/esrgan-slim/4x", *BASELINES]
    assert list(table["kind"]) == ["model"] + ["baseline"] * len(BASELINES)
    assert evaluation.model == "@upscalerjs/esrgan-slim/4x" and evaluation.scale == 4
    original = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    assert np.array_equal(evaluation.reference, mod_crop(original, 4))
    assert np.array_equal(evaluation.low_resolution, downscale(evaluation.reference, 4))
    assert set(evaluation.outputs) == set(table["method"])
    for image in evaluation.outputs.values():
        assert image.dtype == np.uint8 and image.shape == evaluation.reference.shape
    with pytest.raises(dataclasses.FrozenInstanceError):
        evaluation.scale = 2  # type: ignore[misc]


def test_scores_are_the_metrics_of_the_outputs(evaluation):
    for row in evaluation.table.itertuples():
        output = evaluation.outputs[row.method]
        assert row.psnr_y == metrics.psnr(evaluation.reference, output, crop_border=4, y_channel=True)
        assert row.ssim_y == metrics.ssim(evaluation.reference, output, crop_border=4, y_channel=True)
        assert row.psnr_rgb == metrics.psnr(evaluation.reference, output, crop_border=4)
        assert row.ssim_rgb == metrics.ssim(evaluation.reference, output, crop_border=4)


def test_the_model_output_is_the_upscalers_and_beats_the_simple_filters(evaluation, slim4x):
    assert np.array_equal(evaluation.outputs[evaluation.model], slim4x.upscale(evaluation.low_resolution))
    psnr_y = dict(zip(evaluation.table["method"], evaluation.table["psnr_y"]))
    assert psnr_y[evaluation.model] > psnr_y["bicubic"] > psnr_y["bilinear"] > psnr_y["nearest"]


def test_model_given_by_name_and_patch_settings(slim4x):
    image = np.asarray(Image.open(EXAMPLE).convert("RGB"))[:64, :64]
    by_name = evaluate("esrgan-slim/4x", image)
    patched = evaluate(slim4x, image, patch_size=8, padding=2)
    assert by_name.table["psnr_y"].tolist() == evaluate(slim4x, image).table["psnr_y"].tolist()
    expected = slim4x.upscale(patched.low_resolution, patch_size=8, padding=2)
    assert np.array_equal(patched.outputs[patched.model], expected)
    assert not np.array_equal(expected, by_name.outputs[by_name.model])  # padding 2 leaves seams


def test_pixel_upsampler_scores_exactly_like_nearest(photo):
    result = evaluate("pixel-upsampler/x2", photo)
    assert np.array_equal(result.outputs["@upscalerjs/pixel-upsampler/x2"], result.outputs["nearest"])
    model_row, nearest_row = result.table.iloc[0], result.table.set_index("method").loc["nearest"]
    for column in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb"):
        assert model_row[column] == nearest_row[column]


def test_grayscale_and_alpha_inputs_are_scored_as_rgb(photo):
    gray = Image.fromarray(photo).convert("L")
    result = evaluate("pixel-upsampler/x2", gray)
    assert result.reference.shape == (76, 82, 3)
    assert np.array_equal(result.reference[..., 0], result.reference[..., 2])
    rgba = np.concatenate([photo, np.full(photo.shape[:2] + (1,), 9, np.uint8)], axis=-1)
    assert np.array_equal(evaluate("pixel-upsampler/x2", rgba).reference, mod_crop(photo, 2))


def test_errors():
    with pytest.raises(EvaluationError, match="needs at least 19 pixels per side"):
        evaluate("pixel-upsampler/x4", np.zeros((18, 40, 3), np.uint8))
    restoration = dataclasses.replace(get_spec("pixel-upsampler/x2"), scale=1, task="deblurring")
    with pytest.raises(EvaluationError, match="deblurring model.*--task upscaling"):
        evaluate(restoration, np.zeros((64, 64, 3), np.uint8))


def test_cli_prints_the_table_and_json(capsys, photo, tmp_path):
    path = tmp_path / "hr.png"
    Image.fromarray(photo).save(path)
    assert main(["evaluate", str(path), "--model", "pixel-upsampler/x2"]) == 0
    out = capsys.readouterr().out
    assert "pixel-upsampler/x2 at 2x on 82×76 (input 41×38)" in out
    assert "| method | kind | psnr_y | ssim_y | psnr_rgb | ssim_rgb | gmsd | hf_ratio | seconds |" in out
    assert main(["evaluate", str(path), "--model", "pixel-upsampler/x2", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["method"] for r in records] == ["@upscalerjs/pixel-upsampler/x2", *BASELINES]
    assert records[0]["psnr_y"] == records[1]["psnr_y"] and math.isfinite(records[0]["psnr_y"])


def test_cli_json_writes_an_infinite_psnr_as_null(capsys, tmp_path):
    path = tmp_path / "flat.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(path)
    assert main(["evaluate", str(path), "--model", "pixel-upsampler/x2", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert all(r["psnr_y"] is None and r["ssim_y"] == pytest.approx(1.0) for r in records)


def test_cli_errors(capsys, tmp_path):
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(small)
    assert main(["evaluate", str(small), "--model", "pixel-upsampler/x2"]) == 2
    assert "needs at least 15 pixels per side" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing.png")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["evaluate", str(small), "--model", "pixel-upsampler/x2", "--degradation", "noise-25"]) == 2
    assert "--degradation is for restoration models" in capsys.readouterr().err
