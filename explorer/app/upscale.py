"""The Upscale tab: one image, one model, every detail of the run.

Handlers (plain functions, called by the page and by the tests):

* :func:`settings_status`: the patch size / padding rules and the server's limits, checked live in the run's words.
* :func:`upscale`: run the model with a progress bar per patch; before/after
  slider, full-resolution PNG, timings, the patch grid; in reference mode,
  PSNR/SSIM of the model and the classical baselines.
* :func:`~explorer.app.runview.seams_heatmap`: run the whole image too and map ``|tiled − whole|``.

What a run's report looks like in the page is in :mod:`explorer.app.runview`.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr
import numpy as np
import pandas as pd

from explorer.app import runview
from explorer.app.advise import build_advise
from explorer.app.browser_run import build_browser_run
from explorer.app.common import (
    DEFAULT_CHOICE,
    LoadedUpscaler,
    load_upscaler,
    model_choices,
    model_summary,
    resolve_model,
    user_errors,
    warn,
    whole_image_note,
)
from explorer.app.config import AppConfig
from explorer.app.examples import BUNDLED_EXAMPLE, example_images
from explorer.app.inputs import PixelNumber, UploadImage
from explorer.app.pictures import display_copy, enlarge_nearest, rgb_view, save_result_png
from explorer.app.progress import ProgressFn, Ticker
from explorer.app.reference_scores import QUALITY_HINT, empty_scores, score_output
from explorer.app.request import PageRequest, page_notes, preflight, start_request, unscored_reference_note
from explorer.app.runview import LastRun, SeamsOutputs, seams_heatmap
from explorer.engine.images import arrange
from explorer.engine.precision import check_precision
from explorer.engine.upscaler import UpscaleReport, UpscaleResult

__all__ = [
    "RULES_MARKDOWN",
    "LastRun",
    "SeamsOutputs",
    "UpscaleOutputs",
    "UpscaleTab",
    "build_upscale_tab",
    "model_info",
    "seams_heatmap",
    "settings_status",
    "upscale",
]

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


def settings_status(
    image: str | None,
    model: str,
    patch_size: float | None,
    padding: float | None,
    reference: bool = False,
    *,
    config: AppConfig | None = None,
) -> str:
    """Check the settings as the user changes them, in words, without raising.

    The same rules and limits as a run (:func:`explorer.app.request.preflight`:
    the header first, then the image decoded once per upload), so it refuses
    what the run would refuse, with the same sentence, and says what the run
    will say of the image (frames, 16 bits, CMYK) when it is uploaded.

    Returns
    -------
    str
        Markdown: ✓ with what will happen, or ✗ with the broken rule and a fix.
    """
    try:
        check = preflight(
            image, model, patch_size, padding, reference=reference, config=config or AppConfig(), require_image=False,
            decode=True,
        )
    except gr.Error as error:
        return f"✗ {error.message}"
    spec, patch, pad = check.spec, check.patch_size, check.padding
    if patch is None:
        head = f"✓ **Whole image**: the model sees the entire picture at once. {whole_image_note(spec)}"
    else:
        head = (
            f"✓ **{patch} px patches, {pad} px padding**: the model reads {patch}×{patch} px at a time and keeps "
            f"the inner {patch - 2 * pad} px of each (more where a patch touches the image border)."
        )
    if check.run is not None and check.run.settings.auto_tiled:
        head += f" This image is large: it runs as {check.run.patches} patches of {check.run.patch_size} px."
    elif check.run is not None and check.run.patches > 1:
        head += f" This image: {check.run.patches} patches."
    notes = [*check.upload_notes, *page_notes(check.notes, spec), unscored_reference_note(spec, bool(reference))]
    return "\n\n".join([head, *(f"⚠ {note}" for note in notes if note)])


class UpscaleOutputs(NamedTuple):
    """What :func:`upscale` returns."""

    slider: tuple[str, str]
    png: str
    summary: str
    timings: str
    patch_times: pd.DataFrame
    plan_view: str | None
    seams_note: str
    quality: str
    scores: pd.DataFrame
    last_run: LastRun


def upscale(
    image: str | None,
    model: str = DEFAULT_CHOICE,
    patch_size: Any = 0,
    padding: Any = 0,
    reference: bool = False,
    progress: ProgressFn | None = gr.Progress(),
    *,
    precision: str = "exact",
    config: AppConfig | None = None,
) -> UpscaleOutputs:
    """Upscale an uploaded image and describe the run.

    Parameters
    ----------
    image : str
        Path of the uploaded image.
    model : str
        Model id or alias.
    patch_size, padding : number or text
        UpscalerJS's settings as the page sent them; patch size 0 means the
        whole image. Anything that is not a whole number of pixels in range is
        refused before anything runs.
    reference : bool
        Treat the image as the high-resolution original: downscale it by the
        model's scale, upscale that, and score the result (and the baselines)
        against the original.
    progress : callable
        Shows each step (download, load, preparing for this size) with its
        elapsed time, then the patches done.
    precision : {"exact", "fast"}
        ``fast``: bf16 where this CPU has bf16 units and it was measured
        faithful and faster for this model; the summary says what ran and why.
    config : AppConfig, optional
        The app's limits (default: from the environment).

    Returns
    -------
    UpscaleOutputs

    Raises
    ------
    gradio.Error
        With a one-line message for the page (bad image, settings, model, memory).
    """
    start = time.perf_counter()
    page = start_request(image, model, patch_size, padding, reference=bool(reference), config=config or AppConfig())
    spec = page.spec
    for note in page_notes(page.request.notes, spec):
        warn(note)
    unscored = unscored_reference_note(spec, bool(reference))
    if unscored:
        warn(unscored)
    with user_errors():
        precision = check_precision(precision)
    with Ticker(progress, steps=3) as ticker:
        handle = load_upscaler(spec, progress, precision, ticker)
        result, warm, before = _run(handle, page, ticker)
    report, output = result.report, np.asarray(result.image)
    pixels = arrange(page.request.image, "array")  # what the model ran on, in the upload's layout
    png = save_result_png(output, f"{Path(str(image)).stem}@{spec.scale}x-{spec.short_id}")
    input_png = save_result_png(pixels, "input") if report.plan is not None else Path(image)
    shown = display_copy(rgb_view(output))
    after = png if shown.shape == output.shape else save_result_png(shown, "after")  # RGB, full size: the same file
    plan_view, seams_note = runview.plan_view(page.request.image.rgb, report)
    quality, scores = ("", empty_scores())
    if page.scoring:
        quality, scores = score_output(spec.id, spec.scale, output, page.reference, pixels, report.total_seconds)
    return UpscaleOutputs(
        slider=(str(before), str(after)),
        png=str(png),
        summary=runview.summary(
            spec.short_id, spec.scale, report, shown=shown.shape[1], scoring=page.scoring,
            alpha=page.upload.alpha is not None,
        ) + precision_note(report),  # fmt: skip
        timings=runview.timings(report, handle, time.perf_counter() - start, warm),
        patch_times=runview.patch_times(report),
        plan_view=plan_view,
        seams_note=seams_note,
        quality=quality or QUALITY_HINT,
        scores=scores,
        last_run=LastRun(spec.short_id, Path(input_png), png, report.plan),
    )


def precision_note(report: UpscaleReport) -> str:
    """For a fast-precision run: what ran and why (measured speed-up and fidelity against exact); '' for exact."""
    return "" if report.fast is None else f"\n\n**Precision:** {report.fast.reason}."


def _run(handle: LoadedUpscaler, page: PageRequest, ticker: Ticker) -> tuple[UpscaleResult, UpscaleReport | None, Path]:
    """Run the model under named steps, and encode the slider's left picture meanwhile.

    A run that traced the model in its only call runs once more, warm: the
    timing table then says what a later run costs (:func:`runview.needs_warm_run`).

    Returns
    -------
    tuple
        The result, the warm run's report (or None) and the slider's left picture.
    """
    spec = page.spec
    width, height = page.request.image.size
    verb = "Upscaling with" if spec.scale > 1 else "Running"  # restoration models keep the size
    cut = page.request.run.patch_size
    how = f"{page.request.run.patches} patches of {cut} px" if cut else "whole image"
    with ThreadPoolExecutor(max_workers=1) as encoder, user_errors():
        before = encoder.submit(_before_picture, page.request.image.rgb, page.reference, spec.scale)
        ticker.step(f"{verb} {spec.short_id} on {width}×{height} px, {how} (a first call traces it for this size)")
        result = handle.upscaler.run_request(
            page.request, progress=lambda done, total: ticker.count(done, total, f"{verb} {spec.short_id} on {width}×{height} px")
        )
        warm = None
        if runview.needs_warm_run(result.report):
            ticker.expected += 1
            ticker.step(f"Running {spec.short_id} once more, warm, to time what later runs cost")
            warm = handle.upscaler.run_request(page.request).report
        return result, warm, before.result()


def _before_picture(input_rgb: np.ndarray, reference_rgb: np.ndarray | None, scale: int) -> Path:
    """The slider's left picture as a PNG: the original in reference mode, else the input with pixels repeated."""
    if reference_rgb is not None:
        return save_result_png(display_copy(reference_rgb), "before")
    size = (input_rgb.shape[1] * scale, input_rgb.shape[0] * scale)
    return save_result_png(display_copy(enlarge_nearest(input_rgb, size), nearest=True), "before")


