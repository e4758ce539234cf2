"""Synthetic degradations of clean images, and the classical filters that undo them, per restoration task.

Reference mode for restoration models (:mod:`explorer.quality.restoration`)
degrades a clean image in a known way, restores it, and scores the result
against the clean image. Every degradation here is one the literature itself
synthesises to test that task, so a score means what it says:

=================  ============================================================================
task               degradations (all on [0, 255], rounded to uint8 as a camera file would be)
=================  ============================================================================
denoising          ``noise-15``, ``noise-25``, ``noise-50``: additive white Gaussian noise of
                   σ 15/25/50, the levels of the denoising benchmarks (BSD68, Kodak24, CBSD68)
deblurring         ``gaussian-blur``: Gaussian blur σ 2 px; ``motion-blur``: a straight 11-px
                   horizontal motion (a uniform line kernel), the simplest camera shake
low-light-enh.     ``low-light``: ``0.5 · x^2.2`` on [0, 1] (darker and compressed in the
                   shadows, as the gamma-and-scale synthesis of LLNet and later low-light work;
                   no sensor noise is added)
deraining          ``rain``: sparse random drops smeared into 15-px streaks at 70° and added
                   (screen-blended), the way Rain100L/Rain100H and most of Rain13K are rendered
dehazing           ``haze``: the atmospheric scattering model ``I = J t + A (1 - t)`` that RESIDE
                   renders its hazy sets with, airlight A = 0.9, transmission ``t = exp(-β d)``
                   with β = 1.2 and a depth d that grows from 0 at the bottom to 1 at the top
                   (RESIDE uses measured depth maps; these photographs have none, so the depth
                   is a ground-plane guess: an easier haze than real scenes)
=================  ============================================================================

Retouching has none: its model learnt an expert's taste (MIT-Adobe FiveK,
expert C), and no known degradation has that taste as its inverse; a synthetic
curve would only score how well the model undoes our curve.

The classical baselines (:data:`CLASSICAL`) are blind and their parameters are
fixed in advance, as a user without a model would apply them: none is told the
noise level, kernel or curve (the noise level is *estimated* from the image
with Immerkær's fast estimator).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.errors import ExplorerError

__all__ = ["CLASSICAL", "DEGRADATIONS", "Degradation", "degrade", "restore_classically"]


@dataclass(frozen=True)
class Degradation:
    """A synthetic degradation.

    Attributes
    ----------
    name : str
        Its id (``noise-25``).
    task : str
        The restoration task it tests (the model cards' ``task``).
    description : str
        What it does, in a few words.
    """

    name: str
    task: str
    description: str


DEGRADATIONS: dict[str, Degradation] = {
    d.name: d
    for d in (
        Degradation("noise-15", "denoising", "additive Gaussian noise, σ 15"),
        Degradation("noise-25", "denoising", "additive Gaussian noise, σ 25"),
        Degradation("noise-50", "denoising", "additive Gaussian noise, σ 50"),
        Degradation("gaussian-blur", "deblurring", "Gaussian blur, σ 2 px"),
        Degradation("motion-blur", "deblurring", "horizontal motion blur, 11 px"),
        Degradation("low-light", "low-light-enhancement", "darkened: 0.5·x^2.2"),
        Degradation("rain", "deraining", "synthetic rain streaks, 15 px at 70°"),
        Degradation("haze", "dehazing", "scattering model, A 0.9, β 1.2, depth ramp"),
    )
}
"""Every degradation, by name, in the order results are reported."""


def _seed(name: str, key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}/{key}".encode()))


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _line_kernel(length: int, angle_degrees: float) -> np.ndarray:
    """A normalised straight-line kernel (uniform motion), drawn by sampling the segment finely."""
    kernel = np.zeros((length, length))
    centre, angle = (length - 1) / 2, np.deg2rad(angle_degrees)
    for t in np.linspace(-centre, centre, 8 * length):
        kernel[int(round(centre - t * np.sin(angle))), int(round(centre + t * np.cos(angle)))] = 1.0
    return kernel / kernel.sum()


def _convolve_rgb(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from scipy.ndimage import convolve

    values = image.astype(np.float64)
    return np.stack([convolve(values[..., c], kernel, mode="reflect") for c in range(values.shape[2])], axis=-1)


def _noise(sigma: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    return lambda image, rng: _to_uint8(image + rng.normal(0.0, sigma, image.shape))


def _gaussian_blur(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return _to_uint8(gaussian_filter(image.astype(np.float64), sigma=(2.0, 2.0, 0.0), mode="reflect", truncate=4.0))


def _motion_blur(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _to_uint8(_convolve_rgb(image, _line_kernel(11, 0.0)))


def _low_light(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _to_uint8(255.0 * 0.5 * (image / 255.0) ** 2.2)


def _rain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import convolve

    drops = (rng.random(image.shape[:2]) < 0.004) * rng.uniform(0.6, 1.0, image.shape[:2])
    streaks = np.clip(convolve(drops, _line_kernel(15, 70.0), mode="wrap") * 15 * 0.55, 0.0, 1.0)
    clean = image / 255.0
    return _to_uint8(255.0 * (1.0 - (1.0 - clean) * (1.0 - streaks[..., None])))  # screen blend


def _haze(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height = image.shape[0]
    depth = np.linspace(1.0, 0.0, height)[:, None, None]  # far at the top, near at the bottom
    transmission = np.exp(-1.2 * depth)
    return _to_uint8(255.0 * ((image / 255.0) * transmission + 0.9 * (1.0 - transmission)))


_APPLY: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "noise-15": _noise(15.0),
    "noise-25": _noise(25.0),
    "noise-50": _noise(50.0),
    "gaussian-blur": _gaussian_blur,
    "motion-blur": _motion_blur,
    "low-light": _low_light,
    "rain": _rain,
    "haze": _haze,
}


def degrade(image: np.ndarray, name: str, *, key: str = "") -> np.ndarray:
    """Apply a degradation to a clean H×W×3 uint8 image.

    Parameters
    ----------
    image : ndarray
        The clean image.
    name : str
        One of :data:`DEGRADATIONS`.
    key : str, default ""
        Seeds the random ones (noise, rain) with ``name/key``: the same image
        name gives the same noise on every run and machine.

    Returns
    -------
    ndarray
        The degraded image, H×W×3 uint8.
    """
    if name not in DEGRADATIONS:
        raise ExplorerError(f"Unknown degradation {name!r}; choose from {', '.join(DEGRADATIONS)}.")
    _check_rgb(image)
    return _APPLY[name](image, _seed(name, key))


def _check_rgb(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ExplorerError(f"The clean image must be an H×W×3 uint8 RGB array, got {got}.")


def _float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) / 255.0


def _from_float(values: np.ndarray) -> np.ndarray:
    return _to_uint8(255.0 * np.clip(values, 0.0, 1.0))


def _median(image: np.ndarray) -> np.ndarray:
    from scipy.ndimage import median_filter

    return median_filter(image, size=(3, 3, 1), mode="reflect")


_IMMERKAER = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]])


def _estimated_sigma(values: np.ndarray) -> float:
    """Noise σ by Immerkær's fast estimate (1996), averaged over channels: the image's own Laplacian residue."""
    from scipy.ndimage import correlate

    height, width = values.shape[:2]
    sigmas = [
        np.sqrt(np.pi / 2) * np.abs(correlate(values[..., c], _IMMERKAER, mode="reflect")[1:-1, 1:-1]).sum() / (6 * (height - 2) * (width - 2))
        for c in range(values.shape[2])
    ]
    return float(np.mean(sigmas))


def _tv(image: np.ndarray) -> np.ndarray:
    from skimage.restoration import denoise_tv_chambolle

    values = _float(image)
    return _from_float(denoise_tv_chambolle(values, weight=max(_estimated_sigma(values), 1e-3), channel_axis=-1))


def _nl_means(image: np.ndarray) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    values = _float(image)
    sigma = _estimated_sigma(values)
    restored = denoise_nl_means(values, h=0.8 * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=-1)
    return _from_float(restored)


def _unsharp(image: np.ndarray) -> np.ndarray:
    """Unsharp mask: ``x + 1.0 · (x - gaussian(x, σ 2))`` (written out: scikit-image 0.26's ``unsharp_mask``
    returns garbage, values near -1e299, for float RGB input with ``channel_axis``)."""
    from scipy.ndimage import gaussian_filter

    values = _float(image)
    return _from_float(values + 1.0 * (values - gaussian_filter(values, sigma=(2.0, 2.0, 0.0), mode="reflect")))


def _auto_gamma(image: np.ndarray) -> np.ndarray:
    """Brighten with the gamma that takes the mean luma to 0.5 (a classic auto-exposure)."""
    values = _float(image)
    mean = float(np.clip((values @ np.array([0.299, 0.587, 0.114])).mean(), 1e-3, 0.999))
    return _from_float(values ** (np.log(0.5) / np.log(mean)))


def _clahe(image: np.ndarray) -> np.ndarray:
    from skimage.exposure import equalize_adapthist

    return _from_float(equalize_adapthist(image, clip_limit=0.01))


def _stretch(image: np.ndarray) -> np.ndarray:
    """Stretch each channel's 1st-99th percentiles to [0, 1] (undoes a uniform veil)."""
    values = _float(image)
    low, high = np.percentile(values, [1, 99], axis=(0, 1))
    return _from_float((values - low) / np.maximum(high - low, 1e-3))


CLASSICAL: dict[str, dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "denoising": {"median-3": _median, "tv-chambolle": _tv, "nl-means": _nl_means},
    "deblurring": {"unsharp-mask": _unsharp},
    "low-light-enhancement": {"auto-gamma": _auto_gamma, "clahe": _clahe},
    "deraining": {"median-3": _median},
    "dehazing": {"stretch": _stretch, "clahe": _clahe},
}
"""Task -> classical filter name -> function (uint8 RGB in, uint8 RGB out), from scikit-image and SciPy.


denoising: 3×3 median; total variation (Chambolle, weight = the estimated
noise σ); non-local means (h = 0.8 σ̂, 5×5 patches, 13×13 search).
deblurring: unsharp mask (radius 2, amount 1). low-light-enhancement: the gamma that
brings the mean luma to 0.5; CLAHE (clip 0.01). deraining: 3×3 median.
dehazing: a 1–99 % percentile stretch per channel; CLAHE.
"""


def restore_classically(image: np.ndarray, task: str) -> dict[str, np.ndarray]:
    """Every classical filter of a task applied to a degraded image: name -> uint8 RGB output."""
    if task not in CLASSICAL:
        raise ExplorerError(f"No classical filter for {task!r}; tasks with one: {', '.join(CLASSICAL)}.")
    _check_rgb(image)
    return {name: restore(image) for name, restore in CLASSICAL[task].items()}
