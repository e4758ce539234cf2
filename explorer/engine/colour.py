"""Colour profiles: images tagged with another colour space are converted to sRGB on read.

The models were trained on, and UpscalerJS feeds them, sRGB pixels. A photo
from a recent phone or camera is often tagged Display P3 or Adobe RGB; read as
if it were sRGB its colours shift (P3 reds turn dull). :func:`to_srgb` converts
such an image to sRGB with Pillow's ImageCms (LittleCMS), and says so; every
image we write is tagged with :data:`SRGB_ICC`, so viewers show it as meant.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms

__all__ = ["SRGB_ICC", "to_srgb"]

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_ICC: bytes = _SRGB.tobytes()
"""LittleCMS's built-in sRGB profile, embedded in every image we write."""

_SPACE_MODES = {"RGB": ("RGB", "RGBA"), "CMYK": ("CMYK",)}


def to_srgb(image: Image.Image, icc_profile: bytes | None, described: str) -> tuple[Image.Image, str | None]:
    """Convert an image tagged with a colour profile to sRGB.

    Parameters
    ----------
    image : PIL.Image.Image
        The decoded image (RGB, RGBA or CMYK are converted; other modes, and
        images without a profile, are returned as they are).
    icc_profile : bytes or None
        The embedded ICC profile (``image.info["icc_profile"]`` of the file).
    described : str
        How messages name the image (``"File photo.jpg"``).

    Returns
    -------
    tuple
        The image (RGB, RGBA with the alpha kept, or the input unchanged) and
        a note for the user when something was converted or could not be,
        else None. An sRGB profile leaves the image untouched, with no note;
        a CMYK image without a profile is returned as it is, with a note
        (it becomes RGB by Pillow's plain formula).
    """
    if not icc_profile and image.mode == "CMYK":
        return image, (
            f"{described} is CMYK with no colour profile: its colours were converted to RGB by the plain formula "
            "(ink taken away from white), so they may differ from print. Save it as RGB (sRGB) for exact colours."
        )
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        name = ImageCms.getProfileDescription(profile).strip() or "unnamed"
    except (OSError, ImageCms.PyCMSError):
        return image, f"{described} has a colour profile that cannot be read: its colours are taken as sRGB."
    if "srgb" in name.lower():
        return image, None
    space = profile.profile.xcolor_space.strip()
    if image.mode not in _SPACE_MODES.get(space, ()):
        return image, f"{described} has a {space} colour profile ('{name}') for {image.mode} pixels: it is ignored."
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    colour = image.convert("RGB") if alpha is not None else image
    try:
        converted = ImageCms.profileToProfile(colour, profile, _SRGB, outputMode="RGB")
    except ImageCms.PyCMSError as error:
        return image, f"{described}: its colour profile '{name}' could not be applied ({error}); colours taken as sRGB."
    if alpha is not None:
        converted.putalpha(alpha)
    return converted, f"{described} is in the colour space '{name}': converted to sRGB, which the models work in."