SHOW_RESULT_JS = """async () => {
  const result = document.querySelector('#upscale-result');
  if (!result) { return []; }
  const drawn = () => [...result.querySelectorAll('img')].some((img) => img.complete && img.naturalWidth > 0);
  for (let waited = 0; !drawn() && waited < 10000; waited += 50) { await new Promise((done) => setTimeout(done, 50)); }
  await new Promise((done) => requestAnimationFrame(done));  // its final height: nothing shifts after the scroll
  const top = result.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) { result.scrollIntoView({block: 'start'}); }
  return [];
}"""
"""Browser code run when a result arrives: once its picture is drawn, bring it into view if its top is off screen
(on a phone the result is below the whole form)."""

_TIMINGS_HINT = "Run an upscale to see where the time goes."
_SEAMS_HINT = "Run an upscale with a patch size to see its patch grid."


@dataclass
class UpscaleTab:
    """The tab's components that other tabs and the address bar use."""

    image: gr.Image
    model: gr.Dropdown
    patch_size: gr.Number
    padding: gr.Number
    reference: gr.Checkbox
    precision: gr.Radio
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
            image = UploadImage(
                value=str(BUNDLED_EXAMPLE), type="filepath", image_mode=None, sources=["upload", "clipboard"],
                label="Image", height=220, elem_id="upscale-input",
            )  # fmt: skip
            model = gr.Dropdown(
                choices=model_choices(), value=DEFAULT_CHOICE, label="Model",
                filterable=True, elem_id="upscale-model",
            )  # fmt: skip
            info = gr.Markdown(model_info(DEFAULT_CHOICE), elem_classes=["model-info"])
            with gr.Row():
                patch_size = PixelNumber(
                    0, step=1, label="Patch size (px)", info="0 = whole image", elem_id="patch-size", min_width=140
                )
                padding = PixelNumber(0, step=1, label="Padding (px)", info="context around each patch", elem_id="padding", min_width=140)
            status = gr.Markdown(settings_status(str(BUNDLED_EXAMPLE), DEFAULT_CHOICE, 0, 0, config=config), elem_id="settings-status")
            with gr.Row(equal_height=False):  # side by side: the Upscale button stays above the fold at 1400×1000
                reference = gr.Checkbox(
                    value=False,
                    label="Reference mode: score the model against my image as the original",
                    elem_id="reference-mode", scale=1, min_width=200,
                )  # fmt: skip
                precision = gr.Radio(
                    [("Exact (fp32)", "exact"), ("Fast (bf16)", "fast")], value="exact", label="Precision",
                    elem_id="precision", scale=1, min_width=200,
                )  # fmt: skip
            run = gr.Button("Upscale", variant="primary", size="lg", elem_id="upscale-button")
            build_advise(config, heavy, image, model, patch_size, padding)  # below the button: Upscale stays above the fold
            gr.Examples(
                examples=[[str(path)] for path in example_images()], inputs=[image],
                label="Examples: scikit-image's photos, and rainy, hazy, noisy and dark versions for the restoration models",
                examples_per_page=12,
            )  # fmt: skip
            with gr.Accordion("How patch size and padding work", open=False):
                gr.Markdown(RULES_MARKDOWN)
        with gr.Column(scale=6, min_width=320):
            slider = gr.ImageSlider(
                label="Before · after (drag the handle)", type="numpy", format="png",
                interactive=False, buttons=["fullscreen"], max_height=560, elem_id="upscale-result",
            )  # fmt: skip
            summary = gr.Markdown(elem_id="upscale-summary")
            download = gr.DownloadButton("Download full-resolution PNG", visible=False, elem_id="upscale-download")
            with gr.Accordion("Quality (reference mode)", open=True):
                quality = gr.Markdown(QUALITY_HINT, elem_id="quality-summary")
                scores = gr.DataFrame(
                    empty_scores(), label="Scores", interactive=False, visible=False, wrap=True, elem_id="quality-table"
                )
            with gr.Accordion("Timings", open=True):
                timings = gr.Markdown(_TIMINGS_HINT, elem_id="timings")
                patch_times = gr.ScatterPlot(
                    x="call", y="ms", label="Time per model call after warm-up (the warm-up call is in the table)",
                    height=240, visible=False, x_title="model call", y_title="milliseconds", tooltip="all",
                    elem_id="patch-times",
                )  # fmt: skip
            with gr.Accordion("Seams view: what padding buys", open=False, elem_id="seams"):
                seams_note = gr.Markdown(_SEAMS_HINT, elem_id="seams-note")
                plan_view = gr.Image(
                    label="Patch grid over the input", format="png", interactive=False, visible=False, elem_id="plan-view"
                )
                heatmap = gr.Image(label="|tiled − whole image|", format="png", interactive=False, visible=False, elem_id="heatmap")
                legend = gr.HTML(runview.heat_legend_html(), visible=False, elem_id="heat-legend")
                heat_note = gr.Markdown(elem_id="heat-note")
            with gr.Accordion("Run in my browser: your device's timing", open=True, elem_id="browser-run-panel"):
                build_browser_run(config, heavy, image, model, patch_size, padding)
    last_run = gr.State(None)

    light = {"queue": False, "api_visibility": "private"}
    model.change(model_info, inputs=model, outputs=info, **light)
    live_status = functools.update_wrapper(functools.partial(settings_status, config=config), settings_status)
    for control in (image, model, patch_size, padding, reference):
        control.change(live_status, inputs=[image, model, patch_size, padding, reference], outputs=status, **light)
    results = [slider, download, summary, timings, patch_times, plan_view, seams_note, quality, scores, last_run]
    seams_out = [heatmap, legend, heat_note]

    def run_and_show(*args: Any, progress: ProgressFn | None = gr.Progress()) -> tuple:
        *settings, precision_choice = args
        out = upscale(*settings, progress=progress, precision=precision_choice, config=config)
        return (
            out.slider, gr.DownloadButton(value=out.png, visible=True), out.summary, out.timings,
            _calls_plot(out.patch_times), gr.Image(out.plan_view, visible=out.plan_view is not None),
            out.seams_note, out.quality, gr.DataFrame(out.scores, visible=not out.scores.empty), out.last_run,
        )  # fmt: skip

    def show_seams(last: LastRun | None, progress: ProgressFn | None = gr.Progress()) -> tuple:
        heat, note = seams_heatmap(last, progress)
        return gr.Image(heat, visible=heat is not None), gr.HTML(visible=heat is not None), note

    def check(image_path: str | None, name: str, patch: Any, pad: Any, scoring: bool) -> None:
        """Refuse a request that cannot run, before anything runs (its message shows as a toast only; nothing is decoded)."""
        preflight(image_path, name, patch, pad, reference=scoring, config=config)

    run.click(
        _cleared, outputs=results + seams_out, **light
    ).then(
        check, inputs=[image, model, patch_size, padding, reference], show_progress="hidden",
        concurrency_limit=None, api_visibility="private",  # queued (its error shows as a toast), but never waits for a model run
    ).success(
        run_and_show, inputs=[image, model, patch_size, padding, reference, precision], outputs=results,
        show_progress_on=[slider], **heavy,
    ).success(
        None, js=SHOW_RESULT_JS, **light
    ).success(
        show_seams, inputs=last_run, outputs=seams_out, show_progress="minimal", **heavy
    )  # fmt: skip
    return UpscaleTab(
        image=image, model=model, patch_size=patch_size, padding=padding, reference=reference, precision=precision, run=run
    )


def _calls_plot(calls: pd.DataFrame) -> gr.ScatterPlot:
    """Steady calls only, on axes that start at 0 ms and show whole call numbers; hidden below two points."""
    steady = calls[calls["kind"] == "steady"]
    if len(steady) < 2:
        return gr.ScatterPlot(None, visible=False)
    x_lim = [int(steady["call"].min()), int(steady["call"].max())]
    return gr.ScatterPlot(steady, x_lim=x_lim, y_lim=[0, float(steady["ms"].max()) * 1.15], visible=True)


def _cleared() -> tuple:
    """Every result output emptied, so a failed run never leaves the previous run's results on screen."""
    return (
        None, gr.DownloadButton(value=None, visible=False), "", _TIMINGS_HINT, gr.ScatterPlot(None, visible=False),
        gr.Image(None, visible=False), _SEAMS_HINT, QUALITY_HINT, gr.DataFrame(empty_scores(), visible=False), None,
        gr.Image(None, visible=False), gr.HTML(visible=False), "",
    )  # fmt: skip
