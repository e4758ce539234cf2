"""The Compare tab: several models on the same image, side by side.

:func:`compare` runs each chosen model on the image and returns a gallery, a
table (PSNR, SSIM, time, size) and the points of a quality-versus-time
scatter plot. In reference mode (the default) the image is the
high-resolution original: each model gets it shrunk by its own scale and is
scored against it, next to bicubic at that scale, so quality is measured;
otherwise models upscale the image as it is and only time and size are
compared.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd

from explorer.app.common import (
    ProgressFn,
    format_seconds,
    load_upscaler,
    model_choices,
    page_settings,
    refuse,
    resolve_model,
    user_errors,
)
from explorer.app.config import AppConfig
from explorer.app.crops import CompareRun, after_compare, build_crop_view, make_run, psnr_note
from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.inputs import PixelNumber
from explorer.app.pictures import display_copy, read_image, save_result_png
from explorer.app.request import PageRequest, Preflight, page_request, preflight
from explorer.engine.precision import check_precision
from explorer.engine.registry import ModelSpec
from explorer.quality.evaluate import score, upscale_baseline

__all__ = [
    "COMPARE_COLUMNS", "DEFAULT_MODELS", "CompareOutputs", "build_compare_tab", "compare", "padded_limits", "quality_plot",
    "settings_status",
]  # fmt: skip

DEFAULT_MODELS = ("default-model", "esrgan-medium/2x", "pixel-upsampler/x2")
"""What the tab compares until the user chooses."""

COMPARE_COLUMNS = ("model", "scale", "PSNR-Y", "SSIM-Y", "seconds", "first run", "parameters", "MB")
"""Columns of the comparison table."""


class CompareOutputs(NamedTuple):
    """What :func:`compare` returns, in the order of the page's outputs."""

    gallery: list[tuple[str, str]]
    table: pd.DataFrame
    points: pd.DataFrame
    summary: str
    run: CompareRun


@dataclass
class _Run:
    spec: ModelSpec
    output: np.ndarray
    seconds: float
    first_seconds: float
    scores: dict
    precision: str = ""


def _specs(models: list[str] | None, limit: int) -> list[ModelSpec]:
    if not models:
        raise refuse("Choose at least one model to compare.")
    specs = list(dict.fromkeys(resolve_model(name) for name in models))
    if len(specs) > limit:
        raise refuse(f"Compare up to {limit} models at once (you chose {len(specs)}).")
    return specs


def compare(
    image: str | None,
    models: list[str] | None,
    patch_size: float | None = 0,
    padding: float | None = 0,
    reference: bool = True,
    progress: ProgressFn | None = gr.Progress(),
    *,
    precision: str = "exact",
    config: AppConfig | None = None,
) -> CompareOutputs:
    """Run several models on one image and compare them.

    Parameters
    ----------
    image : str
        Path of the uploaded image.
    models : list of str
        Model ids or aliases.
    patch_size, padding : number
        UpscalerJS's settings for every model (0: whole image).
    reference : bool
        Treat the image as the high-resolution original and score every
        upscaling model against it (see the module's description).
    progress : callable
        Shows which model runs and its patches.
    precision : {"exact", "fast"}
        The Upscale tab's precision, for every model; with ``fast`` the
        summary says, per model, what ran and why.
    config : AppConfig, optional

    Returns
    -------
    CompareOutputs
    """
    config = config or AppConfig()
    with user_errors():
        precision = check_precision(precision)
    specs = _specs(models, config.max_compare)
    patch, pad = page_settings(patch_size, padding)
    upload = read_image(image, config)
    pages = [  # every model's request is checked before the first model loads
        page_request(spec, upload, patch, pad, reference=reference, config=config, layout="rgb") for spec in specs
    ]
    pairs = {page.spec.scale: (page.reference, page.request.image.rgb) for page in pages if page.scoring}
    runs = [
        _run(page, progress, f"{page.spec.short_id} ({number}/{len(pages)})", precision)
        for number, page in enumerate(pages, 1)
    ]
    return _outputs(runs, pairs, upload.rgb if reference else None, _crop_run(runs, pairs, upload.rgb, reference))


