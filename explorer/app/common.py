"""Helpers every tab shares: model choices, patch settings, loading models, errors shown in the page.

Handlers never let an expected failure escape as a traceback: a bad image, an
unknown model, patch settings that break UpscalerJS's rules or a failed
download become a :class:`gradio.Error` whose message says what to do; notes
(16-bit input reduced, seams without padding) become :func:`gradio.Warning`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import gradio as gr

from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec, list_models
from explorer.engine.tiling import auto_tile_for, check_patch_settings
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError

__all__ = [
    "DEFAULT_CHOICE",
    "LoadedUpscaler",
    "ProgressFn",
    "architecture_name",
    "format_bytes",
    "format_seconds",
    "load_upscaler",
    "model_choices",
    "model_label",
    "model_summary",
    "resolve_model",
    "settings_notes",
    "tiling_settings",
    "user_errors",
    "whole_image_note",
]

ProgressFn = Callable[..., None]
"""A :class:`gradio.Progress` (or any callable taking ``(fraction or (done, total), desc=...)``)."""

DEFAULT_CHOICE = get_spec(DEFAULT_MODEL).short_id
"""The model picker's value for the default model (short ids are what the URL shows)."""

_TASK_ORDER = ("upscaling",)


def model_label(spec: ModelSpec) -> str:
    """Picker label: task › package title › variant, e.g. ``Upscaling › ESRGAN Slim › 4x``."""
    variant = spec.export[2:] if spec.export not in (".", "./") else f"{spec.scale}x"
    task = spec.task.replace("-", " ").capitalize()
    return f"{task} › {spec.title} › {variant}"


def model_choices() -> list[tuple[str, str]]:
    """``(label, short id)`` of every registry model, grouped by task (upscaling first), then family and title."""
    specs = list_models()
    order = {task: i for i, task in enumerate(_TASK_ORDER)}
    ranked = sorted(
        enumerate(specs), key=lambda item: (order.get(item[1].task, len(order)), item[1].task, item[1].family, item[1].title, item[0])
    )
    return [(model_label(spec), spec.short_id) for _, spec in ranked]


def resolve_model(name: str | None) -> ModelSpec:
    """The spec for an id or alias from the page; an unknown name is a :class:`gradio.Error`."""
    if not name:
        raise gr.Error("Choose a model first.")
    try:
        return get_spec(name)
    except ExplorerError as error:
        raise gr.Error(str(error)) from None


def tiling_settings(patch_size: float | int | None, padding: float | int | None) -> tuple[int | None, int | None]:
    """Turn the page's patch size and padding into :meth:`Upscaler.run`'s arguments.

    A patch size of 0 (or empty) means the whole image at once; padding then
    does not apply. Settings that break UpscalerJS's rules raise a
    :class:`gradio.Error` with the rule and a fix.

    Returns
    -------
    tuple
        ``(patch_size, padding)``: ``(None, None)`` for the whole image.
    """
    patch = _whole_number(patch_size, "Patch size")
    pad = _whole_number(padding, "Padding")
    if not patch:
        return None, None
    try:
        checked = check_patch_settings(patch, pad)
    except ExplorerError as error:
        raise gr.Error(str(error)) from None
    return checked


def _whole_number(value: float | int | str | None, name: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a whole number of pixels, got {value!r}.") from None
    if number != int(number) or number < 0:
        raise gr.Error(f"{name} must be a whole number of pixels, 0 or more; got {value}.")
    return int(number)


def whole_image_note(spec: ModelSpec) -> str:
    """What a whole-image run does for this model, including when it tiles by itself."""
    tile = auto_tile_for(spec)
    side = int((tile.max_output_pixels**0.5) // spec.scale)
    return (
        f"One model call. Inputs over about {side}×{side} px are tiled automatically "
        f"({tile.patch_size} px patches, padding {tile.padding}) so memory stays bounded."
    )


def settings_notes(spec: ModelSpec, patch_size: int | None, padding: int | None) -> list[str]:
    """Warnings about valid patch settings: seams without padding, rounding for the model's divisibility."""
    if patch_size is None:
        return []
    notes = []
    if not padding:
        notes.append("Padding 0: patches see no context across their edges, so seams may show. Try 4–16 px.")
    factor = spec.divisibility_factor
    if factor and patch_size % factor:
        rounded = -(-patch_size // factor) * factor
        notes.append(f"{spec.short_id} needs multiples of {factor} px: patch size {patch_size} runs as {rounded}.")
    return notes


@dataclass(frozen=True)
class LoadedUpscaler:
    """An :class:`Upscaler` and whether this request paid for loading it."""

    upscaler: Upscaler
    fresh: bool
    seconds: float


def load_upscaler(spec: ModelSpec, progress: ProgressFn | None = None) -> LoadedUpscaler:
    """Get the (shared, cached) model, showing download and load steps as progress.

    Models are loaded once per process and shared by every session
    (:mod:`explorer.engine.runner` keeps a bounded cache).
    """

    def status(message: str) -> None:
        if progress is not None:
            progress(0, desc=message)

    status(f"Loading {spec.short_id} …")
    start = time.perf_counter()
    with user_errors():
        upscaler = Upscaler(spec, status=status)
    seconds = time.perf_counter() - start
    return LoadedUpscaler(upscaler, fresh=seconds >= upscaler.load_seconds, seconds=seconds)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Show expected failures in the page instead of raising them.

    Library errors keep their message; running out of memory gets advice.
    """
    try:
        yield
    except gr.Error:
        raise
    except ExplorerError as error:
        raise gr.Error(str(error)) from None
    except Exception as error:
        if isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError":
            raise gr.Error(
                "The server ran out of memory for this run. Use a patch size (e.g. 128 with padding 8), "
                "a smaller image, or a smaller model."
            ) from None
        raise


def format_seconds(seconds: float) -> str:
    """``0.32 s`` or ``320 ms``, readable at every magnitude."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def format_bytes(size: int) -> str:
    """``0.9 MB`` style sizes (decimal megabytes, as npm shows them)."""
    if size <= 0:
        return "–"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


def architecture_name(spec: ModelSpec) -> str:
    """``RDN C1 D2 G4`` style: the architecture and the hyper-parameters that tell variants apart (T is RRDN's)."""
    keys = ("C", "D", "G", "T") if spec.architecture == "rrdn" else ("C", "D", "G")
    config = " ".join(f"{key}{spec.config[key]}" for key in keys if key in spec.config)
    return f"{(spec.architecture or 'custom').upper()} {config}".strip()


def model_summary(spec: ModelSpec) -> str:
    """One Markdown line about a model: what it does, its size and where it runs."""
    task = f"{spec.task.replace('-', ' ')} ×{spec.scale}" if spec.scale > 1 else spec.task.replace("-", " ")
    parts = [
        f"**{spec.title} · {spec.short_id}**",
        task,
        architecture_name(spec),
        f"{spec.parameters:,} parameters" if spec.parameters else "no weights",
        format_bytes(spec.size_bytes) + (f" ({spec.quantization})" if spec.quantization else ""),
    ]
    if spec.dataset:
        parts.append(f"trained on {spec.dataset}")
    parts.append(" and ".join(spec.platforms) + " in UpscalerJS")
    return " · ".join(parts)
