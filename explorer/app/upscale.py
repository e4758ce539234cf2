"""The Upscale tab: one image, one model, every detail of the run.

Handlers (plain functions, called by the page and by the tests):

* :func:`settings_status`: the patch size / padding rules checked live.
* :func:`upscale`: run the model with a progress bar per patch; before/after
  slider, full-resolution PNG, timings, the patch grid; in reference mode,
  PSNR/SSIM of the model and the classical baselines.
* :func:`seams_heatmap`: run the whole image too and map ``|tiled − whole|``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from explorer.app.common import (
    DEFAULT_CHOICE,
    ProgressFn,
    format_seconds,
    load_upscaler,
    model_choices,
    model_summary,
    resolve_model,
    settings_notes,
    tiling_settings,
    user_errors,
    whole_image_note,
)
from explorer.app.config import AppConfig
from explorer.app.examples import BUNDLED_EXAMPLE, example_images
from explorer.app.pictures import (
    as_model_input,
    display_copy,
    enlarge_nearest,
    read_image,
    rgb_view,
    save_result_png,
)
from explorer.app.quality import QUALITY_HINT, empty_scores, score_output
from explorer.engine.tiling import TilePlan
from explorer.engine.upscaler import UpscaleReport
from explorer.quality import seams
from explorer.quality.evaluate import reference_pair

__all__ = [
    "HEATMAP_MAX_OUTPUT_PIXELS",
    "LastRun",
    "RULES_MARKDOWN",
    "SeamsOutputs",
    "UpscaleOutputs",
    "UpscaleTab",
    "build_upscale_tab",
    "model_info",
    "seams_heatmap",
    "settings_status",
    "upscale",
]

HEATMAP_MAX_OUTPUT_PIXELS = 4096 * 4096
"""The seams heat map runs the whole image once more; only for outputs up to this size."""

RULES_MARKDOWN = """
**Patch size and padding follow UpscalerJS's rules**, so the same settings give the same pixels as in the browser:

1. Every patch fed to the model has the full patch size (or the image side, if smaller), so one traced model serves all patches.
2. A patch carries *padding* pixels of context on each side that touches another patch, none at the image border;
   the last patch of a row or column is shifted back to end on the image edge.
3. Only each patch's unpadded part is kept, so padding hides seams at the cost of extra work.
4. The patch size must be above 0 and **twice the padding must be smaller than the patch size**.

Patch size 0 runs the whole image at once (fastest for small images; large ones are tiled automatically).
"""


def model_info(model: str) -> str:
    """The line shown under the model picker."""
    try:
        return model_summary(resolve_model(model))
    except gr.Error as error:
        return f"⚠ {error.message}"


def settings_status(model: str, patch_size: float | None, padding: float | None) -> str:
    """Check the settings as the user changes them, in words, without raising.

    Returns
    -------
    str
        Markdown: ✓ with what will happen, or ✗ with the broken rule and a fix.
    """
    try:
        spec = resolve_model(model)
        patch, pad = tiling_settings(patch_size, padding)
    except gr.Error as error:
        return f"✗ {error.message}"
    if patch is None:
        head = f"✓ **Whole image**: the model sees the entire picture at once. {whole_image_note(spec)}"
    else:
        head = (
            f"✓ **{patch} px patches, {pad} px padding**: the model reads {patch}×{patch} px at a time and keeps "
            f"the inner {patch - 2 * pad} px of each (more where a patch touches the image border)."
        )
    return "\n\n".join([head, *(f"⚠ {note}" for note in settings_notes(spec, patch, pad))])


@dataclass(frozen=True)
class LastRun:
    """What :func:`seams_heatmap` needs from the last :func:`upscale` (paths, not pixels, so sessions stay small).

    Attributes
    ----------
    model : str
        Short model id.
    input_png : pathlib.Path
        The image the model ran on (the low-resolution copy in reference mode).
    output_png : pathlib.Path
        The full-resolution result.
    plan : TilePlan or None
        The patch plan; None for a whole-image run.
    """

    model: str
    input_png: Path
    output_png: Path
    plan: TilePlan | None


class UpscaleOutputs(NamedTuple):
    """What :func:`upscale` returns, in the order of the page's output components."""

    slider: tuple[np.ndarray, np.ndarray]
    png: str
    summary: str
    timings: str
    patch_times: pd.DataFrame
    plan_view: np.ndarray | None
    seams_note: str
    quality: str
    scores: pd.DataFrame
    last_run: LastRun


class SeamsOutputs(NamedTuple):
    """What :func:`seams_heatmap` returns."""

    heatmap: np.ndarray | None
    note: str