def _crop_run(
    runs: list[_Run], pairs: dict[int, tuple[np.ndarray, np.ndarray]], rgb: np.ndarray, reference: bool
) -> CompareRun:
    """Every output for the crop view: in reference mode all at the original's size, else at each scale."""
    if reference:
        shown = [("original", rgb, 1), *((run.spec.short_id, run.output, 1) for run in runs)]
        shown += [
            (f"bicubic ×{scale}", upscale_baseline(low, scale, "bicubic"), 1)
            for scale, (_, low) in sorted(pairs.items())
        ]
    else:
        shown = [("input", rgb, 1), *((run.spec.short_id, run.output, run.spec.scale) for run in runs)]
        scales = sorted({run.spec.scale for run in runs} - {1})
        shown += [(f"bicubic ×{scale}", upscale_baseline(rgb, scale, "bicubic"), scale) for scale in scales]
    return make_run(rgb, shown, reference=reference)


def _run(page: PageRequest, progress: ProgressFn | None, label: str, precision: str = "exact") -> _Run:
    def report(done: int, total: int) -> None:
        if progress is not None:
            progress((done, total), desc=f"Upscaling with {label}", unit="patches")

    spec = page.spec
    handle = load_upscaler(spec, progress, precision)
    upscaler = handle.upscaler
    with user_errors():
        result = upscaler.run_request(page.request, progress=report)
        first = float("nan")  # already loaded and traced: the run was warm, there was no first run here
        if result.report.traced or handle.fresh:  # this request's first use: time a second, warm run too
            first = (handle.seconds if handle.fresh else 0.0) + result.report.total_seconds
            result = upscaler.run_request(page.request, progress=report)
    rgb, seconds = result.image, result.report.total_seconds
    scores = {}
    if page.scoring:
        table, _ = score(page.reference, page.request.image.rgb, spec.scale, {spec.id: (rgb, seconds)}, baselines=())
        scores = table.iloc[0].to_dict()
    fast = result.report.fast
    return _Run(spec, rgb, seconds, first, scores, "" if fast is None else fast.reason)


def _served(image: np.ndarray, name: str) -> str:
    """A display copy as a PNG file of this request's own (identical requests never share a file being written)."""
    return str(save_result_png(display_copy(image), name.replace("/", "-")))


def _outputs(
    runs: list[_Run], pairs: dict[int, tuple[np.ndarray, np.ndarray]], original: np.ndarray | None, crops: CompareRun
) -> CompareOutputs:
    rows, points, gallery = [], [], []
    if original is not None:
        gallery.append((_served(original, "original"), "original"))
    for run in runs:
        psnr, ssim = run.scores.get("psnr_y", np.nan), run.scores.get("ssim_y", np.nan)
        rows.append(
            {
                "model": run.spec.short_id,
                "scale": run.spec.scale,
                "PSNR-Y": round(psnr, 2),
                "SSIM-Y": round(ssim, 4),
                "seconds": round(run.seconds, 3),
                "first run": round(run.first_seconds, 3),
                "parameters": run.spec.parameters,
                "MB": round(run.spec.size_bytes / 1e6, 2),
            }
        )
        scored = f" · {psnr:.2f} dB" if run.scores else ""
        caption = f"{run.spec.short_id}{scored} · {format_seconds(run.seconds)}"
        gallery.append((_served(run.output, run.spec.short_id), caption))
        if run.scores:
            points.append({"method": run.spec.short_id, "seconds": run.seconds, "PSNR-Y": psnr, "SSIM-Y": ssim})
    for scale, (reference, low) in sorted(pairs.items()):
        table, outputs = score(reference, low, scale, baselines=("bicubic",))
        bicubic, scores = outputs["bicubic"], table.iloc[0].to_dict()
        name = f"bicubic ×{scale}"
        rows.append(
            {"model": name, "scale": scale, "PSNR-Y": round(scores["psnr_y"], 2), "SSIM-Y": round(scores["ssim_y"], 4)}
        )
        gallery.append((_served(bicubic, name), f"{name} · {scores['psnr_y']:.2f} dB"))
        points.append({"method": name, "seconds": 0.0, "PSNR-Y": scores["psnr_y"], "SSIM-Y": scores["ssim_y"]})
    table = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
    points_table = pd.DataFrame(points, columns=["method", "seconds", "PSNR-Y", "SSIM-Y"])
    summary = "\n\n".join(text for text in (_summary(runs), psnr_note(table)) if text)
    return CompareOutputs(gallery, table, points_table, summary, crops)


