"""The Models tab: every registry variant in a sortable, filterable table, and its model card.

Handlers:

* :func:`catalog_table`: the table, filtered by task, scale and free text,
  with measured PSNR/SSIM and speed where the benchmark results have them;
* :func:`card_view`: a model's card rendered (front matter dropped, relative
  images served by the app) and its sample images;
* :func:`row_model`: the model id of a clicked table row;
* :func:`filtered_view`: the table and, when nothing matches, a line saying so.

A click on a column's header sorts by it (again: the other way), through the
table's own sort (:data:`HEADER_SORT_JS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from explorer.app.common import (
    DEFAULT_CHOICE,
    architecture_name,
    model_choices,
    model_summary,
    resolve_model,
)
from explorer.engine import store
from explorer.engine.registry import ModelSpec, cards_dir, list_models, split_card
from explorer.errors import ExplorerError, ModelFormatError
from explorer.reports.results import load_results, measured_by_model, sample_names, samples_dir

__all__ = [
    "ALL",
    "CARDS_ROUTE",
    "CardView",
    "CatalogTab",
    "HEADER_SORT_JS",
    "build_catalog_tab",
    "card_view",
    "catalog_table",
    "filtered_view",
    "no_match_note",
    "render_card",
    "row_model",
    "sample_images",
    "use_in_upscale",
]

ALL = "All"
"""The filter value that keeps everything."""

COLUMNS = (
    "model", "task", "scale", "architecture", "parameters (M)", "MB", "dataset", "weights",
    "runs in", "PSNR-Y", "SSIM-Y", "ms",
)  # fmt: skip
"""Columns of the Models table."""


def _row(spec: ModelSpec, measured: pd.DataFrame) -> dict:
    known = measured.loc[spec.id] if spec.id in measured.index else {}
    return {
        "model": spec.short_id,
        "task": spec.task,
        "scale": spec.scale,
        "architecture": architecture_name(spec),
        "parameters (M)": round(spec.parameters / 1e6, 3),
        "MB": round(spec.size_bytes / 1e6, 2),
        "dataset": spec.dataset or "",
        "weights": spec.quantization or "float32",
        "runs in": "+".join(spec.platforms),
        "PSNR-Y": round(float(known.get("psnr_y", float("nan"))), 2),
        "SSIM-Y": round(float(known.get("ssim_y", float("nan"))), 4),
        "ms": round(float(known.get("whole_ms", float("nan"))), 0),
    }


def twins(spec: ModelSpec) -> list[str]:
    """Other registry variants whose model files (topology and weights) are byte-identical to ``spec``'s."""
    mine = _model_files(spec)
    return [other.short_id for other in list_models() if other.id != spec.id and mine and _model_files(other) == mine]


def _model_files(spec: ModelSpec) -> frozenset[str]:
    return frozenset(digest for name, digest in spec.files.items() if name.endswith((".json", ".bin")))


def catalog_table(task: str = ALL, scale: str | int = ALL, search: str = "") -> pd.DataFrame:
    """The Models table, filtered.

    Parameters
    ----------
    task : str
        A task (``"upscaling"``) or :data:`ALL`.
    scale : str or int
        A scale (``4`` or ``"4"``) or :data:`ALL`.
    search : str
        Words that must all appear (case-insensitive) in the id, title,
        architecture or dataset.

    Returns
    -------
    pandas.DataFrame
        One row per variant (:data:`COLUMNS`); measured columns are NaN where
        there are no results yet.
    """
    measured = measured_by_model(load_results())
    words = search.lower().split()
    rows = []
    for spec in list_models():
        if task != ALL and spec.task != task:
            continue
        if str(scale) != ALL and str(spec.scale) != str(scale):
            continue
        text = " ".join([*spec.names, spec.title, spec.architecture or "", spec.dataset or "", spec.task]).lower()
        if all(word in text for word in words):
            rows.append(_row(spec, measured))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def no_match_note(task: str = ALL, scale: str | int = ALL, search: str = "") -> str:
    """The line shown instead of an empty table: what was asked for, and how to see models again."""
    asked = [f"task {task}" if task != ALL else "", f"scale {scale}" if str(scale) != ALL else "", f"“{search.strip()}”" if search.strip() else ""]
    return f"**No models match** {' · '.join(part for part in asked if part)}. Clear the search or set Task and Scale to All."


