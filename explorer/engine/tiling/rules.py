"""Every rule about patch settings, and the advice that goes with valid ones.

One home for what the library, the CLI, the app and the generated code say
about ``patch_size`` and ``padding``: the UpscalerJS rules that make a setting
an error (:func:`validate_patch_settings`), the reading of raw values a front
end receives (:func:`parse_patch_settings`), the advice about valid settings
(:func:`patch_notes`, rendered as a Python warning, an app toast or a code
comment by :meth:`PatchNote.text`), the rounding to a model's side multiple,
and the automatic tiling of large whole-image runs (:func:`auto_tile_for`).
:func:`settle_patch_settings` applies them all for one run.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from explorer import settings
from explorer.errors import PatchSettingsError

if TYPE_CHECKING:
    from explorer.engine.registry import ModelSpec

__all__ = [
    "AUTO_TILE",
    "MAX_PATCH_SIZE",
    "AutoTile",
    "PatchNote",
    "RunSettings",
    "auto_tile_for",
    "parse_patch_settings",
    "patch_notes",
    "round_up_to_multiple",
    "settle_patch_settings",
    "validate_patch_settings",
]

MAX_PATCH_SIZE = 4096
"""Largest patch side accepted, in pixels: larger than any image side worth patching (the pixel limit is 4096²)."""


def validate_patch_settings(patch_size: int | None, padding: int | None) -> tuple[int | None, int]:
    """Validate ``patch_size``/``padding`` as UpscalerJS does, without warning.

    Returns ``(patch_size, padding)`` with padding defaulted to 0, or raises
    :class:`PatchSettingsError` when ``patch_size`` is not a whole number from 1
    to :data:`MAX_PATCH_SIZE`, ``padding`` is negative or not whole, or
    ``2 * padding >= patch_size``. The advice about valid settings is
    :func:`patch_notes`.
    """
    if patch_size is None:
        return None, 0
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
        raise PatchSettingsError(f"patch_size must be a whole number of pixels, got {patch_size!r}.")
    if patch_size <= 0:
        raise PatchSettingsError(
            f"patch_size must be greater than 0, got {patch_size}. "
            "Leave it unset to upscale the whole image at once."
        )
    if patch_size > MAX_PATCH_SIZE:
        raise PatchSettingsError(
            f"patch_size={patch_size} is too large: use at most {MAX_PATCH_SIZE} pixels "
            "(a patch larger than the image runs it in one piece)."
        )
    if padding is None:
        return int(patch_size), 0
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise PatchSettingsError(f"padding must be a whole number >= 0, got {padding!r}.")
    if 2 * padding >= patch_size:
        raise PatchSettingsError(
            f"padding={padding} is too large for patch_size={patch_size}: twice the padding must be "
            f"smaller than the patch size. Use padding < {math.ceil(patch_size / 2)} or a bigger patch size."
        )
    return int(patch_size), int(padding)


def _raw_pixels(value: object, name: str, limit: int) -> int | None:
    """A pixel count typed, pasted or sent by a front end, as an int; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    shown = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}.")
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}.") from None
    if math.isnan(number):
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown} (not a number).")
    if math.isinf(number) or abs(number) > limit:
        raise PatchSettingsError(f"{name} {shown} is out of range: use a whole number of pixels from 0 to {limit}.")
    if number < 0:
        raise PatchSettingsError(f"{name} cannot be negative (got {shown}): use a whole number of pixels from 0 to {limit}.")
    if not number.is_integer():
        raise PatchSettingsError(f"{name} must be a whole number of pixels, got {shown}: use {math.floor(number)} or {math.ceil(number)}.")
    return int(number)


