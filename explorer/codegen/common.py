"""What every snippet target shares: the pinned versions, the validated settings, and the comments.

:mod:`explorer.codegen.snippets` picks a target; :mod:`explorer.codegen.upscalerjs`
writes UpscalerJS code (browser module, Node, script tags) and
:mod:`explorer.codegen.explorer_api` this project's Python API and command line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from explorer.engine.registry import ModelSpec
from explorer.engine.tiling import patch_notes
from explorer.settings import DEFAULT_CDNS

TARGETS = ("browser", "node", "script", "python", "cli", "ray")
"""Snippet targets, in display order."""

OUTPUTS = ("base64", "tensor")
"""UpscalerJS result forms: a PNG data URL, or a tensor."""

UPSCALER_VERSION = "1.0.0"
"""The ``upscaler`` (UpscalerJS) version the snippets pin."""

UPSCALER_TFJS_PEER = "~4.11.0"
"""``upscaler@UPSCALER_VERSION``'s peer-dependency range on ``@tensorflow/tfjs``."""

TFJS_VERSION = "4.11.0"
"""The ``@tensorflow/tfjs`` (and ``@tensorflow/tfjs-node``) version the snippets pin."""

CDN_BASE = DEFAULT_CDNS[0]
"""Where script tags load npm packages from (UpscalerJS fetches model weights from it too)."""

UPSCALER_UMD = "dist/browser/umd/upscaler.min.js"
"""UpscalerJS's UMD bundle inside its package; it defines the global ``Upscaler``."""

TFJS_UMD = "dist/tf.min.js"
"""TensorFlow.js's UMD bundle inside its package; it defines the global ``tf``."""

INPUT_FILE = "photo.png"
"""The image every snippet reads."""

WIDTH = 100
_PLACES = {"browser": "browsers", "node": "Node"}
SETTING_NAMES = {
    "javascript": ("patchSize", "padding"),
    "python": ("patch_size", "padding"),
    "bash": ("--patch-size", "--padding"),
}
SETUP_NOTE = "In a checkout of Upscaler Explorer, with its requirements installed."
PROGRESS = {
    "javascript": "(amount) => console.log(`${Math.round(amount * 100)}%`)",
    "python": 'lambda done, total: print(f"patch {done} of {total}")',
}


@dataclass(frozen=True)
class Settings:
    """Validated upscale settings, as :func:`generate` takes them.

    Attributes
    ----------
    patch_size, padding : int or None
        UpscalerJS's ``patchSize`` and ``padding`` (None: not given).
    warmup_sizes : tuple of int
        Patch sides to warm the model up for.
    progress : bool
        Report progress after each patch.
    output : str
        The JavaScript result form, one of :data:`OUTPUTS`.
    precision : str
        ``exact`` or ``fast`` (this project's Python and CLI targets only).
    """

    patch_size: int | None = None
    padding: int | None = None
    warmup_sizes: tuple[int, ...] = ()
    progress: bool = False
    output: str = "base64"
    precision: str = "exact"

def comment(text: str, prefix: str, indent: str = "") -> list[str]:
    lead = f"{indent}{prefix} "
    return textwrap.wrap(text, width=WIDTH, initial_indent=lead, subsequent_indent=lead, break_on_hyphens=False)


def html_comment(text: str) -> list[str]:
    return textwrap.wrap(f"<!-- {text} -->", width=WIDTH, break_on_hyphens=False)


def platform_note(spec: ModelSpec, platform: str) -> str | None:
    if not spec.platforms or platform in spec.platforms:
        return None
    where = " and ".join(_PLACES.get(p, p) for p in spec.platforms)
    other = "node" if platform == "browser" else "browser"
    return f"UpscalerJS supports {spec.id} in {where} only, not in {_PLACES[platform]}: use the {other} snippet."


def setting_notes(spec: ModelSpec, s: Settings, lang: str) -> list[str]:
    patch, padding = SETTING_NAMES[lang]
    warns = "UpscalerJS warns" if lang == "javascript" else "it warns, as UpscalerJS does"
    advice = patch_notes(s.patch_size, s.padding, divisibility_factor=spec.divisibility_factor)
    notes = [note.text(patch, padding, because="" if note.kind == "padding-ignored" else warns) for note in advice]
    if lang == "javascript" and s.progress and s.patch_size is None:
        notes.append("progress is called after each patch: without patchSize it is never called (UpscalerJS warns).")
    return notes


def wrapped(head: str, items: Sequence[str], tail: str, indent: str, pad: str = "", step: str = "  ") -> list[str]:
    """``head item, item tail`` on one line if it fits, else one item per line (indented by ``step``)."""
    one_line = f"{indent}{head}{pad}{', '.join(items)}{pad}{tail}"
    if len(one_line) <= WIDTH:
        return [one_line]
    return [f"{indent}{head}", *(f"{indent}{step}{item}," for item in items), f"{indent}{tail}"]


def upscale_options(s: Settings, lang: str) -> list[str]:
    """The patch size, padding and progress arguments, as ``name: value`` (JavaScript) or ``name=value``."""
    patch, padding = SETTING_NAMES[lang]
    values = [(patch, s.patch_size), (padding, s.padding), ("progress", PROGRESS[lang] if s.progress else None)]
    separator = ": " if lang == "javascript" else "="
    return [f"{name}{separator}{value}" for name, value in values if value is not None]


def sizes_list(sizes: Sequence[int]) -> str:
    return f"[{', '.join(str(n) for n in sizes)}]"


def output_file(spec: ModelSpec) -> str:
    stem, suffix = INPUT_FILE.rsplit(".", 1)
    return f"{stem}@{spec.scale}x.{suffix}"
