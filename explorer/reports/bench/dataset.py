"""The evaluation sets: Set5 and Set14, scikit-image's colour photographs, or a folder of yours.

``set5`` and ``set14`` are the two test sets the super-resolution literature
reports on (Bevilacqua et al. 2012; Zeyde et al. 2010), in colour, as whole
images. They are research test images and are not shipped: they are read from
a datasets folder holding ``Set5/`` and ``Set14/`` (``$UPSCALER_EXPLORER_DATASETS``,
or ``--datasets``; by default ``../shared/datasets`` beside the repository).
Any other folder of high-resolution images is a set too, named after the folder.

``skimage``: every image is read from :mod:`skimage.data` (all of them are in the
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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.errors import ExplorerError
from explorer.settings import datasets_dir

__all__ = [
    "DATASETS_ENV",
    "DEFAULT_SIZE",
    "EVAL_IMAGES",
    "SKIMAGE",
    "STANDARD_SETS",
    "EvalImage",
    "EvalSet",
    "central_crop",
    "datasets_dir",
    "load_eval_image",
    "load_set",
    "set_order",
]

DATASETS_ENV = "UPSCALER_EXPLORER_DATASETS"
"""Environment variable naming the folder that holds ``Set5/`` and ``Set14/``."""

STANDARD_SETS = {"set5": "Set5", "set14": "Set14"}
"""Named standard sets -> their folder in the datasets folder."""

SKIMAGE = "skimage"
"""Name of the set of scikit-image photographs."""

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

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


@dataclass(frozen=True)
class EvalSet:
    """A set of high-resolution images to score upscalers on.

    Attributes
    ----------
    name : str
        ``set5``, ``set14``, ``skimage``, or a folder's name.
    crop : int
        Side of the central crop each image was cut to; 0 for whole images.
    images : dict of str to ndarray
        Image name (file stem) -> H×W×3 uint8 RGB, in name order.
    """

    name: str
    crop: int
    images: dict[str, np.ndarray] = field(repr=False)


def set_order(names) -> list[str]:
    """Distinct set names, Set5 and Set14 first, then scikit-image's, then the rest by name."""
    first = [*STANDARD_SETS, SKIMAGE]
    distinct = set(names)
    return [n for n in first if n in distinct] + sorted(distinct - set(first))


def load_set(which: str, *, size: int | None = None, root: Path | None = None) -> EvalSet:
    """Read an evaluation set.

    Parameters
    ----------
    which : str
        ``set5``, ``set14`` (from ``root``), ``skimage`` (scikit-image's
        photographs), or the path of a folder of images (PNG, JPEG, BMP, TIFF, WebP).
    size : int, optional
        Cut every image to its central ``size``×``size`` crop. Default: 256 for
        ``skimage`` (its protocol), whole images for the others.
    root : pathlib.Path, optional
        The datasets folder (default :func:`datasets_dir`).

    Raises
    ------
    ExplorerError
        If the set cannot be found or holds no image.
    """
    from explorer.engine.images import load_image

    key = which.strip().lower()
    if key == SKIMAGE:
        crop = DEFAULT_SIZE if size is None else size
        return EvalSet(SKIMAGE, crop, {image.name: load_eval_image(image.name, crop) for image in EVAL_IMAGES})
    if key in STANDARD_SETS:
        base = root or datasets_dir()
        folder, name = base / STANDARD_SETS[key], key
        if not folder.is_dir():
            raise ExplorerError(
                f"{STANDARD_SETS[key]} is not in {base}: pass --datasets DIR (a folder holding {STANDARD_SETS[key]}/) "
                f"or set {DATASETS_ENV}."
            )
    else:
        folder = Path(which).expanduser()
        name = folder.name
        if not folder.is_dir():
            raise ExplorerError(f"No evaluation set {which!r}: use set5, set14, {SKIMAGE} or a folder of images.")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ExplorerError(f"The folder {folder} holds no image ({', '.join(_IMAGE_SUFFIXES)}).")
    images = {}
    for path in files:
        rgb = load_image(path).rgb
        images[path.stem] = rgb if size is None else central_crop(rgb, size)
    return EvalSet(name, size or 0, images)
