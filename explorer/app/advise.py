"""The Advise button beside the patch settings: measure, then fill in patch size and padding.

:func:`advise_settings` runs :func:`explorer.engine.advice.advise` on the
page's image and model (optionally within a time or memory budget) and
returns the settings to put in the sliders and the trade-off in one line.
"""

from __future__ import annotations

import functools

import gradio as gr

from explorer.app.common import DEFAULT_CHOICE, ProgressFn, load_upscaler, refuse, user_errors
from explorer.app.config import AppConfig
from explorer.app.request import start_request
from explorer.engine.advice import advise

__all__ = ["advise_settings", "build_advise", "page_budget"]


def page_budget(value: float | None, name: str) -> float | None:
    """A budget from the page: None for 0 or empty (no budget), else the number; below 0 is refused."""
    if value is None or value == "" or float(value) == 0:
        return None
    if float(value) < 0:
        raise refuse(f"{name} must be above 0 (or 0 for no budget), got {value}.")
    return float(value)


def advise_settings(
    image: str | None,
    model: str = DEFAULT_CHOICE,
    budget_seconds: float | None = 0,
    budget_memory_mib: float | None = 0,
    progress: ProgressFn | None = gr.Progress(),
    *,
    config: AppConfig | None = None,
) -> tuple[int, int, str]:
    """Measure the model on the image and advise a patch size and padding.

    Parameters
    ----------
    image : str
        Path of the uploaded image.
    model : str
        Model id or alias.
    budget_seconds, budget_memory_mib : number
        Budgets (0: none).
    progress : callable
        Shows each measurement.
    config : AppConfig, optional

    Returns
    -------
    tuple
        ``(patch_size, padding, line)``: patch size 0 means the whole image.
    """
    seconds, memory = page_budget(budget_seconds, "Time budget"), page_budget(budget_memory_mib, "Memory budget")
    page = start_request(image, model, 0, 0, config=config or AppConfig())  # a whole-image run must be within the limits
    spec = page.spec
    upscaler = load_upscaler(spec, progress).upscaler

    def status(message: str) -> None:
        if progress is not None:
            progress(0, desc=message)

    with user_errors():
        advice = advise(
            upscaler, page.request.image, budget_seconds=seconds, budget_memory_mib=memory, status=status,
            max_seconds=page.request.limits.max_seconds,
        )
    return advice.patch_size or 0, advice.padding or 0, f"**Advice** for `{spec.short_id}` on this image: {advice.line}"


def build_advise(
    config: AppConfig, heavy: dict, image: gr.Image, model: gr.Dropdown, patch_size: gr.Slider, padding: gr.Slider
) -> None:
    """Lay out the budgets, the Advise button and its line in the current column, and wire them."""
    with gr.Row(equal_height=True):
        seconds = gr.Number(0, label="Time budget (s)", info="0 = none", minimum=0, elem_id="advise-seconds")
        memory = gr.Number(0, label="Memory budget (MiB)", info="0 = none", minimum=0, elem_id="advise-memory")
        button = gr.Button("Advise", size="md", elem_id="advise-button")
    line = gr.Markdown(
        "**Advise** measures this model on this image and fills in the fastest settings whose seams stay invisible.",
        elem_id="advise-line",
        elem_classes=["hint"],
    )
    button.click(
        functools.partial(advise_settings, config=config),
        inputs=[image, model, seconds, memory],
        outputs=[patch_size, padding, line],
        show_progress_on=[line],
        **heavy,
    )
