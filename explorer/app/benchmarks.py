"""The Benchmarks tab: the committed results as plots and tables.

Each ``model_cards/results/*.csv`` gets a bar plot (a measure chosen by the
user, averaged per method or model, within one set when the file has a ``set``
column, Set5 first, and within one scale or degradation when it has one), its raw rows, and the Markdown report written next to it
when there is one. Every method keeps one colour in every chart
(:func:`method_colours`): models in distinct hues, classical baselines in greys.
Nothing here knows the files' exact columns.
"""

from __future__ import annotations

import functools
import logging

import gradio as gr
import pandas as pd

from explorer.reports.bench.dataset import set_order
from explorer.reports.bench.quality import SET_TITLES
from explorer.reports.results import ResultTable, load_results, results_dir

__all__ = ["NO_RESULTS", "build_benchmarks_tab", "groups", "measures", "method_colours", "plot_frame", "replot", "sets"]

NO_RESULTS = "**No benchmark results on this server yet.** The Models tab still lists every model and its card."
"""Shown to page users when there are no results (how to make them is in the server log)."""

WHY_BASELINES_WIN = (
    "Why Lanczos (and often bicubic) beats most models on PSNR and SSIM here: these scores reward being close to the "
    "original pixel by pixel, and most of these models are trained for sharp-looking detail instead. On Set5 and "
    "Set14 at 2x, Lanczos beats every model but esrgan-legacy/psnr-small; from 3x up esrgan-thick beats it, and "
    "esrgan-legacy/gans at 4x. The same holds under seven different ways of shrinking the image, so it is not an "
    "artefact of this test. What most models give instead shows in the fine-detail ratio (HF ratio: Lanczos keeps "
    "3-6 % of the original's fine detail, esrgan-slim/4x 13-22 %, esrgan-legacy/gans 66-78 %; the 2x slim and "
    "medium models no more than Lanczos) and, where the detail is right, in GMSD (edges, lower is better); each "
    "model card says it variant by variant. Judge the pictures by eye as well (Upscale tab, reference mode)."
)

log = logging.getLogger(__name__)

_NOT_MEASURES = {"scale", "crop", "patch", "padding", "images", "tiled_patches"}
_PREFERRED = ("psnr_y", "psnr_rgb", "whole_ms", "ssim_y", "gmsd", "hf_ratio")


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


def _group_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("scale", "degradation") if c in frame.columns), None)


def groups(frame: pd.DataFrame) -> list[str]:
    """Values of the ``scale`` (else ``degradation``) column as strings (the plot shows one at a time); [] without one."""
    column = _group_column(frame)
    if column is None:
        return []
    values = frame[column].dropna()
    return [str(value) for value in (sorted(values.unique()) if column == "scale" else values.unique())]


def sets(frame: pd.DataFrame) -> list[str]:
    """The evaluation sets in a results file (``set`` column), Set5 and Set14 first; [] without one."""
    return set_order(frame["set"].dropna()) if "set" in frame.columns else []


def plot_frame(frame: pd.DataFrame, measure: str, group: str | None = None, set_name: str | None = None) -> pd.DataFrame:
    """Mean of ``measure`` per method or model (within scale or degradation ``group`` and set ``set_name``), best first.

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
    column = _group_column(frame)
    if group and column:
        rows = rows[rows[column].astype(str) == str(group)]
    if set_name and "set" in frame.columns:
        rows = rows[rows["set"] == set_name]
    kinds = rows["kind"] if "kind" in rows.columns else pd.Series("model" if label == "model" else "result", index=rows.index)
    data = pd.DataFrame({"label": rows[label].astype(str).str.replace("@upscalerjs/", "", regex=False), "kind": kinds, measure: rows[measure]})
    means = data.groupby(["label", "kind"], as_index=False)[measure].mean()
    return means.sort_values(measure, ascending=_lower_is_better(measure), ignore_index=True).round({measure: 4})


def method_colours(tables: list[ResultTable]) -> dict[str, str]:
    """One CSS colour per method or model across every results file, so a method looks the same in every chart.

    Models (and anything not marked as a baseline or the input) get distinct
    hues, stepped by the golden angle in name order; baselines get greys and
    the unprocessed input a muted red. The labels are the charts' (no
    ``@upscalerjs/`` scope).
    """
    kinds: dict[str, str] = {}
    for table in tables:
        column = _label_column(table.frame)
        if column is None:
            continue
        labels = table.frame[column].dropna().astype(str).str.replace("@upscalerjs/", "", regex=False)
        marks = table.frame["kind"].astype(str) if "kind" in table.frame.columns else pd.Series("model", index=labels.index)
        for label, kind in zip(labels, marks, strict=True):
            kinds.setdefault(label, kind)
    models = sorted(label for label, kind in kinds.items() if kind not in ("baseline", "input"))
    baselines = sorted(label for label, kind in kinds.items() if kind == "baseline")
    colours = {label: f"hsl({i * 137.508 % 360:.0f}, 62%, {44 + 12 * (i % 2)}%)" for i, label in enumerate(models)}
    colours |= {label: f"hsl(215, 8%, {38 + 34 * i / max(1, len(baselines) - 1):.0f}%)" for i, label in enumerate(baselines)}
    colours |= {label: "hsl(0, 45%, 62%)" for label, kind in kinds.items() if kind == "input"}
    return colours


def _lower_is_better(measure: str) -> bool:
    return measure.endswith(("_ms", "_s", "_mib", "seconds")) or measure == "gmsd"


def replot(frame: pd.DataFrame, measure: str, group: str | None = None, set_name: str | None = None) -> gr.BarPlot:
    """The bar plot of ``measure`` (within scale or degradation ``group`` and set ``set_name``), sorted best first."""
    data = plot_frame(frame, measure, group, set_name)
    return gr.BarPlot(data, y=measure, y_title=human(measure), sort="y" if _lower_is_better(measure) else "-y", y_lim=[0, None])


BAR_LABEL_ANGLE = -90
"""Method names run upright under their bars: at a phone's width slanted names overlap their neighbours."""


