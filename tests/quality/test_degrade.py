"""Synthetic degradations and the classical filters that undo them: each does what its name says."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.errors import ExplorerError
from explorer.quality import metrics
from explorer.quality.degrade import (
    CLASSICAL,
    DEGRADATIONS,
    _estimated_sigma,
    degrade,
    restore_classically,
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.chelsea()[60:188, 150:278])


def test_every_degradation_has_a_task_with_classical_filters_and_retouching_has_none():
    tasks = {degradation.task for degradation in DEGRADATIONS.values()}
    assert tasks == {"denoising", "deblurring", "low-light-enhancement", "deraining", "dehazing"}
    assert set(CLASSICAL) == tasks
    assert {"noise-15", "noise-25", "noise-50", "gaussian-blur", "motion-blur", "low-light"} <= set(DEGRADATIONS)


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_noise_has_its_sigma_and_is_repeatable(sigma):
    grey = np.full((128, 128, 3), 128, np.uint8)  # mid-grey: clipping at 0 and 255 is rare even at σ 50
    noisy = degrade(grey, f"noise-{sigma}", key="grey")
    assert np.std(noisy.astype(float) - 128) == pytest.approx(sigma, rel=0.03)
    assert np.array_equal(noisy, degrade(grey, f"noise-{sigma}", key="grey"))
    assert not np.array_equal(noisy, degrade(grey, f"noise-{sigma}", key="other"))
    # the blind estimate the classical filters use finds the level it is not told
    assert _estimated_sigma(noisy / 255.0) * 255 == pytest.approx(sigma, rel=0.1)


def test_blurs_keep_flat_areas_and_motion_blurs_only_along_its_direction():
    flat = np.full((40, 40, 3), 77, np.uint8)
    for name in ("gaussian-blur", "motion-blur"):
        assert np.array_equal(degrade(flat, name), flat)
    stripes = np.zeros((40, 40, 3), np.uint8)
    stripes[::4] = 255  # horizontal lines: a horizontal motion leaves them as they are
    assert np.array_equal(degrade(stripes, "motion-blur"), stripes)
    columns = np.ascontiguousarray(stripes.transpose(1, 0, 2))  # vertical lines are smeared into grey
    smeared = degrade(columns, "motion-blur")
    assert smeared.std() < 0.2 * columns.std()
    assert degrade(columns, "gaussian-blur").std() < 0.2 * columns.std()


def test_low_light_is_the_curve_and_haze_grows_towards_the_top(photo):
    dark = degrade(photo, "low-light")
    expected = np.clip(np.rint(255 * 0.5 * (photo / 255.0) ** 2.2), 0, 255)
    assert np.array_equal(dark, expected.astype(np.uint8))
    hazy = degrade(photo, "haze")
    assert np.abs(hazy[-1].astype(int) - photo[-1]).max() <= 1  # depth 0 at the bottom: no haze
    contrast = [hazy[rows].std() / photo[rows].std() for rows in (slice(0, 16), slice(-32, -16))]
    assert contrast[0] < contrast[1] < 1  # the far top keeps less contrast than the near bottom


def test_rain_only_brightens_and_covers_a_few_percent(photo):
    rainy = degrade(photo, "rain", key="chelsea").astype(int)
    assert (rainy >= photo).all()
    changed = (rainy - photo > 20).any(axis=2).mean()
    assert 0.01 < changed < 0.2


@pytest.mark.parametrize("name", list(DEGRADATIONS))
def test_the_best_classical_filter_is_closer_than_doing_nothing_or_says_so(photo, name):
    task = DEGRADATIONS[name].task
    degraded = degrade(photo, name, key="chelsea")
    outputs = restore_classically(degraded, task)
    assert set(outputs) == set(CLASSICAL[task])
    for output in outputs.values():
        assert output.dtype == np.uint8 and output.shape == photo.shape
    none = metrics.psnr(photo, degraded)
    best = max(metrics.psnr(photo, output) for output in outputs.values())
    if name in ("noise-15", "noise-25", "noise-50", "low-light", "rain"):
        assert best > none + 1, (name, best, none)  # the filters made for these clearly help


def test_errors_say_what_to_use(photo):
    with pytest.raises(ExplorerError, match="Unknown degradation 'fog'; choose from noise-15"):
        degrade(photo, "fog")
    with pytest.raises(ExplorerError, match="H×W×3 uint8 RGB"):
        degrade(photo[..., 0], "noise-25")
    with pytest.raises(ExplorerError, match="No classical filter for 'retouching'"):
        restore_classically(photo, "retouching")
