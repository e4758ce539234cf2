"""Helpers every tab shares: model choices, patch settings, loading models, errors shown in the page.

Handlers never let an expected failure escape as a traceback: a bad image, an
unknown model, patch settings that break UpscalerJS's rules or a failed
download become a :class:`gradio.Error` whose message says what to do; notes
(16-bit input reduced, seams without padding) become :func:`gradio.Warning`.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from explorer.app.progress import ProgressFn, Ticker
from explorer.engine.loaded_models import cache_state, was_evicted
from explorer.engine.memory import is_out_of_memory
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec, list_models
from explorer.engine.resolve import resolve
from explorer.engine.tiling import auto_tile_for, parse_patch_settings
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError, ModelFetchError, ModelFormatError, ModelNotFoundError

__all__ = [
    "DEFAULT_CHOICE",
    "UNREADABLE_REQUEST",
    "LoadedUpscaler",
    "ProgressFn",
    "RefusingBlocks",
    "architecture_name",
    "as_page_text",
    "format_bytes",
    "format_seconds",
    "load_upscaler",
    "model_choices",
    "model_label",
    "model_summary",
    "page_message",
    "page_settings",
    "plain_text",
    "refuse",
    "resolve_model",
    "user_errors",
    "warn",
    "whole_image_note",
]

DEFAULT_CHOICE = get_spec(DEFAULT_MODEL).short_id
"""The model picker's value for the default model (short ids are what the URL shows)."""

log = logging.getLogger(__name__)

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
        raise refuse("Choose a model first.")
    try:
        return get_spec(name)
    except ExplorerError as error:
        raise refuse(page_message(error), cause=error) from None


def page_settings(patch_size: object, padding: object) -> tuple[int | None, int | None]:
    """The patch settings the page sent, checked: ``(patch size, padding)``.

    A patch size of 0 (or empty) means the whole image at once (patch size and
    padding None). Values that are not whole numbers of pixels, out of range,
    or that break UpscalerJS's rules raise a :class:`gradio.Error` with the
    rule and a fix (:func:`explorer.engine.tiling.parse_patch_settings`, shared
    by every front end); nothing is clamped or rounded.
    """
    with user_errors():
        patch, pad = parse_patch_settings(patch_size, padding, zero_is_whole=True)
    return (None, None) if patch is None else (patch, pad or 0)


def refuse(message: str, *, cause: BaseException | None = None) -> gr.Error:
    """The error for a request the app will not or cannot serve: shown in the page, one line in the server log.

    No traceback is printed (these are the user's mistakes or known limits,
    not faults). The log line has the whole ``cause`` when there is one (its
    advice is for whoever runs the server); downloads and unreadable model
    files, which the server's operator may need to fix, are warnings.
    """
    level = logging.WARNING if isinstance(cause, (ModelFetchError, ModelFormatError, MemoryError)) else logging.INFO
    detail = f"{type(cause).__name__}: {cause}" if cause is not None else message
    log.log(level, "Refused a request: %s", " | ".join(detail.splitlines()))
    return gr.Error(as_page_text(message), print_exception=False)


UNREADABLE_REQUEST = (
    "This request's inputs are not what the endpoint takes: an image must be a file uploaded to this app "
    "(or a URL or data URL), the model and target text, and patch size and padding finite numbers. "
    "The API page lists each endpoint's inputs."
)
"""What a raw API request whose inputs Gradio cannot read is told."""


