"""Image quality metrics by the standard super-resolution protocol, built on :mod:`skimage.metrics`.

The protocol (as in the SR literature since SRCNN, and in BasicSR):

* compare the **rounded uint8** output of a model with the uint8 reference:
  scoring the model's unrounded floats flatters it;
* optionally on the **Y channel** only, with the BT.601 studio-range luma of
  MATLAB's ``rgb2ycbcr``: ``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` with R, G, B
  in [0, 1] (Y in [16, 235]). It is not JPEG's full-range luma
  (``0.299 R + 0.587 G + 0.114 B`` on [0, 255]); Y is kept as float64, unrounded,
  as BasicSR does;
* **crop** ``crop_border`` pixels from every side first (by convention the
  scale), where upscalers have no context;
* PSNR with a peak of 255; SSIM with an 11×11 Gaussian window (σ = 1.5),
  ``K1 = 0.01``, ``K2 = 0.03``, data range 255, population statistics (no
  sample-covariance correction), averaged over the valid part of the SSIM map
  and then over channels.

Two measures look beyond PSNR/SSIM, with no learned network: :func:`gmsd`
(gradient magnitude similarity deviation, Xue et al. 2014: do the edges
agree?) and :func:`hf_ratio` (how much energy the output has above the
low-resolution input's Nyquist limit, relative to the original: is it as
sharp as the original, or blurrier?).

Both images must already have the same shape: never resize the reference to
fit an output (crop both instead, e.g. with :func:`explorer.quality.evaluate.mod_crop`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from explorer.errors import MetricsInputError

__all__ = ["GMSD_T", "MetricsInputError", "SSIM_SIGMA", "SSIM_WINDOW", "gmsd", "hf_ratio", "psnr", "rgb_to_y", "ssim"]

DATA_RANGE = 255.0
SSIM_SIGMA = 1.5
"""Standard deviation of SSIM's Gaussian window."""
SSIM_WINDOW = 11
"""Side of SSIM's Gaussian window (scikit-image truncates the Gaussian at 3.5 σ: radius 5)."""

_BT601_OFFSET = 16.0
_BT601_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0  # per unit of R, G, B in [0, 255]


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma of an RGB image, as MATLAB's ``rgb2ycbcr`` computes it.

    Parameters
    ----------
    image : ndarray
        H×W×3 uint8 RGB image.

    Returns
    -------
    ndarray
        H×W float64 luma in [16, 235]: ``16 + (65.481 R + 128.553 G + 24.966 B) / 255``
        with R, G, B in [0, 255]. Not rounded.
    """
    _check_image(image, "image")
    if image.ndim != 3 or image.shape[2] != 3:
        raise MetricsInputError(
            f"rgb_to_y needs an H×W×3 RGB image, got shape {image.shape}; convert it to RGB first."
        )
    return _BT601_OFFSET + image.astype(np.float64) @ _BT601_WEIGHTS


def psnr(reference: np.ndarray, test: np.ndarray, *, crop_border: int = 0, y_channel: bool = False) -> float:
    """Peak signal-to-noise ratio in dB, by the SR protocol.

    Parameters
    ----------
    reference : ndarray
        The ground truth: H×W or H×W×C uint8.
    test : ndarray
        The image to score, rounded to uint8, with the reference's shape.
    crop_border : int, default 0
        Pixels removed from every side of both images before scoring
        (by convention the upscaling factor).
    y_channel : bool, default False
        Score only the BT.601 luma (see :func:`rgb_to_y`); needs RGB images.

    Returns
    -------
    float
        ``10 log10(255² / MSE)``; ``inf`` when the compared pixels are equal.

    Raises
    ------
    MetricsInputError
        If the images are not uint8 arrays of the same shape, if
        ``crop_border`` is negative or leaves no pixels, or if ``y_channel``
        is asked of images that are not RGB.
    """
    ref, tst = _prepared(reference, test, crop_border, y_channel)
    if np.array_equal(ref, tst):
        return math.inf
    return float(peak_signal_noise_ratio(ref, tst, data_range=DATA_RANGE))


def ssim(reference: np.ndarray, test: np.ndarray, *, crop_border: int = 0, y_channel: bool = False) -> float:
    """Structural similarity (Wang et al. 2004), by the SR protocol.

    Gaussian-weighted 11×11 window with σ = 1.5, data range 255, population
    (not sample) covariances; the mean of the SSIM map over the positions where
    the window fits, averaged over channels.

    Parameters
    ----------
    reference, test : ndarray
        The ground truth and the rounded uint8 image to score, as in :func:`psnr`.
    crop_border : int, default 0
        Pixels removed from every side of both images before scoring.
    y_channel : bool, default False
        Score only the BT.601 luma (see :func:`rgb_to_y`); needs RGB images.

    Returns
    -------
    float
        At most 1 (equal images).

    Raises
    ------
    MetricsInputError
        As :func:`psnr`, and if the cropped images are smaller than the
        11×11 window.
    """
    ref, tst = _prepared(reference, test, crop_border, y_channel)
    if min(ref.shape[:2]) < SSIM_WINDOW:
        raise MetricsInputError(
            f"SSIM needs at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels after cropping, got {ref.shape[1]}×{ref.shape[0]}; "
            "use larger images or a smaller crop_border."
        )
    channel_axis = -1 if ref.ndim == 3 else None
    return float(
        structural_similarity(
            ref.astype(np.float64),
            tst.astype(np.float64),
            data_range=DATA_RANGE,
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
            channel_axis=channel_axis,
        )
    )


def _check_image(image: object, name: str) -> None:
    if not isinstance(image, np.ndarray):
        raise MetricsInputError(f"{name} must be a numpy array, got {type(image).__name__}; use np.asarray(image).")
    if image.dtype != np.uint8:
        raise MetricsInputError(
            f"{name} must be uint8 (the rounded output, 0-255), got {image.dtype}; "
            "round and clip it first: np.clip(np.rint(x), 0, 255).astype(np.uint8)."
        )
    if image.ndim not in (2, 3) or min(image.shape) == 0:
        raise MetricsInputError(f"{name} must be a non-empty H×W or H×W×C image, got shape {image.shape}.")


def _prepared(reference: np.ndarray, test: np.ndarray, crop_border: int, y_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Validate both images, crop their borders and take their luma if asked."""
    _check_image(reference, "reference")
    _check_image(test, "test")
    if reference.shape != test.shape:
        raise MetricsInputError(
            f"The images differ in shape: reference {reference.shape}, test {test.shape}. "
            "Crop both to the same size (e.g. mod-crop the reference to a multiple of the scale); "
            "do not resize the reference."
        )
    crop = _checked_crop(crop_border, reference.shape)
    if y_channel and (reference.ndim != 3 or reference.shape[2] != 3):
        raise MetricsInputError(
            f"y_channel=True needs RGB images (H×W×3), got shape {reference.shape}; pass y_channel=False."
        )
    if crop:
        reference, test = reference[crop:-crop, crop:-crop], test[crop:-crop, crop:-crop]
    if y_channel:
        return rgb_to_y(reference), rgb_to_y(test)
    return reference, test