def _summary(runs: list[_Run]) -> str:
    fastest = min(runs, key=lambda run: run.seconds)
    text = f"Fastest: **{fastest.spec.short_id}** ({format_seconds(fastest.seconds)} per run, after warm-up)."
    scored = [run for run in runs if run.scores]
    if scored:
        best = max(scored, key=lambda run: run.scores["psnr_y"])
        text += f" Best PSNR-Y: **{best.spec.short_id}** ({best.scores['psnr_y']:.2f} dB)."
        if len({run.spec.scale for run in scored}) > 1:
            text += " Scores at different scales are not comparable with each other: compare each with its bicubic."
    notes = [f"- {run.spec.short_id}: {run.precision}" for run in runs if run.precision]
    return "\n\n".join([text, "**Precision (fast):**\n" + "\n".join(notes)] if notes else [text])


def padded_limits(values: pd.Series, margin: float = 0.08) -> list[float] | None:
    """Axis limits ``margin`` of the data's span beyond its extremes (a point on an edge is drawn whole); None without data."""
    values = values.dropna()
    if values.empty:
        return None
    low, high = float(values.min()), float(values.max())
    room = (high - low) * margin or max(abs(high) * margin, 0.05)
    return [low - room, high + room]


PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
"""Colours of the quality plot's methods, in the comparison's order (Tableau 10)."""


def quality_plot(points: pd.DataFrame) -> tuple[gr.ScatterPlot, str]:
    """The quality-versus-time plot of a comparison and its legend (HTML that wraps on a narrow screen).

    The axes leave room around every point (none is clipped at an edge).
    """
    methods = list(dict.fromkeys(points["method"]))
    colours = {method: PALETTE[i % len(PALETTE)] for i, method in enumerate(methods)}
    plot = gr.ScatterPlot(
        points, x_lim=padded_limits(points["seconds"]), y_lim=padded_limits(points["PSNR-Y"]), color_map=colours
    )
    keys = "".join(
        f'<span class="key"><span class="dot" style="border-color:{colour}"></span>{html.escape(method)}</span>'
        for method, colour in colours.items()
    )
    return plot, f'<div class="plot-legend">{keys}</div>' if keys else ""


def settings_status(
    image: str | None,
    models: list[str] | None,
    patch_size: object,
    padding: object,
    reference: bool = True,
    *,
    config: AppConfig | None = None,
) -> str:
    """The comparison's settings checked as the user changes them: what the Compare button's check would refuse, in its words.

    Returns
    -------
    str
        Markdown: ✓, or ✗ with the sentence the run would refuse with.
    """
    try:
        checks = _preflight_all(image, models, patch_size, padding, reference, config or AppConfig(), live=True)
    except gr.Error as error:
        return f"✗ {error.message}"
    patches = sorted({check.run.patches for check in checks if check.run is not None})
    counted = f" ({', '.join(map(str, patches))} patches on this image)" if patches and patches != [1] else ""
    upload_notes = checks[0].upload_notes if checks else ()
    return "\n\n".join([f"✓ These settings suit every chosen model{counted}.", *(f"⚠ {note}" for note in upload_notes)])


def _preflight_all(
    image: str | None, models: list[str] | None, patch_size: object, padding: object, reference: bool, config: AppConfig,
    live: bool = False,
) -> list[Preflight]:
    """:func:`~explorer.app.request.preflight` for every chosen model: the first refusal is raised (``live``: the
    as-you-type status, which also decodes the image, once)."""
    return [
        preflight(
            image, spec.short_id, patch_size, padding, reference=reference, config=config, require_image=not live, decode=live
        )
        for spec in _specs(models, config.max_compare)
    ]  # fmt: skip


