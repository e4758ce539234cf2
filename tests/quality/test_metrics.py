"""PSNR and SSIM, pinned against direct numpy implementations of the SR-protocol formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from explorer.errors import ExplorerError
from explorer.quality.metrics import MetricsInputError, psnr, rgb_to_y, ssim

# --- independent reference implementations (written from the formulas, not from skimage) ---


def reference_y(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float64) / 255 for i in range(3))
    return 16 + 65.481 * r + 128.553 * g + 24.966 * b


def reference_psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255.0**2 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    offsets = np.arange(size) - size // 2
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    return window / window.sum()


def weighted_mean(image: np.ndarray, window: np.ndarray) -> np.ndarray:
    patches = sliding_window_view(image, window.shape)  # only positions where the window fits
    return np.einsum("ijkl,kl->ij", patches, window)


def reference_ssim_channel(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x.astype(np.float64), y.astype(np.float64)
    w = gaussian_window()
    mu_x, mu_y = weighted_mean(x, w), weighted_mean(y, w)
    var_x = weighted_mean(x * x, w) - mu_x**2
    var_y = weighted_mean(y * y, w) - mu_y**2
    cov = weighted_mean(x * y, w) - mu_x * mu_y
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map.mean())


def reference_ssim(a: np.ndarray, b: np.ndarray) -> float:
    if a.ndim == 2:
        return reference_ssim_channel(a, b)
    return float(np.mean([reference_ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[2])]))


# --- fixed test arrays ---


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    """A smooth colour image and a noisy, slightly shifted copy (fixed seed)."""
    rng = np.random.default_rng(20261104)
    yy, xx = np.mgrid[0:40, 0:52]
    base = np.stack([120 + 80 * np.sin(xx / 7), 100 + 60 * np.cos(yy / 5), 60 + 2 * xx + yy], axis=-1)
    reference = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).round().astype(np.uint8)
    test = np.clip(reference + rng.normal(3, 12, base.shape), 0, 255).round().astype(np.uint8)
    return reference, test


def test_rgb_to_y_is_matlab_bt601_studio_range():
    primaries = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    np.testing.assert_allclose(rgb_to_y(primaries)[0], [16, 235, 16 + 65.481, 16 + 128.553, 16 + 24.966], atol=1e-9)


def test_rgb_to_y_matches_the_formula_on_an_image(pair):
    np.testing.assert_allclose(rgb_to_y(pair[0]), reference_y(pair[0]), rtol=0, atol=1e-9)


def test_psnr_rgb_and_y_match_numpy(pair):
    reference, test = pair
    assert psnr(reference, test) == pytest.approx(reference_psnr(reference, test), abs=1e-9)
    expected_y = reference_psnr(reference_y(reference), reference_y(test))
    assert psnr(reference, test, y_channel=True) == pytest.approx(expected_y, abs=1e-9)
    assert psnr(reference, test, y_channel=True) != pytest.approx(psnr(reference, test), abs=0.01)


def test_psnr_of_a_known_error():
    reference = np.full((16, 16, 3), 100, np.uint8)
    test = reference + np.uint8(5)  # MSE 25
    assert psnr(reference, test) == pytest.approx(10 * math.log10(255**2 / 25), abs=1e-12)


def test_ssim_rgb_and_y_match_a_direct_gaussian_window_implementation(pair):
    reference, test = pair
    assert ssim(reference, test) == pytest.approx(reference_ssim(reference, test), abs=1e-9)
    assert ssim(reference, test, y_channel=True) == pytest.approx(
        reference_ssim_channel(reference_y(reference), reference_y(test)), abs=1e-9
    )


def test_grayscale_images(pair):
    reference, test = pair[0][..., 1], pair[1][..., 1]
    assert psnr(reference, test) == pytest.approx(reference_psnr(reference, test), abs=1e-9)
    assert ssim(reference, test) == pytest.approx(reference_ssim(reference, test), abs=1e-9)


def test_crop_border_equals_scoring_the_cropped_images(pair):
    reference, test = pair
    inner = (slice(4, -4), slice(4, -4))
    assert psnr(reference, test, crop_border=4) == pytest.approx(reference_psnr(reference[inner], test[inner]), abs=1e-9)
    assert ssim(reference, test, crop_border=4, y_channel=True) == pytest.approx(
        reference_ssim_channel(reference_y(reference)[inner], reference_y(test)[inner]), abs=1e-9
    )


def test_differences_inside_the_border_are_ignored(pair):
    reference = pair[0]
    test = reference.copy()
    test[:3], test[-3:], test[:, :3], test[:, -3:] = 0, 255, 0, 255
    assert psnr(reference, test, crop_border=3) == math.inf
    assert ssim(reference, test, crop_border=3) == pytest.approx(1.0, abs=1e-12)
    assert math.isfinite(psnr(reference, test, crop_border=2))
    assert ssim(reference, test, crop_border=2) < 0.999


def test_identical_images(pair):
    assert psnr(pair[0], pair[0], y_channel=True) == math.inf
    assert ssim(pair[0], pair[0], y_channel=True) == pytest.approx(1.0, abs=1e-12)


def test_y_channel_weighs_blue_by_its_bt601_coefficient():
    reference = np.full((20, 20, 3), 128, np.uint8)
    test = reference.copy()
    test[..., 2] = 131  # blue +3 moves Y by 3 * 24.966 / 255 everywhere
    assert psnr(reference, test, y_channel=True) == pytest.approx(10 * math.log10(255**2 / (3 * 24.966 / 255) ** 2), abs=1e-9)
    assert psnr(reference, test) == pytest.approx(10 * math.log10(255**2 / 3), abs=1e-9)  # MSE over 3 channels: 9 / 3


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_errors_say_what_to_do(metric, pair):
    reference, test = pair
    with pytest.raises(MetricsInputError, match="differ in shape.*do not resize"):
        metric(reference, test[:-1])
    with pytest.raises(MetricsInputError, match="must be uint8.*round"):
        metric(reference, test.astype(np.float32))
    with pytest.raises(MetricsInputError, match="numpy array"):
        metric(reference.tolist(), test)
    with pytest.raises(MetricsInputError, match="H×W or H×W×C"):
        metric(reference[None], test[None])
    with pytest.raises(MetricsInputError, match="whole number >= 0"):
        metric(reference, test, crop_border=-1)
    with pytest.raises(MetricsInputError, match="whole number >= 0"):
        metric(reference, test, crop_border=1.5)
    with pytest.raises(MetricsInputError, match="removes the whole 52×40 image"):
        metric(reference, test, crop_border=20)
    with pytest.raises(MetricsInputError, match="needs RGB"):
        metric(reference[..., 0], test[..., 0], y_channel=True)
    rgba = np.concatenate([reference, reference[..., :1]], axis=-1)
    with pytest.raises(MetricsInputError, match="needs RGB"):
        metric(rgba, rgba, y_channel=True)


def test_ssim_needs_the_window_to_fit(pair):
    reference, test = pair
    with pytest.raises(MetricsInputError, match="at least 11×11"):
        ssim(reference, test, crop_border=15)
    assert math.isfinite(psnr(reference, test, crop_border=15))


def test_metric_errors_are_value_errors_and_explorer_errors():
    assert issubclass(MetricsInputError, ValueError) and issubclass(MetricsInputError, ExplorerError)
