"""One run, settled before its model loads: the request every front end builds once and passes on.

::

    prepare(spec, image, patch_size, padding, limits=..., layout=...)
      -> the image decoded once (its size checked against the limits before any pixel is decoded)
      -> plan_run: the patch settings settled once (UpscalerJS's rules, notes, auto-tiling, rounding),
         the limits checked once, the patch plan computed once
      -> UpscaleRequest  -> Upscaler.run_request(request) runs exactly that

:func:`plan_run` needs only the image's size, so a front end can check
settings and limits from a file's header, before it decodes anything (the
app's as-you-type check does). A batch over one model and one setting builds
one request per image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from explorer.engine.images import ImageInput, LoadedImage, OutputLayout, load_image
from explorer.engine.limits import WorkLimits
from explorer.engine.registry import ModelSpec
from explorer.engine.runner import padded_size
from explorer.engine.tiling import PatchNote, RunSettings, TilePlan, plan_patches, settle_patch_settings

__all__ = ["RunPlan", "UpscaleRequest", "plan_run", "prepare"]


@dataclass(frozen=True)
class RunPlan:
    """How one run is cut: the settled settings and the patch plan, within the limits.

    Attributes
    ----------
    settings : RunSettings
        The patch size and padding that run (auto-tiled, rounded) and the notes about the ones given.
    plan : TilePlan or None
        The patches, on the frame the image is padded to for the model; None for a whole-image run.
    """

    settings: RunSettings
    plan: TilePlan | None

    @property
    def patch_size(self) -> int | None:
        """The patch side that runs; None for the whole image."""
        return self.settings.patch_size

    @property
    def padding(self) -> int | None:
        """The padding that runs; None for the whole image."""
        return None if self.settings.patch_size is None else self.settings.padding

    @property
    def patches(self) -> int:
        """Patches the run feeds the model (1 for a whole image)."""
        return 1 if self.plan is None else len(self.plan)


def plan_run(
    spec: ModelSpec,
    height: int,
    width: int,
    patch_size: int | None = None,
    padding: int | None = None,
    limits: WorkLimits | None = None,
) -> RunPlan:
    """Settle the patch settings for a run of ``spec`` on a ``height``×``width`` image, check them, plan the patches.

    Parameters
    ----------
    spec : ModelSpec
    height, width : int
        The image the model runs on.
    patch_size, padding : int, optional
        As asked (UpscalerJS's ``patchSize`` and ``padding``; None: unset).
    limits : WorkLimits, optional
        A server's bounds (smallest patch, largest output, most patches).

    Raises
    ------
    PatchSettingsError
        Settings that break UpscalerJS's rules.
    WorkLimitError
        A run over ``limits``: which limit, by how much, and what to ask for instead.
    """
    settings = settle_patch_settings(spec, height, width, patch_size, padding)
    if limits is not None:
        limits.check_patch_size(patch_size)
        limits.check_output(width, height, spec.scale)
    if settings.patch_size is None:
        return RunPlan(settings, None)
    frame = padded_size(spec, height, width, settings.patch_size)
    plan = plan_patches(*frame, settings.patch_size, settings.padding)
    if limits is not None:
        limits.check_patches(len(plan), width, height, settings.patch_size, settings.padding)
    return RunPlan(settings, plan)


@dataclass(frozen=True)
class UpscaleRequest:
    """One run of one model on one image, checked and planned: what :meth:`~explorer.Upscaler.run_request` runs.

    Build it with :func:`prepare` (or :meth:`~explorer.Upscaler.prepare`).

    Attributes
    ----------
    spec : ModelSpec
        The model.
    image : LoadedImage
        The image the model runs on, decoded once.
    run : RunPlan
        Settled settings and the patch plan, within ``limits``.
    layout : {"input", "array", "rgb"}
        How the output is returned (:data:`explorer.engine.images.OutputLayout`).
    limits : WorkLimits or None
        The bounds the run was checked against; the run stops at their time limit.
    prepare_seconds : float
        Time spent decoding and checking (counted in the report's total).
    """

    spec: ModelSpec
    image: LoadedImage
    run: RunPlan
    layout: OutputLayout = "input"
    limits: WorkLimits | None = None
    prepare_seconds: float = 0.0

    @property
    def notes(self) -> tuple[PatchNote, ...]:
        """The advice about the settings as given (seams, padding ignored, rounding), for each front end to word."""
        return self.run.settings.notes


def prepare(
    spec: ModelSpec,
    image: ImageInput,
    *,
    patch_size: int | None = None,
    padding: int | None = None,
    limits: WorkLimits | None = None,
    layout: OutputLayout = "input",
    max_pixels: int | None = None,
) -> UpscaleRequest:
    """Decode an image once, settle and check the settings once, plan once: a request ready to run.

    Parameters
    ----------
    spec : ModelSpec
        The model (resolved; its files need not be fetched yet).
    image : path, bytes, PIL.Image.Image, ndarray or LoadedImage
        As :func:`~explorer.engine.images.load_image` takes it; a
        :class:`LoadedImage` is used as it is.
    patch_size, padding : int, optional
        UpscalerJS's settings; unset: the whole image (tiled automatically if large).
    limits : WorkLimits, optional
        A server's bounds: the image's size is checked before it is decoded.
    layout : {"input", "array", "rgb"}
        How the output is returned (:data:`explorer.engine.images.OutputLayout`).
    max_pixels : int, optional
        The library's pixel limit (see :func:`~explorer.engine.images.load_image`).

    Raises
    ------
    ImageError, PatchSettingsError, WorkLimitError
    """
    start = time.perf_counter()
    loaded = load_image(image, max_pixels=max_pixels, check_size=limits.check_input if limits is not None else None)
    height, width = loaded.rgb.shape[:2]
    run = plan_run(spec, height, width, patch_size, padding, limits)
    return UpscaleRequest(spec, loaded, run, layout, limits, time.perf_counter() - start)
