"""What the Upscale tab says about a finished run: summary, timings, time per call, the seams view.

Plain functions from a run's :class:`~explorer.engine.upscaler.UpscaleReport`
to Markdown, tables and pictures; :func:`seams_heatmap` runs the image whole
once more to map where tiling changed the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from explorer.app.common import LoadedUpscaler, format_seconds, load_upscaler, resolve_model, user_errors
from explorer.app.pictures import display_copy, save_result_png
from explorer.app.progress import ProgressFn
from explorer.display import DISPLAY_MAX_SIDE
from explorer.engine.tiling import TilePlan
from explorer.engine.upscaler import UpscaleReport
from explorer.quality import seams

__all__ = [
    "HEATMAP_MAX_OUTPUT_PIXELS",
    "LastRun",
    "SeamsOutputs",
    "TimingRow",
    "first_call_seconds",
    "heat_legend_html",
    "needs_warm_run",
    "patch_times",
    "plan_view",
    "seams_heatmap",
    "summary",
    "timing_rows",
    "timings",
    "tracing_seconds",
]

HEATMAP_MAX_OUTPUT_PIXELS = 4096 * 4096
"""The seams heat map runs the whole image once more; only for outputs up to this size."""


@dataclass(frozen=True)
class LastRun:
    """What :func:`seams_heatmap` needs from the last upscale (paths, not pixels, so sessions stay small).

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


class SeamsOutputs(NamedTuple):
    """What :func:`seams_heatmap` returns."""

    heatmap: str | None
    note: str


def summary(model: str, scale: int, report: UpscaleReport, *, shown: int, scoring: bool, alpha: bool) -> str:
    """The headline of a run: sizes, how it was cut, time, and what the slider compares."""
    (w, h), (ow, oh) = report.input_size, report.output_size
    if report.patch_size and report.patches == 1:
        how = f"one patch: the {report.patch_size} px patch covers the whole {w}×{h} image, so it ran whole"
    else:
        how = report.tiling_text()
    lines = [
        f"**{w}×{h} → {ow}×{oh}** with {model} on {'the copy of your image shrunk ' + str(scale) + '×' if scoring else 'your image'}: "
        f"{how}, {format_seconds(report.total_seconds)}."
    ]
    if shown < ow:
        lines.append(f"Shown at {shown / ow:.0%}; the PNG is full size.")
    if scoring:
        lines.append("Drag the slider: left is your original image, right is the model's output from the shrunk copy.")
    elif scale == 1:
        lines.append("Drag the slider: left is your image, right is the model's output.")
    else:
        lines.append("Drag the slider: left is your image with each pixel repeated, right is the model's output.")
    if alpha:
        lines.append(
            "Transparency is kept: the model sees the colours only, the alpha channel is resized separately "
            "(bicubic) and is in the PNG; the slider shows the colours."
        )
    return " ".join(lines)


@dataclass(frozen=True)
class TimingRow:
    """One row of the timing table: a part of the request's time that no other row counts."""

    step: str
    seconds: float
    note: str


def first_call_seconds(report: UpscaleReport) -> float:
    """The time of a run's first model call (its first batch of patches)."""
    return sum(report.patch_seconds[: report.batch])