def _checked_crop(crop_border: int, shape: tuple[int, ...]) -> int:
    if not isinstance(crop_border, numbers.Integral) or isinstance(crop_border, bool) or crop_border < 0:
        raise MetricsInputError(f"crop_border must be a whole number >= 0, got {crop_border!r}.")
    if 2 * crop_border >= min(shape[:2]):
        raise MetricsInputError(
            f"crop_border={crop_border} removes the whole {shape[1]}×{shape[0]} image "
            f"(it crops {crop_border} pixels from every side); use a value below {min(shape[:2]) / 2:g}."
        )
    return int(crop_border)


GMSD_T = 170.0
"""GMSD's stability constant for images on [0, 255] (Xue et al. 2014)."""

_LUMA = np.array([0.299, 0.587, 0.114])  # full-range luma, as the GMSD paper's code takes it
_PREWITT = np.array([[1.0, 0.0, -1.0]] * 3) / 3.0


def gmsd(reference: np.ndarray, test: np.ndarray, *, crop_border: int = 0, downsample: bool = True) -> float:
    """Gradient magnitude similarity deviation (Xue, Zhang, Mou and Bovik, 2014); lower is better, 0 is equal.

    Follows the paper's definition: both images are turned into luma
    (``0.299 R + 0.587 G + 0.114 B`` on [0, 255]; a grayscale image as it is),
    averaged over 2×2 blocks and subsampled by 2, filtered with the 3×3
    Prewitt kernels (divided by 3, zeros outside the image) to a gradient
    magnitude ``m``; the similarity map ``(2 m_r m_t + T) / (m_r² + m_t² + T)``
    with ``T = 170`` is 1 where the edges agree, and GMSD is its standard
    deviation (``N - 1`` normalised, as MATLAB's ``std2``). Unlike PSNR it
    looks only at edges, and it punishes edges that are lost or wrong in some
    places and kept in others, the way blur and ringing are seen.

    The paper's 2×2 averaging models a viewing distance; it also averages away
    the finest band, which is the very band a 2× upscaler adds (a 2×
    nearest-neighbour enlargement of the downscaled image then scores almost
    perfectly). Super-resolution scoring therefore uses ``downsample=False``
    (the same definition at full resolution).

    Parameters
    ----------
    reference, test : ndarray
        The ground truth and the rounded uint8 image to score, as in :func:`psnr`.
    crop_border : int, default 0
        Pixels removed from every side of both images before scoring.
    downsample : bool, default True
        Average 2×2 blocks and keep every second pixel first, as the paper does.

    Returns
    -------
    float
        In [0, 1); 0 when the gradients are equal.
    """
    _check_rgb_or_gray(reference, "gmsd")
    ref, tst = _prepared(reference, test, crop_border, False)
    if min(ref.shape[:2]) < 4:
        raise MetricsInputError(f"GMSD needs at least 4×4 pixels after cropping, got {ref.shape[1]}×{ref.shape[0]}.")
    m_ref, m_tst = (_gradient_magnitude(_halved(_luma(x)) if downsample else _luma(x)) for x in (ref, tst))
    similarity = (2 * m_ref * m_tst + GMSD_T) / (m_ref**2 + m_tst**2 + GMSD_T)
    return float(np.std(similarity, ddof=1))