def filtered_view(task: str = ALL, scale: str | int = ALL, search: str = "") -> tuple[pd.DataFrame, gr.Markdown]:
    """The filtered table (:func:`catalog_table`) and the no-match line, shown only when the table is empty."""
    table = catalog_table(task, scale, search)
    empty = table.empty
    return table, gr.Markdown(no_match_note(task, scale, search) if empty else "", visible=empty)


def row_model(event: gr.SelectData) -> str:
    """The model id of the table row the user clicked (its first cell)."""
    row = event.row_value or []
    return str(row[0]) if row else DEFAULT_CHOICE


CARDS_ROUTE = "/model-cards"
"""Where the app serves the model cards folder (its pictures and result tables)."""

_LINK = re.compile(r"(\]\()([^)\s]+)(\))")  # the target of a Markdown link or image
_HTML_SRC = re.compile(r'(<img\b[^>]*\bsrc=")([^"]+)(")')


def render_card(spec: ModelSpec) -> str:
    """A model card's Markdown for the page: front matter dropped, relative links pointed at the app.

    Images and files the card links relatively (``samples/x.png``,
    ``results/quality.csv``) are served from the cards folder at
    :data:`CARDS_ROUTE` (so no server path appears in the page); links
    elsewhere are kept.
    """
    if spec.card is None or not spec.card.is_file():
        return "*This model has no card.*"
    text = spec.card.read_text(encoding="utf-8")
    try:
        body = split_card(text, spec.card.name)[1]
    except ModelFormatError:
        body = text
    folder = spec.card.parent

    def local(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:|^/", target):
            return match.group(0)
        path = (folder / target).resolve()
        if not path.is_file() or cards_dir().resolve() not in path.parents:
            return match.group(0)
        return f"{match.group(1)}{CARDS_ROUTE}/{path.relative_to(cards_dir().resolve()).as_posix()}{match.group(3)}"

    return _HTML_SRC.sub(local, _LINK.sub(local, body)).strip()


def sample_images(spec: ModelSpec) -> list[tuple[str | np.ndarray, str]]:
    """The sample images for a model, with captions.

    The benchmark's before/after crops (``model_cards/samples``, served from
    the cards folder), then the package's own test input and the output
    UpscalerJS made on it, when the package is already in the cache (nothing
    is downloaded to show a card). The package files are handed over as
    pixels: the cache is not a folder the app serves files from.
    """
    samples, names = samples_dir(), sample_names(spec)
    found: list[tuple[str | np.ndarray, str]] = []
    captions = {"input": f"input ÷{spec.scale}", "model": spec.short_id, "bicubic": "bicubic", "reference": "original"}
    candidates = [(samples / names[role], caption) for role, caption in captions.items()]
    if (samples / names["model"]).is_file():
        found = [(str(path), caption) for path, caption in candidates if path.is_file()]
    try:
        package = store.package_dir(spec, offline=True)
    except ExplorerError:
        return found
    for relative, caption in ((spec.fixture, "UpscalerJS input"), (spec.sample or spec.reference, "UpscalerJS output")):
        if relative and (package / relative).is_file():
            with Image.open(package / relative) as picture:
                found.append((np.asarray(picture.convert("RGBA" if "A" in picture.getbands() else "RGB")), caption))
    return found


class CardView(NamedTuple):
    """What :func:`card_view` returns."""

    summary: str
    card: str
    samples: list[tuple[str, str]]
    button: str


def card_view(model: str) -> CardView:
    """The one-line summary, card, samples and button label for a model."""
    spec = resolve_model(model)
    summary = model_summary(spec)
    same = twins(spec)
    if same:
        summary += (
            f"\n\nThe same model files as {', '.join(same)} (identical topology and weights), so the same pixels; "
            "their measured speeds differ only by measurement noise."
        )
    return CardView(summary, render_card(spec), sample_images(spec), f"Try {spec.short_id} in Upscale →")


def use_in_upscale(model: str) -> tuple[str, gr.Tabs]:
    """Pick ``model`` in the Upscale tab and switch to it."""
    return resolve_model(model).short_id, gr.Tabs(selected="upscale")


@dataclass
class CatalogTab:
    """Components other parts of the page use."""

    model: gr.Dropdown
    use: gr.Button


HEADER_SORT_JS = """
if (!window.__modelsHeaderSort) {
  window.__modelsHeaderSort = true;
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  const choose = async (header, item) => {  // open a header's menu and click its item'th entry
    header.querySelector('.cell-menu-button').click();
    await frame();
    [...document.querySelectorAll('.cell-menu [role=menuitem]')][item]?.click();
    await frame();
  };
  document.addEventListener('click', async (event) => {
    const header = event.target.closest('#models-table thead th');
    if (!header || event.target.closest('.cell-menu-button') || !header.querySelector('.cell-menu-button')) { return; }
    await new Promise((done) => setTimeout(done, 0));  // after the table has handled this click
    const previous = header.closest('thead').querySelector('th[data-sorted]');
    const descending = previous === header && header.dataset.sorted === 'ascending';
    if (previous && previous !== header) {  // one column at a time: the table would sort by both
      delete previous.dataset.sorted;
      await choose(previous, 2);  // "Clear sort"
    }
    header.dataset.sorted = descending ? 'descending' : 'ascending';
    await choose(header, descending ? 1 : 0);  // "Sort descending" / "Sort ascending"
  }, true);  // capture: the table stops the header's click from bubbling
}
"""
"""Browser code that makes a click on a Models table header sort by that column: ascending, then descending.

Gradio's table sorts only from each header's ⋮ menu; this clicks that menu's
"Sort ascending" / "Sort descending" (its first two items) for the user, and
"Clear sort" (its third) on the column sorted before, so one column sorts.
"""


def build_catalog_tab() -> CatalogTab:
    """Lay out the Models tab inside the current ``gr.Tab`` and wire its events."""
    tasks = sorted({spec.task for spec in list_models()}, key=lambda t: (t != "upscaling", t))
    scales = sorted({spec.scale for spec in list_models()})
    with gr.Row():
        task = gr.Dropdown([ALL, *tasks], value=ALL, label="Task", scale=1, min_width=140)
        scale = gr.Dropdown([ALL, *map(str, scales)], value=ALL, label="Scale", scale=1, min_width=100)
        search = gr.Textbox(label="Search", placeholder="slim, rrdn, div2k …", scale=3, elem_id="models-search")
    nothing = gr.Markdown(visible=False, elem_id="models-none")
    table = gr.DataFrame(
        catalog_table(), label="Every model (click a row for its card; click a header to sort)",
        interactive=False, wrap=True, max_height=420, elem_id="models-table",
        column_widths=["17%", "9%", "5%", "12%", "9%", "5%", "7%", "7%", "11%", "6%", "6%", "6%"],
        datatype=["str", "str", "number", "str", "number", "number", "str", "str", "str", "number", "number", "number"],
    )  # fmt: skip
    gr.HTML("", js_on_load=HEADER_SORT_JS, padding=False, elem_id="models-sort")
    gr.Markdown(
        "Parameters in millions. MB: weights on disk. PSNR-Y (dB) and SSIM-Y: mean over Set5 at the model's scale "
        "(reference mode: shrink, upscale, compare; higher is better; every set and measure: Benchmarks tab). ms: one "
        "whole-image call on a 256×256 input. Empty where not measured yet.",
        elem_classes=["hint"],
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            model = gr.Dropdown(model_choices(), value=DEFAULT_CHOICE, label="Model card", filterable=True, elem_id="card-model")
            first = card_view(DEFAULT_CHOICE)
            use = gr.Button(first.button, variant="primary", elem_id="card-use")
            summary = gr.Markdown(first.summary, elem_classes=["model-info"], elem_id="card-summary")
            card = gr.Markdown(first.card, elem_id="model-card", elem_classes=["model-card"])
        with gr.Column(scale=2):
            samples = gr.Gallery(
                first.samples, label="Samples", columns=2, height="auto", object_fit="contain", format="png",
                allow_preview=True, elem_id="card-samples",
            )  # fmt: skip
    light = {"queue": False, "api_visibility": "private"}
    for control in (task, scale, search):
        control.change(filtered_view, inputs=[task, scale, search], outputs=[table, nothing], **light)
    table.select(row_model, outputs=model, **light)
    model.change(card_view, inputs=model, outputs=[summary, card, samples, use], **light)
    return CatalogTab(model=model, use=use)
