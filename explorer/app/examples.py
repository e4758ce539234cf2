"""Example images for the page: the bundled astronaut, small copies of the evaluation photos, and degraded ones.

The evaluation set's colour photographs ship inside scikit-image (nothing is
downloaded); the app saves small copies once, into the model cache folder,
so a visitor can try a model with one click. For the MAXIM restoration
models it also makes degraded copies, synthetically and reproducibly (fixed
seeds), from the same photos:

* **rainy** (deraining): bright, slanted, motion-blurred streaks over coffee;
* **hazy** (dehazing): the rocket photo seen through haze, ``I = J·t + A·(1 − t)``
  with an airlight ``A`` of 0.9 and a transmission ``t`` falling from 0.9 at
  the bottom to 0.35 at the top (farther away);
* **noisy** (denoising): chelsea with Gaussian noise of σ = 25 levels;
* **dark** (low-light enhancement): coffee at a quarter of its light, gamma 1.6;
* **blurry** (deblurring): chelsea through a Gaussian blur of σ = 2 px.

They show what each task is for; they are not the models' training data,
so scores on them are only a rough guide.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from explorer.engine import store
from explorer.engine.output import save_png
from explorer.errors import ExplorerError

__all__ = ["BUNDLED_EXAMPLE", "EXAMPLE_SIDE", "degrade", "example_images"]

BUNDLED_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "astronaut.png"
"""The 128×128 astronaut that ships with the package (the page's starting image)."""

EXAMPLE_SIDE = 256
"""Long side of the saved evaluation photos, in pixels: small, so examples run fast."""

_PHOTOS = ("chelsea", "coffee", "astronaut")
_DEGRADED = ("rainy-coffee", "hazy-rocket", "noisy-chelsea", "dark-coffee", "blurry-chelsea")


def _small_copy(name: str, side: int) -> np.ndarray:
    from skimage import data

    image = Image.fromarray(getattr(data, name)())
    scale = side / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))


def degrade(rgb: np.ndarray, how: str) -> np.ndarray:
    """A degraded copy of an H×W×3 uint8 photo: ``rainy``, ``hazy``, ``noisy``, ``dark`` or ``blurry`` (see above)."""
    from PIL import ImageFilter

    rng = np.random.default_rng(11)
    image = rgb.astype(np.float32) / 255
    height, width = image.shape[:2]
    if how == "rainy":
        streaks = Image.new("L", (width, height))
        pixels = np.zeros((height, width), np.float32)
        for y, x in zip(rng.integers(0, height, 500), rng.integers(0, width, 500), strict=True):
            for step in range(int(rng.integers(6, 14))):  # a slanted streak, 1 px wide
                yy, xx = y + step, x + step // 3
                if yy < height and xx < width:
                    pixels[yy, xx] = 1.0
        streaks = Image.fromarray((pixels * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
        rain = np.asarray(streaks, np.float32)[..., None] / 255
        out = image + 0.8 * rain * (1 - image)
    elif how == "hazy":
        transmission = np.linspace(0.35, 0.9, height, dtype=np.float32)[:, None, None]
        out = image * transmission + 0.9 * (1 - transmission)
    elif how == "noisy":
        out = image + rng.normal(0, 25 / 255, image.shape).astype(np.float32)
    elif how == "dark":
        out = 0.25 * image**1.6
    elif how == "blurry":
        return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(2)))
    else:
        raise ValueError(f"Unknown degradation {how!r}; expected rainy, hazy, noisy, dark or blurry.")
    return np.rint(np.clip(out, 0, 1) * 255).astype(np.uint8)


def example_images(folder: Path | None = None, side: int = EXAMPLE_SIDE) -> list[Path]:
    """Paths of the example images, writing the small copies the first time.

    Parameters
    ----------
    folder : pathlib.Path, optional
        Where to keep the copies; default ``<model cache>/app-examples``.
    side : int
        Long side of the copies.

    Returns
    -------
    list of pathlib.Path
        The bundled astronaut first, then ``chelsea``, ``coffee`` and
        ``astronaut``, then the degraded copies (``rainy-coffee``, …), all
        with a long side of ``side`` px. If the cache cannot be written, only
        the bundled image.
    """
    folder = folder or store.cache_dir() / "app-examples"
    paths = [BUNDLED_EXAMPLE]
    for name in (*_PHOTOS, *_DEGRADED):
        path = folder / f"{name}-{side}.png"
        if not path.is_file():
            how, _, photo = name.rpartition("-")
            try:
                small = _small_copy(photo, side)
                save_png(degrade(small, how) if how else small, path)
            except (OSError, ExplorerError):  # a read-only cache: offer the bundled image only
                continue
        paths.append(path)
    return paths
