"""The Benchmarks tab: the committed results as plots and tables.

Each ``model_cards/results/*.csv`` gets a bar plot (a measure chosen by the
user, averaged per method or model, within one scale when the file has a
``scale`` column), its raw rows, and the Markdown report written next to it
when there is one. Nothing here knows the files' exact columns.
"""

from __future__ import annotations

import functools
import logging

import gradio as gr
import pandas as pd

from explorer.reports.results import ResultTable, load_results, results_dir

__all__ = ["NO_RESULTS", "build_benchmarks_tab", "groups", "measures", "plot_frame", "replot"]

NO_RESULTS = "**No benchmark results on this server yet.** The Models tab still lists every model and its card."
"""Shown to page users when there are no results (how to make them is in the server log)."""

WHY_BASELINES_WIN = (
    "Why bicubic and Lanczos beat the 2x models here: PSNR and SSIM reward being close to the original pixel by "
    "pixel, and these models are trained for sharp-looking detail, not for these scores. It is the same for the 2x "
    "models on the standard Set5 images and under seven different ways of shrinking the image, so it is not an "
    "artefact of this test. Judge the pictures by eye as well (Upscale tab, reference mode)."
)

log = logging.getLogger(__name__)

_NOT_MEASURES = {"scale", "crop", "patch", "padding", "images", "tiled_patches"}
_PREFERRED = ("psnr_y", "whole_ms", "ssim_y")


def _label_column(frame: pd.DataFrame) -> str | None:
    for name in ("method", "model"):
        if name in frame.columns:
            return name
    text = [c for c in frame.columns if frame[c].dtype == object]
    return text[0] if text else None


def measures(frame: pd.DataFrame) -> list[str]:
    """Numeric columns worth plotting, the usual headline measures first."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c not in _NOT_MEASURES]
    return sorted(numeric, key=lambda c: (_PREFERRED.index(c) if c in _PREFERRED else len(_PREFERRED), numeric.index(c)))


def groups(frame: pd.DataFrame) -> list[str]:
    """Values of the ``scale`` column as strings (the plot shows one at a time); [] without one."""
    if "scale" not in frame.columns:
        return []
    return [str(value) for value in sorted(frame["scale"].dropna().unique())]


def plot_frame(frame: pd.DataFrame, measure: str, group: str | None = None) -> pd.DataFrame:
    """Mean of ``measure`` per method or model (within scale ``group``), best first.

    Returns
    -------
    pandas.DataFrame
        Columns ``label`` (the method or model, without the ``@upscalerjs/`` scope), ``kind`` (``model``/``baseline`` when the file says,
        else ``model`` for a file of models, ``result`` otherwise) and ``measure``'s name; empty if it cannot be plotted.
    """
    label = _label_column(frame)
    if label is None or measure not in frame.columns:
        return pd.DataFrame(columns=["label", "kind", measure])
    rows = frame
    if group and "scale" in frame.columns:
        rows = frame[frame["scale"].astype(str) == str(group)]
    kinds = rows["kind"] if "kind" in rows.columns else pd.Series("model" if label == "model" else "result", index=rows.index)
    data = pd.DataFrame({"label": rows[label].astype(str).str.replace("@upscalerjs/", "", regex=False), "kind": kinds, measure: rows[measure]})
    means = data.groupby(["label", "kind"], as_index=False)[measure].mean()
    return means.sort_values(measure, ascending=_lower_is_better(measure), ignore_index=True).round({measure: 4})


def _lower_is_better(measure: str) -> bool:
    return measure.endswith(("_ms", "_s", "_mib", "seconds"))


def replot(frame: pd.DataFrame, measure: str, group: str | None = None) -> gr.BarPlot:
    """The bar plot of ``measure`` (within scale ``group``), sorted best first."""
    data = plot_frame(frame, measure, group)
    return gr.BarPlot(
        data, y=measure, y_title=human(measure), sort="y" if _lower_is_better(measure) else "-y"
    )


_NAMES = {
    "psnr_y": "PSNR-Y (dB)", "ssim_y": "SSIM-Y", "psnr_rgb": "PSNR-RGB (dB)", "ssim_rgb": "SSIM-RGB",
    "whole_ms": "whole image (ms)", "first_call_s": "first call (s)", "load_s": "load (s)", "tiled_ms": "tiled (ms)",
    "gflops": "GFLOP", "gflop_s": "GFLOP/s", "peak_rss_mib": "peak memory (MiB)", "mpix_s": "megapixels/s",
}  # fmt: skip


def human(name: str) -> str:
    """A column's name for people: ``psnr_y`` → ``PSNR-Y (dB)``; unknown names lose their underscores."""
    return _NAMES.get(name, name.replace("_", " "))


def _title(name: str) -> str:
    return human(name).capitalize()


def _section(table: ResultTable) -> None:
    gr.Markdown(f"### {_title(table.name)}  \n`{table.path.parent.name}/{table.path.name}`")
    if table.problem:
        gr.Markdown(f"⚠ {table.problem}")
        return
    frame = table.frame
    options = measures(frame)
    scales = groups(frame)
    if options:
        with gr.Row():
            measure = gr.Dropdown([(human(o), o) for o in options], value=options[0], label="Measure", scale=2)
            start = "2" if "2" in scales else (scales[0] if scales else None)  # 2x: the scale most models have
            group = gr.Dropdown(scales, value=start, label="Scale", visible=bool(scales), scale=1)
        first = plot_frame(frame, options[0], start)
        plot = gr.BarPlot(  # no height: a fixed height cuts the legend off
            first, x="label", y=options[0], color="kind", sort="y" if _lower_is_better(options[0]) else "-y",
            x_label_angle=-40, label=f"{_title(table.name)}: mean per method", x_title=" ", color_title="",
            y_title=human(options[0]),
        )  # fmt: skip
        update = functools.partial(replot, frame)
        for control in (measure, group):
            control.change(update, inputs=[measure, group], outputs=plot, queue=False, api_visibility="private")
    report = table.path.with_suffix(".md")
    if report.is_file():
        with gr.Accordion(f"Report ({report.name})", open=False):
            gr.Markdown(report.read_text(encoding="utf-8"))
    with gr.Accordion(f"Raw rows ({len(frame)})", open=False):
        gr.DataFrame(frame, interactive=False, max_height=400)


def build_benchmarks_tab() -> None:
    """Lay out the Benchmarks tab inside the current ``gr.Tab`` (results are read when the app starts)."""
    tables = load_results()
    if not tables:
        log.info("No results in %s: python -m explorer bench quality / bench speed write them.", results_dir())
        gr.Markdown(NO_RESULTS, elem_id="no-results")
        return
    gr.Markdown(
        "How each model scores on the evaluation photos (reference mode: shrink, upscale, compare with the "
        "original), and how fast it runs, as measured for this project. Bars start at 0."
    )
    if any(table.name == "quality" for table in tables):
        gr.Markdown(WHY_BASELINES_WIN, elem_classes=["hint"], elem_id="why-baselines")
    for table in tables:
        _section(table)