_NAMES = {
    "psnr_y": "PSNR-Y (dB)", "ssim_y": "SSIM-Y", "psnr_rgb": "PSNR-RGB (dB)", "ssim_rgb": "SSIM-RGB",
    "gmsd": "GMSD (lower is better)", "hf_ratio": "HF ratio (original = 1)",
    "whole_ms": "whole image (ms)", "first_call_s": "first call (s)", "load_s": "load (s)", "tiled_ms": "tiled (ms)",
    "gflops": "GFLOP", "gflop_s": "GFLOP/s", "peak_rss_mib": "peak memory (MiB)", "mpix_s": "megapixels/s",
}  # fmt: skip


def human(name: str) -> str:
    """A column's name for people: ``psnr_y`` → ``PSNR-Y (dB)``; unknown names lose their underscores."""
    return _NAMES.get(name, name.replace("_", " "))


def _title(name: str) -> str:
    return human(name).capitalize()


def _section(table: ResultTable, colours: dict[str, str]) -> None:
    gr.Markdown(f"### {_title(table.name)}  \n`{table.path.parent.name}/{table.path.name}`")
    if table.problem:
        gr.Markdown(f"⚠ {table.problem}")
        return
    frame = table.frame
    options = measures(frame)
    scales = groups(frame)
    choices = [(SET_TITLES.get(name, name), name) for name in sets(frame)]
    if options:
        with gr.Row():
            measure = gr.Dropdown([(human(o), o) for o in options], value=options[0], label="Measure", scale=2)
            on_set = gr.Dropdown(choices, value=choices[0][1] if choices else None, label="Set", visible=bool(choices), scale=1)
            start = "2" if "2" in scales else (scales[0] if scales else None)  # 2x: the scale most models have
            label = "Scale" if _group_column(frame) == "scale" else "Degradation"
            group = gr.Dropdown(scales, value=start, label=label, visible=bool(scales), scale=1)
        first = plot_frame(frame, options[0], start, on_set.value)
        plot = gr.BarPlot(  # the bars name their methods: no legend
            first, x="label", y=options[0], color="label", color_map=colours, colors_in_legend=[],
            sort="y" if _lower_is_better(options[0]) else "-y", x_label_angle=BAR_LABEL_ANGLE,
            label=f"{_title(table.name)}: mean per method", x_title=" ", y_title=human(options[0]), y_lim=[0, None],
            elem_classes=["bench-plot"],
        )  # fmt: skip
        update = functools.partial(replot, frame)
        for control in (measure, group, on_set):
            control.change(update, inputs=[measure, group, on_set], outputs=plot, queue=False, api_visibility="private")
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
        "original), and how fast it runs, as measured for this project. Bars start at 0. Each method has one "
        "colour in every chart; classical baselines are grey."
    )
    if any(table.name == "quality" for table in tables):
        gr.Markdown(WHY_BASELINES_WIN, elem_classes=["hint"], elem_id="why-baselines")
    colours = method_colours(tables)
    for table in tables:
        _section(table, colours)
