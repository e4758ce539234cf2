"""The evaluation sets: Set5/Set14 from the shared datasets folder, folders of images, and the published bicubic figures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.errors import ExplorerError
from explorer.quality import metrics
from explorer.quality.evaluate import reference_pair, upscale_baseline
from explorer.reports.bench.dataset import DATASETS_ENV, datasets_dir, load_set, set_order

DATASETS = datasets_dir()
needs_datasets = pytest.mark.skipif(
    not (DATASETS / "Set5").is_dir() or not (DATASETS / "Set14").is_dir(),
    reason=f"Set5/Set14 are not in {DATASETS} (the repository's ../shared/datasets, or ${DATASETS_ENV})",
)


def _published() -> dict[tuple[str, int], tuple[float, float]]:
    """The bicubic PSNR/SSIM the SR literature prints, from the table in the datasets' README."""
    found = {}
    for name, scale, psnr, ssim in re.findall(r"^\| (Set\d+) \| (\d) \| ([\d.]+) / ([\d.]+) \|", (DATASETS / "README.md").read_text(), re.M):
        found[(name.lower(), int(scale))] = (float(psnr), float(ssim))
    return found


@needs_datasets
def test_the_protocol_reproduces_the_published_bicubic_figures_on_set5_and_set14():
    published = _published()
    assert set(published) == {(s, k) for s in ("set5", "set14") for k in (2, 3, 4)}
    for (name, scale), (psnr, ssim) in published.items():
        images = load_set(name).images
        scores = []
        for image in images.values():
            reference, low = reference_pair(image, scale)
            output = upscale_baseline(low, scale, "bicubic")
            scores.append((metrics.psnr(reference, output, crop_border=scale, y_channel=True),
                           metrics.ssim(reference, output, crop_border=scale, y_channel=True)))  # fmt: skip
        mean_psnr, mean_ssim = np.mean(scores, axis=0)
        # Pillow's antialiased bicubic is close to, not the same as, MATLAB's imresize: 0.1 dB is what the
        # literature accepts between implementations of the same protocol.
        assert abs(mean_psnr - psnr) <= 0.1, (name, scale, mean_psnr, psnr)
        assert abs(mean_ssim - ssim) <= 0.003, (name, scale, mean_ssim, ssim)


@needs_datasets
def test_standard_sets_are_whole_colour_images():
    set5, set14 = load_set("set5"), load_set("Set14")
    assert (set5.name, set5.crop, sorted(set5.images)) == ("set5", 0, ["baby", "bird", "butterfly", "head", "woman"])
    assert set14.name == "set14" and len(set14.images) == 14
    with Image.open(DATASETS / "Set14" / "baboon.png") as baboon:
        assert np.array_equal(set14.images["baboon"], np.asarray(baboon.convert("RGB")))
    assert set14.images["bridge"].shape[2] == 3  # a grayscale file is scored as RGB
    assert all(image.dtype == np.uint8 for image in set14.images.values())
    cropped = load_set("set5", size=64)
    assert cropped.crop == 64 and all(image.shape == (64, 64, 3) for image in cropped.images.values())


def test_a_folder_is_a_set_and_the_datasets_folder_can_be_moved(tmp_path, monkeypatch):
    folder = tmp_path / "holiday"
    folder.mkdir()
    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    Image.fromarray(rgba).save(folder / "b.png")
    Image.fromarray(np.full((20, 50, 3), 90, np.uint8)).save(folder / "a.jpg")
    (folder / "readme.md").write_text("no image")
    found = load_set(str(folder))
    assert found.name == "holiday" and found.crop == 0 and list(found.images) == ["a", "b"]
    assert found.images["b"].shape == (40, 30, 3) and found.images["b"][0, 0, 0] == 200
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    assert datasets_dir() == tmp_path
    with pytest.raises(ExplorerError, match=f"Set5 is not in {re.escape(str(tmp_path))}: pass --datasets DIR"):
        load_set("set5")
    (tmp_path / "Set5").mkdir()
    Image.fromarray(np.full((30, 30, 3), 7, np.uint8)).save(tmp_path / "Set5" / "x.png")
    assert list(load_set("set5").images) == ["x"]


def test_default_datasets_folder_is_beside_the_repository(monkeypatch):
    monkeypatch.delenv(DATASETS_ENV, raising=False)
    repository = Path(__file__).resolve().parents[2]
    assert datasets_dir() == repository.parent / "shared" / "datasets"


def test_set_errors_and_order(tmp_path):
    with pytest.raises(ExplorerError, match="No evaluation set 'nowhere'"):
        load_set("nowhere")
    with pytest.raises(ExplorerError, match="holds no image"):
        load_set(str(tmp_path))
    assert set_order(["mine", "skimage", "set14", "set5", "abc"]) == ["set5", "set14", "skimage", "abc", "mine"]
    photos = load_set("skimage")
    assert photos.crop == 256 and len(photos.images) == 7
