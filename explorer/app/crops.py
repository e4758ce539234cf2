"""The Compare tab's crop view: one region of every output side by side at pixel size, and an A/B slider.

Whole-image thumbnails of good upscalers look identical; their differences
live in a few pixels of edge and texture. After a comparison the outputs are
kept as PNG files (:class:`CompareRun`, paths only, so sessions stay small)
and every view of them is a cheap crop:

* :func:`crop_view`: the chosen region (``x``, ``y``, ``size`` in pixels of
  the *frame*: the original in reference mode, else the input) of every
  output, each enlarged by repeating pixels to one common size, so one screen
  pixel block is one output pixel and scales can be set side by side;
* :func:`pick`: a click on the frame centres the region there;
* the A/B slider shows the same region of any two outputs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from explorer.app.common import refuse
from explorer.app.pictures import display_copy, save_result_png
from explorer.display import DISPLAY_MAX_SIDE

__all__ = [
    "CROP_TARGET",
    "PICKER_SIDE",
    "CompareRun",
    "CropOutputs",
    "CropView",
    "Shown",
    "after_compare",
    "build_crop_view",
    "crop_view",
    "make_run",
    "pick",
    "psnr_note",
]

CROP_TARGET = 320
"""Crops are enlarged (by a whole number) to at least this many pixels a side."""

PICKER_SIDE = 512
"""Small frames are shown enlarged (pixels repeated) to at least this many pixels on their long side."""

DEFAULT_SIZE = 48
"""Side of the region until the user chooses, in frame pixels."""

_BOX_RGB = np.array([255, 214, 0], np.uint8)


@dataclass(frozen=True)
class Shown:
    """One output of a comparison: its label, its PNG and its output pixels per frame pixel."""

    label: str
    png: Path
    factor: int


@dataclass(frozen=True)
class CompareRun:
    """The outputs of the last comparison, by path.

    Attributes
    ----------
    frame : pathlib.Path
        The picture regions are chosen on.
    width, height : int
        The frame's size that every output covers (mod-cropping can shave a
        few pixels off the original).
    outputs : tuple of Shown
    reference : bool
        True in reference mode (the frame is the original).
    """

    frame: Path
    width: int
    height: int
    outputs: tuple[Shown, ...]
    reference: bool

    @property
    def labels(self) -> list[str]:
        """Labels of the outputs, in display order."""
        return [shown.label for shown in self.outputs]


class CropOutputs(NamedTuple):
    """What :func:`crop_view` returns, in the order of the page's components."""

    x: int
    y: int
    size: int
    picker: np.ndarray
    crops: list[tuple[np.ndarray, str]]
    slider: tuple[np.ndarray, np.ndarray] | None
    note: str


