"""Bounds on the work one request may ask for: a shared server's defence against a run that never ends.

A patch size of 1 turns a 128² image into 16,384 model calls; at 2048² it
would hold a worker for hours. :class:`WorkLimits` refuses such requests before
the model loads or runs (the patch plan is pure arithmetic: the same rules as
the run, :func:`explorer.engine.tiling.settle_patch_settings`), and stops a run that outlasts its
time between two patches, so its slot serves the next request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from explorer.engine.registry import ModelSpec
from explorer.engine.runner import padded_size
from explorer.engine.tiling import plan_patches, settle_patch_settings
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
    """

    min_patch_size: int = 16
    max_patches: int = 4096
    max_output_pixels: int = 8192 * 8192
    max_seconds: float = 600.0

    def __post_init__(self) -> None:
        for name in ("min_patch_size", "max_patches", "max_output_pixels", "max_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise WorkLimitError(f"WorkLimits.{name} must be a number above 0, got {value!r}.")

    def check(self, spec: ModelSpec, height: int, width: int, patch_size: int | None, padding: int | None) -> int:
        """Refuse a run of ``spec`` on a ``height``×``width`` image that would exceed these limits.

        Returns
        -------
        int
            The model calls the run will make.

        Raises
        ------
        WorkLimitError
            Saying which limit, by how much, and what to ask for instead.
        PatchSettingsError
            Settings that break UpscalerJS's rules.
        """
        if patch_size is not None and 0 < patch_size < self.min_patch_size:
            raise WorkLimitError(
                f"Patch size {patch_size} is below this server's smallest, {self.min_patch_size} px: tiny patches "
                f"cost one model call each. Use {self.min_patch_size} or more, or 0 for the whole image."
            )
        output = height * width * spec.scale**2
        if output > self.max_output_pixels:
            raise WorkLimitError(
                f"At {spec.scale}x this {width}×{height} image would become {output:,} pixels; this server makes up "
                f"to {self.max_output_pixels:,}. Use a smaller image."
            )
        chosen = settle_patch_settings(spec, height, width, patch_size, padding)
        if chosen.patch_size is None:
            return 1
        frame = padded_size(spec, height, width, chosen.patch_size)
        patches = len(plan_patches(*frame, chosen.patch_size, chosen.padding))
        if patches > self.max_patches:
            enough = math.ceil(math.sqrt(height * width / self.max_patches)) + 2 * chosen.padding + 1
            raise WorkLimitError(
                f"Patch size {chosen.patch_size} with padding {chosen.padding} cuts this {width}×{height} image into "
                f"{patches:,} patches; this server runs up to {self.max_patches:,} per request. Use a patch "
                f"size of about {enough} or more, or 0 for the whole image."
            )
        return patches

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
