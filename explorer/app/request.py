"""The start of every request from the page: what a tab's handler, an API endpoint or a check turns the page's values into.

::

    page values (image path, model, patch size, padding, reference mode)
      -> resolve_model, page_settings   (:mod:`~explorer.app.common`) the model's spec and the patch settings,
                         or the page's one-line error
      -> read_image      the upload decoded once, its size checked against the server's limits from its header
      -> page_request    reference mode (the upload shrunk by the model's scale and kept to score against),
                         then :func:`explorer.engine.request.prepare`: settings settled, limits checked
                         and the patch plan computed, once
      -> load_upscaler   the model's files fetched and loaded, once
      -> Upscaler.run_request

:func:`preflight` applies the same rules and limits to the size an upload's
header declares, without decoding it: the checks that run before a model run
and the as-you-type status use it, so they refuse what the run would refuse,
in the same words.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from explorer.app.common import page_settings, refuse, resolve_model, user_errors
from explorer.app.config import AppConfig
from explorer.app.pictures import check_upload, declared_size, read_image
from explorer.engine.images import LoadedImage, OutputLayout, load_image
from explorer.engine.registry import ModelSpec
from explorer.engine.request import RunPlan, UpscaleRequest, plan_run, prepare
from explorer.engine.tiling import PatchNote, patch_notes
from explorer.quality.evaluate import reference_pair

__all__ = ["PageRequest", "Preflight", "page_notes", "page_request", "preflight", "refuse_unless_scoring", "start_request", "unscored_reference_note"]


@dataclass(frozen=True)
class PageRequest:
    """One run asked for by the page, ready for its model.

    Attributes
    ----------
    request : UpscaleRequest
        What the model runs: the image (the shrunk copy in reference mode), settled settings, the plan.
    upload : LoadedImage
        The uploaded image, decoded once.
    reference : ndarray or None
        Reference mode: the upload, mod-cropped to the model's scale, that the output is scored against.
    """

    request: UpscaleRequest
    upload: LoadedImage
    reference: np.ndarray | None

    @property
    def spec(self) -> ModelSpec:
        """The model."""
        return self.request.spec

    @property
    def scoring(self) -> bool:
        """True in reference mode (the output is scored against :attr:`reference`)."""
        return self.reference is not None


def page_request(
    spec: ModelSpec,
    upload: LoadedImage,
    patch_size: int | None,
    padding: int | None,
    *,
    reference: bool,
    config: AppConfig,
    layout: OutputLayout = "array",
) -> PageRequest:
    """The request for one model on a decoded upload (a comparison builds one per model on the same upload).

    In reference mode an upscaling model runs on the upload shrunk by its
    scale, and its output is the upload's size; a model that does not upscale
    runs on the upload as it is. The page has no "unset" padding: 0 means
    none, and gets UpscalerJS's note that seams may show.

    Raises
    ------
    gradio.Error
        The settings break a rule or the server's limits, or the image is too small to score.
    """
    with user_errors():
        original, model_input = (None, upload)
        if _scores(spec, reference):
            original, low = reference_pair(upload.rgb, spec.scale)
            model_input = load_image(low)  # made here from a checked upload: the upload's size limit is not applied twice
        request = prepare(
            spec, model_input, patch_size=patch_size, padding=padding or None, limits=config.work_limits, layout=layout
        )
    return PageRequest(request, upload, original)


def _scores(spec: ModelSpec, reference: bool) -> bool:
    """Reference mode scores upscaling models only: a model of scale 1 runs on the image as it is."""
    return reference and spec.scale > 1


def start_request(
    image: str | os.PathLike | None,
    model: str | None,
    patch_size: object,
    padding: object,
    *,
    reference: bool = False,
    config: AppConfig,
    layout: OutputLayout = "array",
) -> PageRequest:
    """The page's values turned into a request: settings checked, the upload decoded once, the run planned.

    Raises
    ------
    gradio.Error
        With one line for the page (no image, bad settings, unknown model, over a limit).
    """
    spec, (patch, pad) = resolve_model(model), page_settings(patch_size, padding)
    return page_request(spec, read_image(image, config), patch, pad, reference=reference, config=config, layout=layout)


@dataclass(frozen=True)
class Preflight:
    """What a run would do, checked from the image's header only.

    Attributes
    ----------
    spec : ModelSpec
    patch_size, padding : int or None
        As the page sent them (None for the whole image).
    notes : tuple of PatchNote
        The advice about them.
    run : RunPlan or None
        The run's plan; None without an image (then only the settings and the
        smallest patch size were checked).
    upload_notes : tuple of str
        With ``decode=True``: what the run will say of the image (frames, 16 bits, CMYK), in the page's words.
    """

    spec: ModelSpec
    patch_size: int | None
    padding: int | None
    notes: tuple[PatchNote, ...]
    run: RunPlan | None
    upload_notes: tuple[str, ...] = ()


def preflight(
    image: str | os.PathLike | None,
    model: str | None,
    patch_size: object,
    padding: object,
    *,
    reference: bool = False,
    config: AppConfig,
    require_image: bool = True,
    decode: bool = False,
) -> Preflight:
    """Check what a run would check, with the same sentences, from the image's header (nothing is decoded unless asked).

    Parameters
    ----------
    require_image : bool
        False for the live status: without an image, only the settings and
        the smallest patch size are checked.
    decode : bool
        True for the live status: after its header passes, the image is
        decoded as the run decodes it (:func:`~explorer.app.pictures.check_upload`,
        once per file), so a damaged file is refused on upload and its notes
        are known before the run.

    Raises
    ------
    gradio.Error
        The sentence the run would refuse with.
    """
    spec, (patch, pad) = resolve_model(model), page_settings(patch_size, padding)
    if not image and not require_image:
        with user_errors():
            config.work_limits.check_patch_size(patch)
        notes = patch_notes(patch, pad or None, divisibility_factor=spec.divisibility_factor)
        return Preflight(spec, patch, pad, tuple(notes), None)
    width, height = declared_size(image, config)
    upload_notes = check_upload(image, config) if decode else ()
    if _scores(spec, reference):  # the shrunk copy runs (reference_pair: mod-crop, then shrink)
        width, height = width // spec.scale, height // spec.scale
    with user_errors():
        run = plan_run(spec, height, width, patch, pad or None, config.work_limits)
    return Preflight(spec, patch, pad, run.settings.notes, run, upload_notes)


def page_notes(notes: tuple[PatchNote, ...], spec: ModelSpec) -> list[str]:
    """The engine's advice about the settings (:class:`~explorer.engine.tiling.PatchNote`), worded for the page."""
    texts = (note.text("patch size", "padding", model=spec.short_id) for note in notes)
    return [text if text.startswith(spec.short_id) else text[:1].upper() + text[1:] for text in texts]  # ids keep their case


def unscored_reference_note(spec: ModelSpec, reference: bool) -> str | None:
    """What reference mode means for ``spec``: None where it scores, else why nothing is scored (a model that does
    not upscale has no shrunk copy to score); the Upscale tab says it as you tick the box and again at the run."""
    if not reference or _scores(spec, reference):
        return None
    return f"{spec.short_id} is a {spec.task} model (no upscaling): reference mode needs an upscaling model."


def refuse_unless_scoring(page: PageRequest) -> None:
    """Refuse a reference-mode request whose model does not upscale (nothing to score)."""
    if not page.scoring:
        raise refuse(unscored_reference_note(page.spec, True))

