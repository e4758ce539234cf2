"""PSNR, SSIM and GMSD pinned against direct numpy implementations of their published formulas; the
high-frequency energy ratio against images whose spectra are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from explorer.errors import ExplorerError
from explorer.quality.metrics import MetricsInputError, gmsd, hf_ratio, psnr, rgb_to_y, ssim

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


def _matlab_conv2_same(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """MATLAB's conv2(image, kernel, 'same') written out: full convolution with zeros outside, central part."""
    kh, kw = kernel.shape
    height, width = image.shape
    full = np.zeros((height + kh - 1, width + kw - 1))
    for i in range(kh):
        for j in range(kw):
            full[i : i + height, j : j + width] += kernel[i, j] * image
    top, left = (kh - 1) - (kh - 1) // 2, (kw - 1) - (kw - 1) // 2  # MATLAB keeps rows ceil((kh-1)/2)+1 ...
    return full[top : top + height, left : left + width]


def _gmsd_as_the_paper_writes_it(reference: np.ndarray, test: np.ndarray, halve: bool = True) -> float:
    """GMSD.m (Xue et al. 2014) step by step: Y, 2×2 average with conv2 'same', subsample, Prewitt, map, std2."""
    to_y = lambda rgb: 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    dx = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]]) / 3.0
    magnitudes = []
    for image in (reference, test):
        y = to_y(image.astype(np.float64))
        y = _matlab_conv2_same(y, np.ones((2, 2)) / 4.0)[::2, ::2] if halve else y
        magnitudes.append(np.sqrt(_matlab_conv2_same(y, dx) ** 2 + _matlab_conv2_same(y, dx.T) ** 2))
    m1, m2 = magnitudes
    quality_map = (2 * m1 * m2 + 170) / (m1**2 + m2**2 + 170)
    return float(np.sqrt(np.sum((quality_map - quality_map.mean()) ** 2) / (quality_map.size - 1)))


@pytest.mark.parametrize("shape", [(40, 52), (37, 51)])  # even, and odd sides (the last 2×2 block sees zeros)
def test_gmsd_is_the_papers_definition(pair, shape):
    reference, test = pair
    reference, test = reference[: shape[0], : shape[1]], test[: shape[0], : shape[1]]
    paper = _gmsd_as_the_paper_writes_it
    assert gmsd(reference, test) == pytest.approx(paper(reference, test), rel=1e-12)
    assert gmsd(reference, test, downsample=False) == pytest.approx(paper(reference, test, halve=False), rel=1e-12)
    assert gmsd(reference, test, crop_border=3) == pytest.approx(paper(reference[3:-3, 3:-3], test[3:-3, 3:-3]), rel=1e-12)
    assert gmsd(reference, reference) == 0.0


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photograph: the central 96×96 of scikit-image's astronaut."""
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut()[208:304, 208:304])


def test_gmsd_grows_with_blur_and_handles_grayscale(photo):
    from scipy.ndimage import gaussian_filter

    blurred = [np.clip(np.rint(gaussian_filter(photo.astype(float), (s, s, 0))), 0, 255).astype(np.uint8) for s in (0.7, 1.5, 3)]
    scores = [gmsd(photo, b, downsample=False) for b in blurred]
    assert 0 < scores[0] < scores[1] < scores[2] < 1
    gray = photo[..., 1]
    assert gmsd(gray, blurred[1][..., 1]) > 0
    with pytest.raises(MetricsInputError, match="RGB .* or grayscale"):
        gmsd(np.dstack([photo, photo[..., :1]]), np.dstack([photo, photo[..., :1]]))


def _waves(low: float, high: float, size: int = 96) -> np.ndarray:
    """Mid-grey plus a horizontal wave at 0.0625 cycles/px and a vertical one at 0.375 cycles/px (exact FFT bins)."""
    y, x = np.mgrid[0:size, 0:size]
    values = 128 + low * np.cos(2 * np.pi * 6 * x / size) + high * np.cos(2 * np.pi * 36 * y / size)
    return np.repeat(np.clip(np.rint(values), 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def test_hf_ratio_is_the_share_of_energy_above_the_cutoff():
    reference = _waves(40, 60)
    # above 0.25 (scale 1 and 2) only the 0.375 wave counts: the ratio is its power ratio, whatever the low wave does
    for test_high, test_low in ((30, 40), (60, 10), (90, 40)):
        expected = (test_high / 60) ** 2
        for scale in (1, 2):
            # uint8 rounding adds about 1/12 of a level² of white noise: a few parts in a thousand here
            assert hf_ratio(reference, _waves(test_low, test_high), scale=scale) == pytest.approx(expected, rel=0.01)
    # at scale 8 the cutoff is 0.0625: the low wave sits on it, the Hann window spreads it, so both waves count
    assert hf_ratio(reference, _waves(40, 30), scale=8) > (30 / 60) ** 2
    assert hf_ratio(reference, reference) == 1.0


def test_hf_ratio_tells_blur_from_detail(photo):
    from PIL import Image

    small = Image.fromarray(photo).resize((photo.shape[1] // 4, photo.shape[0] // 4), Image.Resampling.BICUBIC)
    bicubic = np.asarray(small.resize((photo.shape[1], photo.shape[0]), Image.Resampling.BICUBIC))
    nearest = np.asarray(small.resize((photo.shape[1], photo.shape[0]), Image.Resampling.NEAREST))
    soft, blocky = hf_ratio(photo, bicubic, scale=4, crop_border=4), hf_ratio(photo, nearest, scale=4, crop_border=4)
    assert soft < 0.3 < blocky
    flat = np.full((32, 32, 3), 100, np.uint8)
    assert np.isnan(hf_ratio(flat, photo[:32, :32]))
    with pytest.raises(MetricsInputError, match="scale must be a whole number"):
        hf_ratio(photo, photo, scale=0)