def make_run(frame: np.ndarray, outputs: list[tuple[str, np.ndarray, int]], *, reference: bool) -> CompareRun:
    """Save a comparison's outputs as PNGs and describe them.

    Parameters
    ----------
    frame : ndarray
        H×W×3 uint8: the original (reference mode) or the input.
    outputs : list of (label, image, factor)
        Each output and its size over the frame's (1 for every output in
        reference mode; the scale otherwise).
    reference : bool
    """
    shown = []
    width, height = frame.shape[1], frame.shape[0]
    for label, image, factor in outputs:
        shown.append(Shown(label, save_result_png(image, f"compare-{label}"), factor))
        width, height = min(width, image.shape[1] // factor), min(height, image.shape[0] // factor)
    return CompareRun(save_result_png(frame, "compare-frame"), width, height, tuple(shown), reference)


@functools.lru_cache(maxsize=32)
def _read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _box(run: CompareRun, x: float | None, y: float | None, size: float | None) -> tuple[int, int, int]:
    side = min(run.width, run.height)
    size = int(size) if size else DEFAULT_SIZE
    size = max(4, min(size, side))
    x = (run.width - size) // 2 if x is None else int(x)
    y = (run.height - size) // 2 if y is None else int(y)
    return max(0, min(x, run.width - size)), max(0, min(y, run.height - size)), size


def _display_side(run: CompareRun, size: int) -> int:
    common = math.lcm(*(shown.factor for shown in run.outputs))
    return size * common * max(1, math.ceil(CROP_TARGET / (size * common)))


def _crop(run: CompareRun, shown: Shown, x: int, y: int, size: int) -> tuple[np.ndarray, int]:
    f = shown.factor
    region = _read(shown.png)[y * f : (y + size) * f, x * f : (x + size) * f]
    times = _display_side(run, size) // (size * f)
    return region.repeat(times, axis=0).repeat(times, axis=1), times


def _picker(run: CompareRun, x: int, y: int, size: int) -> np.ndarray:
    scale = _view_scale(run)
    frame = _read(run.frame)
    if scale < 1:
        zoom = round(1 / scale)
        picture = frame.repeat(zoom, axis=0).repeat(zoom, axis=1)
    else:
        picture = display_copy(frame).copy()
    top, left = round(y / scale), round(x / scale)
    bottom = min(round((y + size) / scale), picture.shape[0]) - 1
    right = min(round((x + size) / scale), picture.shape[1]) - 1
    for offset in range(2):  # a 2-pixel frame around the region
        picture[top + offset, left : right + 1] = _BOX_RGB
        picture[bottom - offset, left : right + 1] = _BOX_RGB
        picture[top : bottom + 1, left + offset] = _BOX_RGB
        picture[top : bottom + 1, right - offset] = _BOX_RGB
    return picture


def _view_scale(run: CompareRun) -> float:
    """Frame pixels per picture pixel: large frames are shrunk to the display size, small ones enlarged.

    Small frames are enlarged by a whole number to at least :data:`PICKER_SIDE`: the page maps clicks to
    image pixels correctly only when the picture is at least as large as its box.
    """
    longest = max(_read(run.frame).shape[:2])
    if longest > DISPLAY_MAX_SIDE:
        return longest / DISPLAY_MAX_SIDE
    return 1 / math.ceil(PICKER_SIDE / longest)


def crop_view(
    run: CompareRun | None,
    x: float | None,
    y: float | None,
    size: float | None,
    a: str | None = None,
    b: str | None = None,
) -> CropOutputs:
    """The region ``(x, y, size)`` of every output, and of outputs ``a`` and ``b`` for the slider.

    Parameters
    ----------
    run : CompareRun or None
        From the last comparison; None before any.
    x, y : number or None
        Top-left corner in frame pixels (None: centred); clamped into the frame.
    size : number or None
        Side of the region in frame pixels (None: 48); at least 4.
    a, b : str, optional
        Labels of the two outputs on the A/B slider.

    Returns
    -------
    CropOutputs
    """
    if run is None:
        raise refuse("Run a comparison first: the crop view shows its outputs.")
    x, y, size = _box(run, x, y, size)
    crops = []
    for shown in run.outputs:
        crop, times = _crop(run, shown, x, y, size)
        crops.append((crop, f"{shown.label} · {size * shown.factor} px ×{times}"))
    by_label = {shown.label: shown for shown in run.outputs}
    slider = None
    if a in by_label and b in by_label:
        slider = (_crop(run, by_label[a], x, y, size)[0], _crop(run, by_label[b], x, y, size)[0])
    where = "the original" if run.reference else "the input"
    note = (
        f"**{size}×{size} px of {where} at ({x}, {y})**, each output's pixels repeated to "
        f"{_display_side(run, size)} px so one block is one output pixel. Click the picture to move the region; "
        "a smaller size zooms in."
    )
    return CropOutputs(x, y, size, _picker(run, x, y, size), crops, slider, note)


def pick(run: CompareRun | None, size: float | None, a: str | None, b: str | None, event: gr.SelectData) -> CropOutputs:
    """Centre the region on the clicked point of the picture (a ``select`` event)."""
    if run is None:
        raise refuse("Run a comparison first: the crop view shows its outputs.")
    scale = _view_scale(run)
    column, row = event.index[0] * scale, event.index[1] * scale
    side = _box(run, 0, 0, size)[2]
    return crop_view(run, column - side / 2, row - side / 2, side, a, b)


def after_compare(run: CompareRun | None, size: float | None) -> tuple:
    """After a comparison: the region centred, and the A/B slider's pickers on the first model and the original.

    Returns
    -------
    tuple
        :class:`CropOutputs`, then the A and B dropdowns (bicubic is B when there is no original).
    """
    labels = run.labels if run is not None else []
    models = [label for label in labels if label not in ("original", "input") and not label.startswith("bicubic")]
    first = models[0] if models else None
    second = (
        "original" if "original" in labels else next((label for label in labels if label.startswith("bicubic")), None)
    )
    view = crop_view(run, None, None, size, first, second)
    return (*view, gr.Dropdown(choices=labels, value=first), gr.Dropdown(choices=labels, value=second))


def psnr_note(table: pd.DataFrame) -> str:
    """Say plainly where bicubic outscores a model on PSNR-Y, and why looking still matters."""
    if table.empty or table["PSNR-Y"].isna().all():
        return ""
    bicubic = {row.scale: row["PSNR-Y"] for _, row in table.iterrows() if str(row.model).startswith("bicubic")}
    beaten = [
        f"{row.model} ({row['PSNR-Y']:.2f} dB vs {bicubic[row.scale]:.2f} dB)"
        for _, row in table.iterrows()
        if row.scale in bicubic and not str(row.model).startswith("bicubic") and row["PSNR-Y"] < bicubic[row.scale]
    ]
    if not beaten:
        return ""
    return (
        f"Bicubic scores a higher PSNR-Y than {', '.join(beaten)}. PSNR rewards safe, blurry guesses; these models "
        "aim for sharp edges and texture, so look at the crops next to bicubic and the original to judge them."
    )


@dataclass
class CropView:
    """The crop view's components."""

    run: gr.State
    x: gr.Number
    y: gr.Number
    size: gr.Slider
    picker: gr.Image
    crops: gr.Gallery
    a: gr.Dropdown
    b: gr.Dropdown
    slider: gr.ImageSlider
    note: gr.Markdown

    @property
    def outputs(self) -> list:
        """The components :func:`crop_view` fills, in its order."""
        return [self.x, self.y, self.size, self.picker, self.crops, self.slider, self.note]


def build_crop_view() -> CropView:
    """Lay out the crop view in the current column and wire its own events (not the comparison's)."""
    run = gr.State(None)
    with gr.Accordion("Crop view: the same pixels of every output", open=True, elem_id="compare-crop-view"):
        note = gr.Markdown(
            "Run a comparison, then click the picture to choose the region to compare.", elem_id="compare-crop-note"
        )
        with gr.Row(equal_height=False):
            picker = gr.Image(
                label="Click to choose the region", type="numpy", format="png", interactive=False, height=260,
                elem_id="compare-picker",
            )  # fmt: skip
            with gr.Column(min_width=200):
                size = gr.Slider(
                    4,
                    256,
                    value=DEFAULT_SIZE,
                    step=1,
                    label="Region size (px)",
                    info="smaller zooms in",
                    elem_id="compare-size",
                )
                with gr.Row():
                    x = gr.Number(label="x", precision=0, minimum=0, elem_id="compare-x")
                    y = gr.Number(label="y", precision=0, minimum=0, elem_id="compare-y")
        crops = gr.Gallery(
            label="Region of each output (pixels repeated)", columns=4, height="auto", object_fit="contain", format="png",
            elem_id="compare-crops",
        )  # fmt: skip
        with gr.Row():
            a = gr.Dropdown(choices=[], label="A (left)", elem_id="compare-a")
            b = gr.Dropdown(choices=[], label="B (right)", elem_id="compare-b")
        slider = gr.ImageSlider(
            label="A/B: drag to compare the region", type="numpy", format="png", interactive=False, max_height=520,
            elem_id="compare-ab",
        )  # fmt: skip
    view = CropView(run, x, y, size, picker, crops, a, b, slider, note)
    light = {"queue": False, "api_visibility": "private"}
    picker.select(pick, inputs=[run, size, a, b], outputs=view.outputs, **light)
    for control in (x, y):
        control.submit(crop_view, inputs=[run, x, y, size, a, b], outputs=view.outputs, **light)
    size.release(crop_view, inputs=[run, x, y, size, a, b], outputs=view.outputs, **light)
    for control in (a, b):
        control.input(crop_view, inputs=[run, x, y, size, a, b], outputs=view.outputs, **light)
    return view
