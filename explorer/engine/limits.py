"""Bounds on the work one request may ask for: a shared server's defence against a run that never ends.

A patch size of 1 turns a 128² image into 16,384 model calls; at 2048² it
would hold a worker for hours. :class:`WorkLimits` holds every bound and its
one wording; :func:`explorer.engine.request.plan_run` applies them to a run
before the model loads or runs (the patch plan is pure arithmetic), and a run
that outlasts its time is stopped between two patches, so its slot serves the
next request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from explorer.errors import WorkLimitError

__all__ = ["WorkLimits"]


@dataclass(frozen=True)
class WorkLimits:
    """What one run may ask for.

    Attributes
    ----------
    min_patch_size : int
        Smallest patch side accepted (default 16 px).
    max_patches : int
        Most model calls in one run (default 4096).
    max_output_pixels : int
        Largest output, width × height (default 8192×8192).
    max_seconds : float
        Longest a run may take; it is stopped between patches after that (default 600).
    max_pixels : int or None
        Largest input image, width × height, checked before it is decoded
        (default None: the library's own pixel limit only).
    """

    min_patch_size: int = 16
    max_patches: int = 4096
    max_output_pixels: int = 8192 * 8192
    max_seconds: float = 600.0
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        for name in ("min_patch_size", "max_patches", "max_output_pixels", "max_seconds", "max_pixels"):
            value = getattr(self, name)
            if value is None and name == "max_pixels":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise WorkLimitError(f"WorkLimits.{name} must be a number above 0, got {value!r}.")

    def check_input(self, width: int, height: int) -> None:
        """Refuse an image with more pixels than :attr:`max_pixels` (call it with the size its header declares).

        Raises
        ------
        WorkLimitError
        """
        if self.max_pixels is not None and width * height > self.max_pixels:
            raise WorkLimitError(
                f"This image is {width}×{height} = {width * height:,} pixels; this server takes up to "
                f"{self.max_pixels:,} ({_square(self.max_pixels)}). Downscale or crop it first."
            )

    def check_patch_size(self, patch_size: int | None) -> None:
        """Refuse a patch size below :attr:`min_patch_size` (None, the whole image, passes).

        Raises
        ------
        WorkLimitError
        """
        if patch_size is not None and 0 < patch_size < self.min_patch_size:
            raise WorkLimitError(
                f"Patch size {patch_size} is below this server's smallest, {self.min_patch_size} px: tiny patches "
                f"cost one model call each. Use {self.min_patch_size} or more, or 0 for the whole image."
            )

    def check_output(self, width: int, height: int, scale: int) -> None:
        """Refuse a run whose output (``width``×``height`` times ``scale``) exceeds :attr:`max_output_pixels`.

        Raises
        ------
        WorkLimitError
        """
        output = width * height * scale**2
        if output > self.max_output_pixels:
            raise WorkLimitError(
                f"At {scale}x this {width}×{height} image would become {width * scale}×{height * scale} = "
                f"{output:,} pixels; this server makes up to {self.max_output_pixels:,} "
                f"({_square(self.max_output_pixels)}). Use a smaller image."
            )

    def check_patches(self, patches: int, width: int, height: int, patch_size: int, padding: int) -> None:
        """Refuse a plan of more than :attr:`max_patches` patches, advising a patch size that fits.

        Raises
        ------
        WorkLimitError
        """
        if patches > self.max_patches:
            enough = math.ceil(math.sqrt(height * width / self.max_patches)) + 2 * padding + 1
            raise WorkLimitError(
                f"Patch size {patch_size} with padding {padding} cuts this {width}×{height} image into "
                f"{patches:,} patches; this server runs up to {self.max_patches:,} per request. Use a patch "
                f"size of about {enough} or more, or 0 for the whole image."
            )

    def deadline(self) -> float:
        """When a run that starts now must end (:func:`time.monotonic` seconds)."""
        return time.monotonic() + self.max_seconds

    def check_deadline(self, deadline: float, done: int, total: int) -> None:
        """Stop a run past its ``deadline``, saying how far it got.

        Raises
        ------
        WorkLimitError
        """
        if time.monotonic() >= deadline:
            raise WorkLimitError(
                f"The run was stopped after {self.max_seconds:g} s, this server's limit, with {done} of {total} "
                "patches done. Use a larger patch size, a smaller image or a lighter model."
            )


def _square(pixels: int) -> str:
    side = int(pixels**0.5)
    return f"{side}×{side}" if side * side == pixels else f"{pixels / 1e6:.1f} megapixels"