def _progress_reporter(progress: ProgressFn | None, model: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if progress is not None:
            progress((done, total), desc=f"Upscaling with {model}", unit="patches")

    return report


def upscale(
    image: str | None,
    model: str = DEFAULT_CHOICE,
    patch_size: float | None = 0,
    padding: float | None = 0,
    reference: bool = False,
    progress: ProgressFn | None = gr.Progress(),
    *,
    config: AppConfig | None = None,
) -> UpscaleOutputs:
    """Upscale an uploaded image and describe the run.

    Parameters
    ----------
    image : str
        Path of the uploaded image.
    model : str
        Model id or alias.
    patch_size, padding : number
        UpscalerJS's settings; patch size 0 means the whole image.
    reference : bool
        Treat the image as the high-resolution original: downscale it by the
        model's scale, upscale that, and score the result (and the baselines)
        against the original.
    progress : callable
        Receives ``((done, total), desc=...)`` after each patch.
    config : AppConfig, optional
        The app's limits (default: from the environment).

    Returns
    -------
    UpscaleOutputs

    Raises
    ------
    gradio.Error
        With a message for the page (bad image, settings, model, memory).
    """
    start = time.perf_counter()
    spec = resolve_model(model)
    patch, pad = tiling_settings(patch_size, padding)
    scoring = bool(reference) and spec.scale > 1
    loaded = read_image(image, config or AppConfig(), scale=1 if scoring else spec.scale)  # scoring: output = input size
    for note in settings_notes(spec, patch, pad):
        gr.Warning(note)
    if reference and not scoring:
        gr.Warning(f"{spec.short_id} is a {spec.task} model (no upscaling): reference mode needs an upscaling model.")
    reference_rgb = None
    model_input = as_model_input(loaded)
    if scoring:
        with user_errors():
            reference_rgb, model_input = reference_pair(loaded.rgb, spec.scale)
    model_handle = load_upscaler(spec, progress)
    with user_errors():
        result = model_handle.upscaler.run(
            model_input, patch_size=patch, padding=pad, progress=_progress_reporter(progress, spec.short_id)
        )
    report = result.report
    output = np.asarray(result.image)
    input_rgb = rgb_view(model_input)
    png = save_result_png(output, f"{Path(str(image)).stem}@{spec.scale}x-{spec.short_id}")
    input_png = save_result_png(model_input, "input") if report.plan is not None else Path(image)
    before = display_copy(enlarge_nearest(input_rgb, report.output_size), nearest=True)
    after = display_copy(rgb_view(output))
    plan_view, seams_note = _plan_view(input_rgb, report)
    quality, scores = ("", empty_scores())
    if scoring:
        quality, scores = score_output(spec.id, spec.scale, output, reference_rgb, model_input, report.total_seconds)
    return UpscaleOutputs(
        slider=(before, after),
        png=str(png),
        summary=_summary(spec.short_id, report, shown=after.shape[1], scoring=scoring),
        timings=_timings(report, model_handle.fresh, model_handle.seconds, time.perf_counter() - start),
        patch_times=_patch_times(report),
        plan_view=plan_view,
        seams_note=seams_note,
        quality=quality or QUALITY_HINT,
        scores=scores,
        last_run=LastRun(spec.short_id, Path(input_png), png, report.plan),
    )


def _summary(model: str, report: UpscaleReport, *, shown: int, scoring: bool) -> str:
    (w, h), (ow, oh) = report.input_size, report.output_size
    how = (
        f"{report.patches} patches of {report.patch_size} px, padding {report.padding}"
        + (" (tiled automatically: large image)" if report.auto_tiled else "")
        if report.patch_size
        else "whole image"
    )
    shrunk = f" Shown at {shown / ow:.0%}; the PNG is full size." if shown < ow else ""
    source = "the downscaled copy of your image" if scoring else "your image"
    return (
        f"**{w}×{h} → {ow}×{oh}** with `{model}` on {source}: {how}, "
        f"{format_seconds(report.total_seconds)}.{shrunk} Drag the slider: left is the input with pixels repeated, "
        "right is the model's output."
    )


def _timings(report: UpscaleReport, fresh: bool, loading: float, total: float) -> str:
    load = (
        f"{format_seconds(loading)} (this run: fetched if needed, then built)"
        if fresh
        else f"cached (loaded once per server in {format_seconds(report.load_seconds)})"
    )
    times = report.patch_seconds
    shape = report.plan.patch_shape if report.plan else (report.input_size[1], report.input_size[0])
    rows = [("Model load", load)]
    steady = times[1:] if report.traced else times
    if report.traced:
        rows.append(("Warm-up", f"{format_seconds(times[0])}: the first call traces the model for {shape[1]}×{shape[0]} inputs (once per size)"))
    else:
        rows.append(("Warm-up", f"none: already traced for {shape[1]}×{shape[0]} inputs"))
    rows.append(("Inference", f"{format_seconds(report.inference_seconds)} in {report.patches} model call{'s' * (report.patches != 1)}"))
    if steady:
        median = float(np.median(steady))
        rows.append(("Per patch", f"{format_seconds(median)} median (min {format_seconds(min(steady))}, max {format_seconds(max(steady))})"))
    rows.append(("Total", f"{format_seconds(total)} for the request (reading, tiling, stitching, PNG included)"))
    return "| Step | Time |\n|---|---|\n" + "\n".join(f"| {name} | {value} |" for name, value in rows)


def _patch_times(report: UpscaleReport) -> pd.DataFrame:
    kinds = ["warm-up" if report.traced and i == 0 else "steady" for i in range(len(report.patch_seconds))]
    return pd.DataFrame(
        {
            "patch": np.arange(1, len(report.patch_seconds) + 1),
            "milliseconds": np.round(np.array(report.patch_seconds) * 1000, 2),
            "call": kinds,
        }
    )


def _plan_view(input_rgb: np.ndarray, report: UpscaleReport) -> tuple[np.ndarray | None, str]:
    if report.plan is None:
        return None, "**Whole image**: one model call, so no patches and no seams. Set a patch size to see the grid."
    plan = report.plan
    rgb = input_rgb
    if (plan.height, plan.width) != rgb.shape[:2]:  # padded for the model's divisibility: draw on the padded frame
        rgb = np.pad(rgb, ((0, plan.height - rgb.shape[0]), (0, plan.width - rgb.shape[1]), (0, 0)))
    zoom = seams.view_factor(plan.height, plan.width)
    picture = display_copy(seams.draw_plan(rgb, plan, zoom=zoom))
    note = (
        f"**{len(plan.rows)} × {len(plan.cols)} patches** of {plan.patch_shape[1]}×{plan.patch_shape[0]} px. "
        "Cyan lines bound the part each patch keeps; orange bands are the padding each patch reads as context "
        "and throws away. The heat map below shows where the tiled output differs from a whole-image run."
    )
    return picture, note


def seams_heatmap(last_run: LastRun | None, progress: ProgressFn | None = gr.Progress()) -> SeamsOutputs:
    """Run the last image whole and map where the tiled output differs.

    Parameters
    ----------
    last_run : LastRun or None
        From :func:`upscale`; None before any run.
    progress : callable
        Shows the extra model call.

    Returns
    -------
    SeamsOutputs
        The heat map (None when there is nothing to compare) and a note.
    """
    if last_run is None or last_run.plan is None:
        return SeamsOutputs(None, "")
    spec = resolve_model(last_run.model)
    plan = last_run.plan
    if plan.height * plan.width * spec.scale**2 > HEATMAP_MAX_OUTPUT_PIXELS:
        return SeamsOutputs(None, "The image is too large to also run whole for the heat map.")
    tiled = np.asarray(Image.open(last_run.output_png))
    model_input = np.asarray(Image.open(last_run.input_png))
    handle = load_upscaler(spec, progress)
    if progress is not None:
        progress(0.5, desc="Running the whole image for the seams heat map")
    with user_errors():
        whole = handle.upscaler.run(model_input).image
    stats = seams.difference_stats(tiled, whole)
    heat = seams.shrink_for_view(seams.difference_map(tiled, whole), 1600)
    if stats.max_levels == 0:
        note = "**Identical** to the whole-image output: the padding hides every seam."
    else:
        note = (
            f"**|tiled − whole image|**: up to {stats.max_levels} levels (of 255), mean {stats.mean_levels:.3f}; "
            f"{stats.changed_fraction:.1%} of pixels differ; PSNR {stats.psnr:.1f} dB. Black is equal; brighter is "
            f"further apart (log scale; white ≥ {seams.DIFFERENCE_CAP} levels). More padding moves the seams toward black."
        )
    return SeamsOutputs(heat, note)


def _hide_results() -> tuple:
    return gr.DownloadButton(visible=False), gr.LinePlot(visible=False), gr.DataFrame(visible=False)


def _show_results(reference: bool) -> tuple:
    return gr.DownloadButton(visible=True), gr.LinePlot(visible=True), gr.DataFrame(visible=bool(reference))


@dataclass
class UpscaleTab:
    """The tab's components that other tabs and the address bar use."""

    image: gr.Image
    model: gr.Dropdown
    patch_size: gr.Slider
    padding: gr.Slider
    run: gr.Button


def build_upscale_tab(config: AppConfig, heavy: dict) -> UpscaleTab:
    """Lay out the Upscale tab inside the current ``gr.Tab`` and wire its events.

    Parameters
    ----------
    config : AppConfig
    heavy : dict
        Event options for model runs (the shared concurrency group).
    """
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=320):
            image = gr.Image(
                value=str(BUNDLED_EXAMPLE),
                type="filepath",
                image_mode=None,
                sources=["upload", "clipboard"],
                label="Image",
                height=300,
                elem_id="upscale-input",
            )
            gr.Examples(
                examples=[[str(path)] for path in example_images()],
                inputs=[image],
                label="Examples: scikit-image's evaluation photos",
                examples_per_page=8,
            )
            model = gr.Dropdown(
                choices=model_choices(), value=DEFAULT_CHOICE, label="Model", info="Task › package › variant",
                filterable=True, elem_id="upscale-model",
            )  # fmt: skip
            info = gr.Markdown(model_info(DEFAULT_CHOICE), elem_classes=["model-info"])
            with gr.Row():
                patch_size = gr.Slider(0, 512, value=0, step=1, label="Patch size (px)", info="0 = whole image", elem_id="patch-size")
                padding = gr.Slider(0, 128, value=0, step=1, label="Padding (px)", info="context around each patch", elem_id="padding")
            status = gr.Markdown(settings_status(DEFAULT_CHOICE, 0, 0), elem_id="settings-status")
            with gr.Accordion("How patch size and padding work", open=False):
                gr.Markdown(RULES_MARKDOWN)
            reference = gr.Checkbox(
                value=False,
                label="Reference mode: treat my image as the high-resolution original and score the model",
                elem_id="reference-mode",
            )
            run = gr.Button("Upscale", variant="primary", size="lg", elem_id="upscale-button")
        with gr.Column(scale=6, min_width=400):
            slider = gr.ImageSlider(
                label="Before (pixels repeated) · after (model)", type="numpy", format="png",
                interactive=False, buttons=["fullscreen"], max_height=560, elem_id="upscale-result",
            )  # fmt: skip
            summary = gr.Markdown(elem_id="upscale-summary")
            download = gr.DownloadButton("Download full-resolution PNG", visible=False, elem_id="upscale-download")
            with gr.Accordion("Quality (reference mode)", open=True):
                quality = gr.Markdown(QUALITY_HINT, elem_id="quality-summary")
                scores = gr.DataFrame(empty_scores(), label="Scores", interactive=False, visible=False, elem_id="quality-table")
            with gr.Accordion("Timings", open=True):
                timings = gr.Markdown("Run an upscale to see where the time goes.", elem_id="timings")
                patch_times = gr.LinePlot(
                    x="patch", y="milliseconds", label="Time per model call (the first one may trace the model)",
                    height=220, visible=False, x_title="model call", y_title="ms", tooltip="all",
                )  # fmt: skip
            with gr.Accordion("Seams view: what padding buys", open=False, elem_id="seams"):
                seams_note = gr.Markdown("Run an upscale with a patch size to see its patch grid.")
                with gr.Row():
                    plan_view = gr.Image(label="Patch grid over the input", format="png", interactive=False, height=300)
                    heatmap = gr.Image(label="|tiled − whole image|", format="png", interactive=False, height=300)
                heat_note = gr.Markdown()
    last_run = gr.State(None)

    light = {"queue": False, "api_visibility": "private"}
    model.change(model_info, inputs=model, outputs=info, **light)
    for control in (model, patch_size, padding):
        control.change(settings_status, inputs=[model, patch_size, padding], outputs=status, **light)
    handler = functools.partial(upscale, config=config)
    shown = [download, patch_times, scores]
    run.click(
        _hide_results, outputs=shown, **light
    ).then(
        handler,
        inputs=[image, model, patch_size, padding, reference],
        outputs=[slider, download, summary, timings, patch_times, plan_view, seams_note, quality, scores, last_run],
        show_progress_on=[slider],
        **heavy,
    ).success(
        _show_results, inputs=reference, outputs=shown, **light
    ).then(
        seams_heatmap, inputs=last_run, outputs=[heatmap, heat_note], show_progress="minimal", **heavy
    )  # fmt: skip
    return UpscaleTab(image=image, model=model, patch_size=patch_size, padding=padding, run=run)