class RefusingBlocks(gr.Blocks):
    """``gr.Blocks`` that refuses a request whose inputs Gradio cannot read as it refuses any other.

    Gradio reads a request's inputs before a handler runs: a server path it
    did not receive as an upload, a value of the wrong type or shape for a
    component. Each such failure would print a traceback in the server log;
    here it is one :func:`refuse` line and the caller gets
    :data:`UNREADABLE_REQUEST`.
    """

    async def preprocess_data(self, *args: Any, **kwargs: Any) -> Any:
        """Gradio's reading of the inputs; what it cannot read is refused (one log line, no traceback)."""
        try:
            return await super().preprocess_data(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:  # InvalidPathError, pydantic's ValidationError, ComponentProcessingError
            raise refuse(UNREADABLE_REQUEST, cause=error) from None


def warn(message: str) -> None:
    """Show a warning toast that reads ``message`` as it is (see :func:`as_page_text`)."""
    gr.Warning(as_page_text(message))


def as_page_text(text: str) -> str:
    """``text`` for a toast, which Gradio renders as HTML: tags, entities and all show as the characters typed.

    Every toast goes through :func:`refuse` or :func:`warn`, so nothing a link,
    a file or a model name carries (``<a href=…>``, ``<img src=…>``, a form)
    becomes part of the page.
    """
    return html.escape(text, quote=False)


def page_message(error: ExplorerError) -> str:
    """What a page user reads for a library error: plain text, with what *they* can do.

    Library messages address whoever runs the code (commands, environment
    variables, Python calls); the whole message goes to the server log and
    the page gets a version without operator advice or Markdown.
    """
    text = str(error)
    if isinstance(error, ModelFetchError):
        return "This model could not be downloaded to the server right now. Try again in a minute, or pick another model."
    if isinstance(error, ModelFormatError):
        return "This model's files could not be read on the server. Pick another model."
    shown = plain_text(text)
    return f"{shown} Pick one from the Model list." if isinstance(error, ModelNotFoundError) else shown


def plain_text(text: str) -> str:
    """A library message or note for a toast: sentences of operator advice dropped, no Markdown backticks."""
    kept = [sentence for sentence in _SENTENCE.split(text) if not _OPERATOR.search(sentence)]
    return " ".join(kept).replace("`", "").strip()


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_OPERATOR = re.compile(r"python -m explorer|UPSCALER_EXPLORER_|environment variable|PIL\.Image\.|max_pixels=|\bnp\.|pip install")


def whole_image_note(spec: ModelSpec) -> str:
    """What a whole-image run does for this model, including when it tiles by itself."""
    tile = auto_tile_for(spec)
    side = int((tile.max_output_pixels**0.5) // spec.scale)
    return (
        f"One model call. Inputs over about {side}×{side} px are tiled automatically "
        f"({tile.patch_size} px patches, padding {tile.padding}) so memory stays bounded."
    )


@dataclass(frozen=True)
class LoadedUpscaler:
    """An :class:`Upscaler`, whether this request loaded it, and how long each part of getting it took.

    Attributes
    ----------
    upscaler : Upscaler
    fresh : bool
        True when this request loaded the model (else it was in memory).
    seconds : float
        The whole time of getting it: :attr:`files_seconds` and then the load
        (or the lookup in memory), its runtime choice included.
    files_seconds : float
        Finding the model's files, downloading and checking them when needed.
    downloaded : bool
        True when this request downloaded the package (its first use on this server).
    reloaded : str
        When this request loaded the model again after the loaded-model cache
        let it go: a sentence saying so; else ``""``.
    """

    upscaler: Upscaler
    fresh: bool
    seconds: float
    files_seconds: float = 0.0
    downloaded: bool = False
    reloaded: str = ""

    @property
    def load_seconds(self) -> float:
        """The part of :attr:`seconds` after the files were found: the load, or the lookup in memory."""
        return self.seconds - self.files_seconds


def load_upscaler(
    spec: ModelSpec, progress: ProgressFn | None = None, precision: str = "exact", ticker: Ticker | None = None
) -> LoadedUpscaler:
    """Get the (shared, cached) model, showing each step of a first use with its elapsed time.

    Models are loaded once per process and shared by every session
    (:mod:`explorer.engine.runner` keeps them within a memory budget); a first
    use shows "Downloading …" (when the package is not cached yet), then
    "Loading …", and a model the budget had let go "Reloading …" with why.
    ``precision="fast"`` also gets the model's bf16 verdict for this CPU
    (measured once, then kept; see :mod:`explorer.engine.precision`).
    The files are looked up once (:func:`explorer.engine.resolve.resolve`)
    and handed to the :class:`Upscaler` as they are. The steps go to
    ``ticker`` when the caller shows more steps of its own, else to a ticker
    on ``progress``.
    """
    start = time.perf_counter()
    downloaded = False
    with contextlib.ExitStack() as stack, user_errors():
        ticker = ticker or stack.enter_context(Ticker(progress, steps=2))
        ticker.step(f"Getting {spec.short_id}'s files")

        def fetching(message: str) -> None:
            nonlocal downloaded
            downloaded = True
            verb = "Unpacking and checking" if message.startswith("Verifying") else "Downloading"
            ticker.step(f"{verb} {spec.short_id} ({format_bytes(spec.size_bytes)}, first use on this server)")

        resolved = resolve(spec, status=fetching)
        files = time.perf_counter() - start
        again = resolved.path is not None and was_evicted(resolved.path)
        fast = ", and its fast precision (bf16 is measured once per CPU, then kept)" if precision == "fast" else ""
        verb = "Reloading" if again else "Loading"
        ticker.step(f"{verb} {spec.short_id} ({format_bytes(spec.size_bytes)} of weights{fast})")
        upscaler = Upscaler(resolved, precision=precision)
    reloaded = _reload_note() if again and upscaler.loaded_now else ""
    return LoadedUpscaler(upscaler, upscaler.loaded_now, time.perf_counter() - start, files, downloaded, reloaded)


def _reload_note() -> str:
    state = cache_state()
    return (
        f"reloaded: this server keeps {state.models} model{'s' * (state.models != 1)} in memory "
        f"(up to {format_bytes(state.budget_bytes)} of them), and had let this one go to make room for others"
    )


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
        raise refuse(page_message(error), cause=error) from None
    except Exception as error:
        if is_out_of_memory(error):
            raise refuse(
                "The server ran out of memory for this run. Use a patch size (e.g. 128 with padding 8), "
                "a smaller image, or a smaller model.",
                cause=error,
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
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.1f} GB"


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