def build_compare_tab(
    config: AppConfig, heavy: dict, upscale_image: gr.Image, patch_size: gr.Slider, padding: gr.Slider,
    precision: gr.Radio,
) -> None:
    """Lay out the Compare tab inside the current ``gr.Tab`` and wire it.

    The image, patch size, padding and precision are the Upscale tab's, shown
    here too: changing them on either tab changes both (and the page address).
    """
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=320):
            image = gr.Image(
                value=str(BUNDLED_EXAMPLE), type="filepath", image_mode=None, sources=["upload", "clipboard"],
                label="Image (the Upscale tab's; a new one here changes both)", height=260, elem_id="compare-input",
            )  # fmt: skip
            models = gr.Dropdown(
                model_choices(), value=list(DEFAULT_MODELS), multiselect=True, max_choices=config.max_compare,
                label=f"Models (up to {config.max_compare})", filterable=True, elem_id="compare-models",
            )  # fmt: skip
            reference = gr.Checkbox(value=True, label="Reference mode: score every model against this image")
            with gr.Row():
                patch = PixelNumber(0, label="Patch size (px)", info="0 = whole image", elem_id="compare-patch-size")
                pad = PixelNumber(0, label="Padding (px)", info="context around each patch", elem_id="compare-padding")
            fast = gr.Radio(
                [("Exact (fp32)", "exact"), ("Fast (bf16 where measured faithful)", "fast")], value="exact",
                label="Precision", elem_id="compare-precision",
            )  # fmt: skip
            gr.Markdown("The Upscale tab's settings: a change here changes them there too.", elem_classes=["hint"])
            status = gr.Markdown(
                settings_status(str(BUNDLED_EXAMPLE), list(DEFAULT_MODELS), 0, 0, True, config=config),
                elem_id="compare-settings-status",
            )
            run = gr.Button("Compare", variant="primary", size="lg", elem_id="compare-button")
        with gr.Column(scale=6, min_width=400):
            summary = gr.Markdown(elem_id="compare-summary")
            view = build_crop_view()
            gallery = gr.Gallery(label="Whole outputs", columns=3, height="auto", object_fit="contain", format="png", elem_id="compare-gallery")
            table = gr.DataFrame(
                pd.DataFrame(columns=list(COMPARE_COLUMNS)), interactive=False,
                label="PSNR-Y in dB and SSIM-Y against the original; seconds: one warm run; first run: the model's load, "
                "tracing and run when this comparison was its first use here (empty when it was warm already); MB of weights",
            )  # fmt: skip
            plot = gr.ScatterPlot(  # its legend is the HTML below: Vega's does not wrap on a phone
                x="seconds", y="PSNR-Y", color="method", label="Quality vs time (up and left is better)",
                x_title="seconds per run", y_title="PSNR-Y (dB)", tooltip="all", colors_in_legend=[], x_label_angle=-90,
                elem_id="compare-plot",
            )  # fmt: skip
            legend = gr.HTML(elem_id="compare-legend")
    light = {"queue": False, "api_visibility": "private"}
    same = lambda value: value  # mirror one control into another
    upscale_image.change(same, inputs=upscale_image, outputs=image, **light)
    image.upload(same, inputs=image, outputs=upscale_image, **light)
    for theirs, ours in ((patch_size, patch), (padding, pad), (precision, fast)):
        theirs.change(same, inputs=theirs, outputs=ours, **light)
        ours.input(same, inputs=ours, outputs=theirs, **light)

    def handler(*args: object, progress: ProgressFn | None = gr.Progress()) -> tuple:
        *settings, precision_choice = args
        out = compare(*settings, progress=progress, precision=str(precision_choice), config=config)  # type: ignore[arg-type]
        plot, legend = quality_plot(out.points)
        return (*out._replace(points=plot), legend)

    def check(path: str | None, chosen: list[str] | None, patch_size: object, padding: object, scoring: bool) -> None:
        """Refuse a comparison that cannot run before anything runs (the message is a toast, never an Error pill; nothing is decoded)."""
        _preflight_all(path, chosen, patch_size, padding, scoring, config)

    live_status = functools.update_wrapper(functools.partial(settings_status, config=config), settings_status)
    for control in (image, models, patch, pad, reference):
        control.change(live_status, inputs=[image, models, patch, pad, reference], outputs=status, **light)

    run.click(
        check, inputs=[image, models, patch, pad, reference], show_progress="hidden", concurrency_limit=None,
        api_visibility="private",
    ).success(
        handler, inputs=[image, models, patch, pad, reference, fast],
        outputs=[gallery, table, plot, summary, view.run, legend],
        show_progress_on=[gallery], **heavy,
    ).success(
        after_compare, inputs=[view.run, view.size], outputs=[*view.outputs, view.a, view.b], **light
    )  # fmt: skip