def timing_rows(report: UpscaleReport, model: LoadedUpscaler, total: float, warm: UpscaleReport | None = None) -> list[TimingRow]:
    """The request's time in disjoint parts that add up to ``total``: files, load, model calls, a warm run, the rest.

    Parameters
    ----------
    report : UpscaleReport
        The run whose output the page shows.
    model : LoadedUpscaler
        How the model was got (files, load).
    total : float
        The request's whole time (the last row is what the others leave).
    warm : UpscaleReport, optional
        The same run again, when the first one traced the model: what later runs cost.
    """
    shape = report.plan.patch_shape if report.plan else (report.input_size[1], report.input_size[0])
    built = format_seconds(model.upscaler.load_seconds)
    ready = model.load_seconds - model.upscaler.load_seconds  # TensorFlow's start in a new process, the runtime choice
    then = f", then made ready to run in {format_seconds(ready)} (TensorFlow started, runtime chosen)" if ready >= 0.5 else ""
    rows = [
        TimingRow(
            "Model files", model.files_seconds,
            "downloaded and checked (first use on this server)" if model.downloaded else "already on this server",
        ),
        TimingRow(
            "Model load", model.load_seconds,
            (f"{model.reloaded}; " if model.reloaded else "") + f"read and built in {built}{then} (once per server)" if model.fresh
            else f"already in memory (its load took {built}, once per server)",
        ),
    ]  # fmt: skip
    calls = -(-report.patches // report.batch)
    batched = f", {report.batch} patches per call" if report.batch > 1 else ""
    steady = report.inference_seconds
    if report.traced:
        first = first_call_seconds(report)
        steady -= first
        calls -= 1
        rows.append(
            TimingRow("First model call", first, f"traces the model for {shape[1]}×{shape[0]} inputs (once per model; graph models once per size), then runs")
        )
    if calls:
        later = report.patch_seconds[report.batch :] if report.traced else report.patch_seconds
        spread = (
            f"; per patch {format_seconds(float(np.median(later)))} median "
            f"(min {format_seconds(min(later))}, max {format_seconds(max(later))})" if report.patches > 1 else ""
        )
        rows.append(TimingRow("Model calls", steady, f"{calls} call{'s' * (calls != 1)}{batched} on {report.runtime}{spread}"))
    if warm is not None:
        rows.append(TimingRow("Warm run", warm.total_seconds, "the same run again, now traced: what a later run's model time is"))
    rows.append(TimingRow("Everything else", total - sum(row.seconds for row in rows), "reading the image, tiling, stitching, PNG"))
    return rows


def needs_warm_run(report: UpscaleReport) -> bool:
    """True when a run traced the model in its only model call: only running it again shows what later runs cost."""
    return report.traced and report.patches <= report.batch


def tracing_seconds(report: UpscaleReport, warm: UpscaleReport | None = None) -> float:
    """About how long tracing took: the first call less the same call warm (or less a later call of the run); 0 if none."""
    if not report.traced:
        return 0.0
    first = first_call_seconds(report)
    if warm is not None:
        return max(first - first_call_seconds(warm), 0.0)
    later = report.patch_seconds[report.batch :]
    return max(first - float(np.median(later)) * report.batch, 0.0) if later else 0.0


def timings(report: UpscaleReport, model: LoadedUpscaler, total: float, warm: UpscaleReport | None = None) -> str:
    """The timing table (Markdown): disjoint parts adding up to the total, then what was one-off and what later runs cost."""
    rows = timing_rows(report, model, total, warm)
    lines = ["| Step | Time | |", "|---|---:|---|"]
    lines += [f"| {row.step} | {format_seconds(row.seconds)} | {row.note} |" for row in rows]
    lines.append(f"| **Total** | **{format_seconds(total)}** | this request on the server |")
    downloaded = model.files_seconds if model.downloaded else 0.0
    tracing = tracing_seconds(report, warm)
    loading = model.load_seconds if model.fresh else 0.0
    one_off = [
        f"download {format_seconds(downloaded)}" if model.downloaded else "",
        f"load {format_seconds(loading)}" if model.fresh else "",
        f"tracing about {format_seconds(tracing)} (the first call less a warm one)" if report.traced else "",
    ]
    if not any(one_off):
        return "\n".join(lines) + "\n\nNothing one-off in this run: the model was loaded and traced for this size already."
    replaced = report.total_seconds if warm is not None else tracing  # the warm run stands in for the first one
    later = total - downloaded - loading - replaced
    return "\n".join(lines) + (
        f"\n\nOne-off in this run: {', '.join(part for part in one_off if part)}. A later run of this image should take "
        f"about **{format_seconds(later)}** (this request less its one-off part)."
    )


def patch_times(report: UpscaleReport) -> pd.DataFrame:
    """One row per model call: its number, milliseconds (1 decimal) and whether it traced the model."""
    kinds = ["first (traces)" if report.traced and i == 0 else "steady" for i in range(len(report.patch_seconds))]
    return pd.DataFrame(
        {
            "call": np.arange(1, len(report.patch_seconds) + 1),
            "ms": np.round(np.array(report.patch_seconds) * 1000, 1),
            "kind": kinds,
        }
    )


def plan_view(input_rgb: np.ndarray, report: UpscaleReport) -> tuple[str | None, str]:
    """The patch grid drawn over the input (a PNG file of this request's own), and a note; None and a hint for a whole-image run."""
    if report.plan is None:
        return None, "**Whole image**: one model call, so no patches and no seams. Set a patch size to see the grid."
    plan = report.plan
    rgb = input_rgb
    if (plan.height, plan.width) != rgb.shape[:2]:  # padded for the model's divisibility: draw on the padded frame
        rgb = np.pad(rgb, ((0, plan.height - rgb.shape[0]), (0, plan.width - rgb.shape[1]), (0, 0)))
    zoom = seams.view_factor(plan.height, plan.width, target=768, limit=16)
    picture = display_copy(seams.draw_plan(rgb, plan, zoom=zoom))
    note = (
        f"**{len(plan.rows)} × {len(plan.cols)} patches** of {plan.patch_shape[1]}×{plan.patch_shape[0]} px, "
        f"padding {plan.padding} px. Cyan lines bound the part each patch keeps; orange bands are the padding each "
        "patch reads as context and throws away. The heat map below shows where the tiled output differs from a "
        "whole-image run."
    )
    return str(save_result_png(picture, "patch-grid")), note


def heat_legend_html(cap: int = seams.DIFFERENCE_CAP) -> str:
    """A colour bar for the heat map, labelled in levels of difference (of 255), as HTML."""
    stops = ", ".join(f"rgb({r},{g},{b}) {at:.0%}" for at, (r, g, b) in seams.ramp_stops())
    ticks = "".join(
        f'<span style="position:absolute;left:{at:.0%};transform:translateX(-50%);white-space:nowrap">{label}</span>'
        for at, label in seams.ramp_ticks(cap)
    )
    return (
        '<div class="heat-legend"><div style="height:14px;border-radius:3px;'
        f'background:linear-gradient(to right, {stops})"></div>'
        f'<div style="position:relative;height:1.4em;font-size:0.8em">{ticks}</div>'
        '<div style="font-size:0.8em;opacity:0.8">|tiled − whole image| in levels of 255 (log scale)</div></div>'
    )


def seams_heatmap(last_run: LastRun | None, progress: ProgressFn | None = gr.Progress()) -> SeamsOutputs:
    """Run the last image whole and map where the tiled output differs.

    Parameters
    ----------
    last_run : LastRun or None
        From the last upscale; None before any run (or after a failed one).
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
    if len(plan) == 1:
        return SeamsOutputs(None, "One patch covers the whole image: there are no seams to map.")
    if plan.height * plan.width * spec.scale**2 > HEATMAP_MAX_OUTPUT_PIXELS:
        return SeamsOutputs(None, "The image is too large to also run whole for the heat map.")
    tiled = np.asarray(Image.open(last_run.output_png))
    handle = load_upscaler(spec, progress)
    if progress is not None:
        progress(None, desc="Running the whole image for the seams heat map")
    with user_errors():
        upscaler = handle.upscaler
        whole = upscaler.run_request(upscaler.prepare(last_run.input_png, layout="array")).image
    stats = seams.difference_stats(tiled, whole)
    heat = seams.shrink_for_view(seams.difference_map(tiled, whole), DISPLAY_MAX_SIDE)
    zoom = seams.view_factor(*heat.shape[:2], target=768, limit=16)  # small outputs enlarged, pixels repeated
    heat = heat.repeat(zoom, axis=0).repeat(zoom, axis=1)
    if stats.max_levels == 0:
        note = "**Identical** to the whole-image output: the padding hides every seam."
    else:
        note = (
            f"**|tiled − whole image|**: up to {stats.max_levels} levels (of 255), mean {stats.mean_levels:.3f}; "
            f"{stats.changed_fraction:.1%} of pixels differ; PSNR {stats.psnr:.1f} dB. Black is equal; brighter is "
            "further apart (see the colour bar). More padding moves the seams toward black."
        )
    return SeamsOutputs(str(save_result_png(heat, "seams-heatmap")), note)
