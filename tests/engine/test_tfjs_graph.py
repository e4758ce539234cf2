"""MAXIM graph models: load once, divisibility padding and rounding, and (opt-in) every package via the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler, get_spec, list_models
from explorer.engine import store
from explorer.engine.formats.tfjs_graph import load_graph_model
from tests.helpers import full_only, psnr

REPO = Path(__file__).resolve().parents[2]
MAXIM = [s for s in list_models() if s.family == "maxim"]
CI_MAXIM = "maxim-deraining"  # one of the smaller (14-shard) packages


def _fixture(spec) -> np.ndarray:
    return np.asarray(Image.open(store.package_dir(spec) / spec.fixture).convert("RGB"))


def test_the_registry_lists_the_seven_maxim_models_by_task():
    assert {s.short_id for s in MAXIM} == {
        "maxim-deblurring",
        "maxim-denoising",
        "maxim-deraining",
        "maxim-dehazing-indoor",
        "maxim-dehazing-outdoor",
        "maxim-enhancement",
        "maxim-retouching",
    }
    assert {s.task for s in MAXIM} == {"deblurring", "denoising", "deraining", "dehazing", "low-light-enhancement", "retouching"}
    for spec in MAXIM:
        assert (spec.scale, spec.model_type, spec.input_range, spec.divisibility_factor) == (1, "graph", (0.0, 1.0), 64)
    assert list_models(task="deraining") == [get_spec(CI_MAXIM)]


@pytest.fixture(scope="module")
def maxim() -> Upscaler:
    return Upscaler(CI_MAXIM)


def test_graph_model_loads_once_per_process(maxim):
    again = Upscaler(CI_MAXIM)
    assert again.model_file is maxim.model_file
    assert maxim.model_file.format == "tfjs-graph" and maxim.model_file.summary["Einsum"] > 0
    assert maxim.load_seconds > 0


def test_restores_a_crop_padded_to_multiples_of_64_and_cropped_back(maxim):
    crop = _fixture(maxim.spec)[100:164, 200:264]
    result = maxim.run(crop)
    assert result.image.shape == crop.shape and result.report.patches == 1
    smaller = maxim.upscale(crop[:40, :50])  # zero-padded to 64x64: the same traced shape
    assert smaller.shape == (40, 50, 3)
    wider = maxim.run(_fixture(maxim.spec)[100:164, 200:328])  # a new size: the graph is traced once per model
    assert wider.image.shape == (64, 128, 3) and not wider.report.traced


def test_a_patch_size_is_rounded_up_to_a_multiple_of_64(maxim):
    crop = _fixture(maxim.spec)[100:164, 200:264]
    with pytest.warns(UserWarning, match="patch_size 50 becomes 64"):
        tiled = maxim.run(crop, patch_size=50, padding=4)
    assert tiled.report.patch_size == 64
    np.testing.assert_array_equal(tiled.image, maxim.upscale(crop))


def test_graph_weights_that_match_no_constant_are_refused(maxim, tmp_path):
    import json
    import shutil

    source = Path(maxim.model_file.path)
    for file in source.parent.iterdir():
        shutil.copy(file, tmp_path / file.name)
    data = json.loads((tmp_path / "model.json").read_text())
    data["modelTopology"]["node"] = [n for n in data["modelTopology"]["node"] if n["name"] != data["weightsManifest"][0]["weights"][0]["name"]]
    from explorer.errors import ModelFormatError

    with pytest.raises(ModelFormatError, match="match no Const node"):
        load_graph_model(tmp_path / "model.json", data)


def _shift(image: np.ndarray, reference: np.ndarray) -> tuple[int, int]:
    """Translation that maps ``image`` onto ``reference`` (the shipped result is a differently framed crop)."""
    from skimage.registration import phase_cross_correlation

    shift, _, _ = phase_cross_correlation(reference.mean(2), image.mean(2))
    return int(shift[0]), int(shift[1])


def _overlap(image: np.ndarray, reference: np.ndarray, shift: tuple[int, int], margin: int = 16):
    """The overlapping parts of both images once aligned, without a ``margin`` at the seams."""
    dy, dx = shift
    height, width = image.shape[:2]
    ref = reference[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)]
    ours = image[max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)]
    inner = (slice(margin, -margin), slice(margin, -margin))
    return ours[inner], ref[inner]


def test_restoration_moves_a_crop_towards_the_shipped_result(maxim):
    fixture = _fixture(maxim.spec)
    reference = np.asarray(Image.open(store.package_dir(maxim.spec) / maxim.spec.reference).convert("RGB"))
    dy, dx = _shift(fixture, reference)
    y, x = 120, 220
    crop = fixture[y : y + 64, x : x + 64]
    target = reference[y + dy : y + dy + 64, x + dx : x + dx + 64]
    restored = maxim.upscale(crop)
    assert psnr(target[4:-4, 4:-4], restored[4:-4, 4:-4]) > psnr(target[4:-4, 4:-4], crop[4:-4, 4:-4]) + 3


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.short_id, marks=full_only) for s in MAXIM])
def test_every_maxim_package_runs_from_the_cli_on_its_fixture(spec, tmp_path):
    root = store.package_dir(spec)
    output = tmp_path / "out.png"
    result = subprocess.run(
        [sys.executable, "-m", "explorer", "upscale", str(root / spec.fixture), "-o", str(output), "--model", spec.id, "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    ours = np.asarray(Image.open(output).convert("RGB"))
    reference = np.asarray(Image.open(root / spec.reference).convert("RGB"))
    shift = _shift(ours, reference)
    score = psnr(*_overlap(ours, reference, shift))
    print(f"{spec.short_id}: PSNR {score:.2f} dB in the aligned overlap (shift {shift}); {result.stdout.strip()}")
    assert score > 25