def parse_patch_settings(
    patch_size: object, padding: object, *, zero_is_whole: bool = False
) -> tuple[int | None, int | None]:
    """Turn patch settings as a front end receives them (a form, an address, JSON, text) into valid ints.

    Every front end calls this before running anything, so a bad value gets
    the same message everywhere and nothing is clamped or rounded silently.

    Parameters
    ----------
    patch_size, padding : object
        Numbers or their text; None or empty text means unset.
    zero_is_whole : bool
        Read a patch size of 0 as "the whole image at once" (the app's
        convention), instead of an error (UpscalerJS's).

    Returns
    -------
    tuple
        ``(patch_size, padding)``: patch size None for the whole image (then
        padding is returned as given, for the caller to ignore or warn about);
        padding None when unset.

    Raises
    ------
    PatchSettingsError
        NaN, infinite, fractional, negative or too large values, and the
        UpscalerJS rules of :func:`validate_patch_settings` (padding at least
        half the patch size).

    Examples
    --------
    >>> parse_patch_settings("64", 4.0)
    (64, 4)
    >>> parse_patch_settings(0, 0, zero_is_whole=True)
    (None, 0)
    """
    patch = _raw_pixels(patch_size, "Patch size", MAX_PATCH_SIZE)
    pad = _raw_pixels(padding, "Padding", MAX_PATCH_SIZE // 2)
    if patch is None or (zero_is_whole and patch == 0):
        return None, pad
    checked, checked_pad = validate_patch_settings(patch, pad)
    return checked, (None if pad is None else checked_pad)


@dataclass(frozen=True)
class PatchNote:
    """Advice about valid patch settings, as data; each front end renders it with :meth:`text`.

    Attributes
    ----------
    kind : {"seams", "padding-ignored", "rounded"}
        A patch size without padding (UpscalerJS warns: seams may show);
        padding without a patch size (ignored); a patch size that is not a
        multiple of the model's side multiple (rounded up).
    patch_size, padding : int or None
        The settings as given.
    factor, rounded : int or None
        For ``"rounded"``: the side multiple and the patch size that runs.
    """

    kind: Literal["seams", "padding-ignored", "rounded"]
    patch_size: int | None
    padding: int | None
    factor: int | None = None
    rounded: int | None = None

    def text(
        self, patch: str = "patch_size", padding: str = "padding", *, model: str = "This model", because: str = ""
    ) -> str:
        """The note in words, with the settings called as the reader knows them.

        Parameters
        ----------
        patch, padding : str
            The settings' names where the note is read: ``patch_size`` (Python),
            ``patchSize`` (JavaScript), ``--patch-size`` (command line), ...
        model : str
            How to name the model in the rounding note.
        because : str
            Who says so (e.g. ``"UpscalerJS warns"``), added in parentheses to
            the seams and rounding notes.
        """
        why = f" ({because})" if because else ""
        if self.kind == "seams":
            return (
                f"{patch} without {padding}: seams may show where patches meet{why}. "
                f"Set {padding} to a few pixels (e.g. 4 to 16) to hide them."
            )
        if self.kind == "padding-ignored":
            return f"{padding} is ignored without {patch}: the whole image goes through the model at once."
        return (
            f"{model} needs sides that are multiples of {self.factor}: {patch} {self.patch_size} "
            f"becomes {self.rounded}{why}."
        )


def patch_notes(
    patch_size: int | None, padding: int | None, *, divisibility_factor: int | None = None
) -> list[PatchNote]:
    """The advice about valid settings, in the order to show it.

    Parameters
    ----------
    patch_size, padding : int or None
        Valid settings as given (None: unset). An explicit padding of 0 is
        UpscalerJS's way to say "no padding, I know": it gets no seams note.
    divisibility_factor : int, optional
        The model's side multiple; a patch size that is not a multiple of it
        gets a rounding note.
    """
    notes = []
    if patch_size is not None and padding is None:
        notes.append(PatchNote("seams", patch_size, padding))
    if patch_size is None and padding:
        notes.append(PatchNote("padding-ignored", patch_size, padding))
    rounding = _rounding(patch_size, padding, divisibility_factor)
    return notes + ([rounding] if rounding else [])


def _rounding(patch_size: int | None, padding: int | None, factor: int | None) -> PatchNote | None:
    if not (factor and patch_size and patch_size % factor):
        return None
    return PatchNote("rounded", patch_size, padding, factor, round_up_to_multiple(patch_size, factor))


@dataclass(frozen=True)
class RunSettings:
    """The patch settings one run uses, and the advice about the ones given.

    Attributes
    ----------
    patch_size : int or None
        The patch side that runs (auto-tiled, rounded to the model's side
        multiple); None for the whole image at once.
    padding : int
        The padding that runs (0 for a whole image).
    auto_tiled : bool
        True when a whole-image request was tiled because of its size.
    notes : tuple of PatchNote
    """

    patch_size: int | None
    padding: int
    auto_tiled: bool
    notes: tuple[PatchNote, ...]


def settle_patch_settings(
    spec: ModelSpec, height: int, width: int, patch_size: int | None, padding: int | None
) -> RunSettings:
    """Apply every patch-setting rule to one run of ``spec`` on a ``height``×``width`` image.

    The settings are validated (:func:`validate_patch_settings`), a large
    whole-image run is tiled (:func:`auto_tile_for`), and the patch size is
    rounded up to the model's side multiple; the notes say what the caller
    should know (the library warns with them).

    Raises
    ------
    PatchSettingsError
        The settings break UpscalerJS's rules.
    """
    patch, pad = validate_patch_settings(patch_size, padding)
    notes = patch_notes(patch_size, padding)
    auto = False
    tile = auto_tile_for(spec)
    if patch is None and height * width * spec.scale**2 > tile.max_output_pixels:
        patch, pad, auto = tile.patch_size, tile.padding, True
    rounding = _rounding(patch, pad, spec.divisibility_factor)
    if rounding:
        notes.append(rounding)
        patch = rounding.rounded
    return RunSettings(patch, pad, auto, tuple(notes))


@dataclass(frozen=True)
class AutoTile:
    """When a whole-image run is too big, tile it with these settings instead.

    A run without ``patch_size`` whose *output* would exceed ``max_output_pixels``
    is split into ``patch_size``/``padding`` patches, so TensorFlow never runs
    out of memory on large images (untiled, esrgan-medium 4x on a 1024² input
    needs over 6 GB). ``max_output_pixels=None`` means
    :func:`explorer.settings.auto_tile_pixels` (``$UPSCALER_EXPLORER_AUTO_TILE_PIXELS``,
    default 2048×2048), read when a run asks.
    """

    max_output_pixels: int | None = None
    patch_size: int = 256
    padding: int = 16


AUTO_TILE = AutoTile()
"""The documented default: outputs over 2048×2048 pixels are tiled 256/16."""


def auto_tile_for(spec: ModelSpec) -> AutoTile:
    """The automatic tiling of a whole-image run of ``spec``: :data:`AUTO_TILE` with the card's ``auto_tile`` over it.

    The returned ``max_output_pixels`` is always set (the environment's value when neither sets it).
    """
    tile = replace(AUTO_TILE, **spec.auto_tile) if spec.auto_tile else AUTO_TILE
    if tile.max_output_pixels is None:
        tile = replace(tile, max_output_pixels=settings.auto_tile_pixels())
    return tile


def round_up_to_multiple(value: int, factor: int) -> int:
    """Smallest multiple of ``factor`` that is >= ``value``."""
    return -(-value // factor) * factor
