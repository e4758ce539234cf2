"""Example images for the page: the bundled astronaut, small copies of the evaluation photos, and degraded ones.

The evaluation set's colour photographs ship inside scikit-image (nothing is
downloaded); the app saves small copies once, into the model cache folder,
so a visitor can try a model with one click. For the MAXIM restoration
models it also makes degraded copies, synthetically and reproducibly (fixed
seeds), from the same photos, with the degradations the restoration models are
measured on (:mod:`explorer.quality.degrade`):

* **rainy** (deraining): rain streaks over coffee (``rain``);
* **hazy** (dehazing): the rocket photo seen through haze, thicker towards the
  top (``haze``);
* **noisy** (denoising): chelsea with Gaussian noise of σ = 25 levels (``noise-25``);
* **dark** (low-light enhancement): coffee darkened, ``0.5·x^2.2`` (``low-light``);
* **blurry** (deblurring): chelsea through a Gaussian blur of σ = 2 px (``gaussian-blur``).

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


_DEGRADATION = {"rainy": "rain", "hazy": "haze", "noisy": "noise-25", "dark": "low-light", "blurry": "gaussian-blur"}
"""Each example's adjective -> the :mod:`explorer.quality.degrade` degradation that makes it."""


def degrade(rgb: np.ndarray, how: str) -> np.ndarray:
    """A degraded copy of an H×W×3 uint8 photo: ``rainy``, ``hazy``, ``noisy``, ``dark`` or ``blurry`` (see above)."""
    from explorer.quality.degrade import degrade as apply_degradation

    if how not in _DEGRADATION:
        raise ValueError(f"Unknown degradation {how!r}; expected rainy, hazy, noisy, dark or blurry.")
    return apply_degradation(rgb, _DEGRADATION[how], key="app-example")


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