def _check_rgb_or_gray(image: np.ndarray, name: str) -> None:
    _check_image(image, "reference")
    if image.ndim == 3 and image.shape[2] != 3:
        raise MetricsInputError(f"{name} needs RGB (H×W×3) or grayscale (H×W) images, got shape {image.shape}; drop alpha first.")


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ _LUMA if image.ndim == 3 else image.astype(np.float64)


def _halved(luma: np.ndarray) -> np.ndarray:
    """Mean of each 2×2 block, every second pixel (an odd last row/column is averaged with zeros, as conv2 'same')."""
    padded = np.pad(luma, ((0, 1), (0, 1)))
    return (padded[:-1, :-1] + padded[1:, :-1] + padded[:-1, 1:] + padded[1:, 1:])[::2, ::2] / 4.0


def _gradient_magnitude(luma: np.ndarray) -> np.ndarray:
    """Prewitt gradient magnitude (kernels divided by 3, zeros outside the image)."""
    from scipy.ndimage import correlate

    return np.hypot(correlate(luma, _PREWITT, mode="constant"), correlate(luma, _PREWITT.T, mode="constant"))


def hf_ratio(reference: np.ndarray, test: np.ndarray, *, scale: int = 1, crop_border: int = 0) -> float:
    """High-frequency energy ratio: how much fine detail the output carries, relative to the original.

    The power spectra of both images' BT.601 luma (mean removed, Hann window
    against edge leakage) are summed over the frequencies above a cutoff:
    ``0.5 / scale`` cycles per pixel for an upscaler (the Nyquist limit of the
    low-resolution input: everything above it was removed by the downscale and
    has to be recreated), ``0.25`` for a restoration model (scale 1: the upper
    half of the band). The ratio of the output's sum to the original's is 1
    for as much detail as the original, below 1 for a blurrier output, above 1
    for more high-frequency energy than the original (sharpened, noise or
    artefacts). It measures quantity, not where the detail is: read it with
    PSNR/SSIM/GMSD, which measure fidelity.

    Parameters
    ----------
    reference, test : ndarray
        The ground truth and the rounded uint8 RGB (or grayscale) image, as in :func:`psnr`.
    scale : int, default 1
        Upscaling factor of the output (1 for restoration).
    crop_border : int, default 0
        Pixels removed from every side of both images first.

    Returns
    -------
    float
        The ratio; ``nan`` if the original has no energy above the cutoff (a flat image).
    """
    if not isinstance(scale, numbers.Integral) or isinstance(scale, bool) or scale < 1:
        raise MetricsInputError(f"scale must be a whole number >= 1, got {scale!r}.")
    _check_rgb_or_gray(reference, "hf_ratio")
    ref, tst = _prepared(reference, test, crop_border, reference.ndim == 3)
    cutoff = 0.5 / scale if scale > 1 else 0.25
    mask = _band(ref.shape, cutoff)
    energy_ref = float(np.sum(_power(ref)[mask]))
    if energy_ref <= 1e-9 * ref.size:  # a flat original: only rounding residue of the float arithmetic
        return math.nan
    return float(np.sum(_power(tst)[mask])) / energy_ref


def _power(luma: np.ndarray) -> np.ndarray:
    window = np.outer(np.hanning(luma.shape[0]), np.hanning(luma.shape[1]))
    values = luma.astype(np.float64)
    return np.abs(np.fft.rfft2((values - values.mean()) * window)) ** 2


def _band(shape: tuple[int, ...], cutoff: float) -> np.ndarray:
    """Where the radial frequency (cycles per pixel) of an ``rfft2`` grid exceeds ``cutoff``."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    return np.hypot(fy, fx) > cutoff
