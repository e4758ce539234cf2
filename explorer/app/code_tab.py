"""The Code tab: the code that sets up the current model and settings, for every target.

The text comes from :mod:`explorer.codegen.snippets`; this tab shows one block per
target (browser module, Node, script tag, Python, command line), each with a
copy button, and regenerates them whenever the model, patch size, padding or
an option changes.
"""

from __future__ import annotations

import gradio as gr

from explorer.app.common import DEFAULT_CHOICE, page_message, page_settings, refuse, resolve_model
from explorer.codegen.snippets import TARGETS, generate, language
from explorer.errors import ExplorerError

__all__ = ["TARGET_TITLES", "build_code_tab", "code_language", "snippet", "snippets_for", "targets"]

TARGET_TITLES = {
    "browser": "Browser (ES module)",
    "node": "Node",
    "script": "Script tag",
    "python": "Python",
    "cli": "Command line",
    "ray": "Ray Data (batch)",
}
"""Tab titles of the known targets (others show their own name)."""

_ALIASES = {"bash": "shell", "sh": "shell", "js": "javascript", "ts": "typescript"}


def targets() -> tuple[str, ...]:
    """The snippet targets, in the generator's order."""
    return tuple(TARGETS)


def code_language(target: str) -> str | None:
    """The :class:`gradio.Code` language for a target (None: plain text)."""
    name = language(target).lower()
    name = _ALIASES.get(name, name)
    return name if name in gr.Code.languages else None


def snippet(model: str, target: str, patch_size: float | None = 0, padding: float | None = 0) -> str:
    """The setup code for one target (the ``/snippet`` endpoint).

    Parameters
    ----------
    model : str
        Model id or alias.
    target : str
        One of :func:`targets`.
    patch_size, padding : number
        UpscalerJS's settings (patch size 0: whole image).

    Raises
    ------
    gradio.Error
        Unknown model or target, or settings that break UpscalerJS's rules.
    """
    spec, (patch, pad) = resolve_model(model), page_settings(patch_size, padding)
    if target not in targets():
        raise refuse(f"Unknown target {target!r}; choose one of {', '.join(targets())}.")
    try:
        return generate(spec, target, patch_size=patch, padding=pad)
    except ExplorerError as error:
        raise refuse(page_message(error), cause=error) from None


def snippets_for(
    model: str = DEFAULT_CHOICE,
    patch_size: float | None = 0,
    padding: float | None = 0,
    warmup: bool = False,
    progress: bool = False,
) -> tuple[str, ...]:
    """Every target's code for the current settings, live.

    Returns
    -------
    tuple of str
        A status line (Markdown), then one code text per target of
        :func:`targets`. When the settings are invalid the status says why and
        the code blocks keep their last text (:func:`gradio.skip`).
    """
    try:
        spec, (patch, pad) = resolve_model(model), page_settings(patch_size, padding)
    except gr.Error as error:
        return (f"✗ {error.message} The code below is for the last valid settings.", *(gr.skip() for _ in targets()))
    sizes = (patch,) if warmup and patch else ()
    codes = []
    for target in targets():
        try:
            codes.append(generate(spec, target, patch_size=patch, padding=pad, warmup_sizes=sizes, progress=progress))
        except ExplorerError as error:
            codes.append(f"{error}")
    how = f"{patch} px patches with {pad} px padding" if patch else "the whole image at once"
    note = " Warm-up applies to patches only." if warmup and not patch else ""
    return (f"✓ Code for **{spec.short_id}** on {how}.{note}", *codes)


def build_code_tab(model: gr.Dropdown, patch_size: gr.Number, padding: gr.Number) -> None:
    """Lay out the Code tab inside the current ``gr.Tab``; it follows the Upscale tab's settings."""
    gr.Markdown("Instantiation code for the model and settings chosen in the Upscale tab. It updates as you change them.")
    with gr.Row():
        warmup = gr.Checkbox(value=False, label="Warm up for the patch size first")
        progress = gr.Checkbox(value=False, label="Report progress per patch")
    first = snippets_for()
    status = gr.Markdown(first[0], elem_id="code-status")
    blocks = []
    with gr.Tabs():
        for number, target in enumerate(targets(), 1):
            with gr.Tab(TARGET_TITLES.get(target, target), id=f"code-{target}"):
                blocks.append(
                    gr.Code(
                        first[number], language=code_language(target), label=TARGET_TITLES.get(target, target),
                        buttons=["copy", "download"], interactive=False, elem_id=f"code-{target}",
                    )  # fmt: skip
                )
    inputs = [model, patch_size, padding, warmup, progress]
    for control in inputs:
        control.change(snippets_for, inputs=inputs, outputs=[status, *blocks], queue=False, api_visibility="private")
