"""The evaluation set: the colour photographs that ship with scikit-image.

Every image is read from :mod:`skimage.data` (all of them are in the
scikit-image wheel; nothing is downloaded) and cut to its **central
N×N crop** (N = 256 by default; a side shorter than N is kept whole), so the
full benchmark stays affordable on a laptop. Cropping, not resizing, keeps
each photograph's own pixel statistics: the reference is never resampled.

=====================  =========  ====================================================================
name                   full size  source and license, as scikit-image documents them
=====================  =========  ====================================================================
astronaut              512×512    Eileen Collins, NASA Great Images; no known copyright restrictions,
                                  public domain
chelsea                451×300    Chelsea the cat, by Stefan van der Walt; CC0
coffee                 600×400    coffee cup, courtesy of Pikolo Espresso Bar, by Rachel Michetti; CC0
rocket                 640×427    DSCOVR launch on Falcon 9 (JPEG), SpaceX; public domain
immunohistochemistry   512×512    IHC-stained colonic glands, Center for Microscopy And Molecular
                                  Imaging (CMMI); no known copyright restrictions
retina                 1411×1411  fundus photograph of a normal left eye (JPEG), Mikael Häggström,
                                  Wikimedia Commons; CC0 1.0
hubble_deep_field      1000×872   Hubble eXtreme Deep Field (JPEG), NASA; public domain
=====================  =========  ====================================================================

Left out: the grayscale images, synthetic images (``colorwheel``,
``logo``), and ``stereo_motorcycle`` (Middlebury 2014 stereo data, whose
license scikit-image does not state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.errors import ExplorerError

__all__ = ["DEFAULT_SIZE", "EVAL_IMAGES", "EvalImage", "central_crop", "load_eval_image"]

DEFAULT_SIZE = 256
"""Side of the central crop every evaluation image is cut to by default."""


@dataclass(frozen=True)
class EvalImage:
    """One photograph of the evaluation set.

    Attributes
    ----------
    name : str
        The :mod:`skimage.data` function that returns it.
    title : str
        What it shows.
    source : str
        Author or origin, and license, as scikit-image documents them.
    """

    name: str
    title: str
    source: str


EVAL_IMAGES: tuple[EvalImage, ...] = (
    EvalImage("astronaut", "astronaut Eileen Collins", "NASA Great Images; public domain"),
    EvalImage("chelsea", "Chelsea the cat", "Stefan van der Walt; CC0"),
    EvalImage("coffee", "coffee cup", "Rachel Michetti, courtesy of Pikolo Espresso Bar; CC0"),
    EvalImage("rocket", "DSCOVR launch on Falcon 9", "SpaceX; public domain"),
    EvalImage("immunohistochemistry", "IHC-stained colonic glands", "CMMI; no known copyright restrictions"),
    EvalImage("retina", "fundus photograph of a left eye", "Mikael Häggström, Wikimedia Commons; CC0 1.0"),
    EvalImage("hubble_deep_field", "Hubble eXtreme Deep Field", "NASA; public domain"),
)
"""The evaluation set, in the order results are reported."""


def central_crop(image: np.ndarray, size: int) -> np.ndarray:
    """The central ``size``×``size`` part of an image (a shorter side is kept whole).

    The crop starts at ``(side - size) // 2`` along each axis.
    """
    if size < 1:
        raise ExplorerError(f"The crop size must be at least 1 pixel, got {size}.")
    height, width = image.shape[:2]
    crop_h, crop_w = min(size, height), min(size, width)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return np.ascontiguousarray(image[top : top + crop_h, left : left + crop_w])


def load_eval_image(name: str, size: int | None = DEFAULT_SIZE) -> np.ndarray:
    """Read one evaluation photograph, cut to its central crop.

    Parameters
    ----------
    name : str
        One of :data:`EVAL_IMAGES`' names.
    size : int or None, default 256
        Side of the central crop; None for the whole photograph.

    Returns
    -------
    ndarray
        H×W×3 uint8 RGB.
    """
    known = {image.name for image in EVAL_IMAGES}
    if name not in known:
        raise ExplorerError(f"No evaluation image called {name!r}; choose from {', '.join(sorted(known))}.")
    import skimage.data

    image = getattr(skimage.data, name)()
    return image if size is None else central_crop(image, size)
