"""Example images for the page: the bundled astronaut and small copies of the evaluation photos.

The evaluation set's colour photographs ship inside scikit-image (nothing is
downloaded); the app saves small copies once, into the model cache folder,
so a visitor can try a model with one click.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from explorer.engine import store
from explorer.engine.images import save_png
from explorer.errors import ExplorerError

__all__ = ["BUNDLED_EXAMPLE", "EXAMPLE_SIDE", "example_images"]

BUNDLED_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "astronaut.png"
"""The 128×128 astronaut that ships with the package (the page's starting image)."""

EXAMPLE_SIDE = 256
"""Long side of the saved evaluation photos, in pixels: small, so examples run fast."""

_PHOTOS = ("chelsea", "coffee", "astronaut")


def _small_copy(name: str, side: int) -> np.ndarray:
    from skimage import data

    image = Image.fromarray(getattr(data, name)())
    scale = side / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS))


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
        ``astronaut`` (its long side ``side`` px). If the cache cannot be
        written, only the bundled image.
    """
    folder = folder or store.cache_dir() / "app-examples"
    paths = [BUNDLED_EXAMPLE]
    for name in _PHOTOS:
        path = folder / f"{name}-{side}.png"
        if not path.is_file():
            try:
                save_png(_small_copy(name, side), path)
            except (OSError, ExplorerError):  # a read-only cache: offer the bundled image only
                continue
        paths.append(path)
    return paths
