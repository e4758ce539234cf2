"""The Recommend tab: my picture, my target, my budget -> the model and settings to use, with the code.

:func:`recommend_page` runs :func:`explorer.recommend.recommend` on the
uploaded picture under the app's limits (its time limit bounds the measuring)
and returns what the tab shows: the sentence, the choice with its patch
settings, the ranked table, the quality-versus-time plot and the code. "Use
this" puts the picture, the model and its settings into the Upscale tab (the
Code tab follows them) and opens it, where "Run in my browser" times the model
on the visitor's own device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from explorer.app.advise import page_budget
from explorer.app.code_tab import code_language
from explorer.app.common import ProgressFn, format_seconds, refuse, user_errors
from explorer.app.config import AppConfig
from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.inputs import UploadImage
from explorer.app.pictures import check_upload, declared_size, read_image
from explorer.app.progress import Ticker
from explorer.engine.registry import get_spec
from explorer.recommend import TARGETS, Recommendation, recommend, restoration_tasks, upscaling_scales

__all__ = [
    "RecommendTab", "build_recommend_tab", "front_plot", "goal_choices", "parse_goal", "recommend_page", "recommend_status", "use_this",
]  # fmt: skip

HINT = (
    "Pick what you want done and where it will run. The candidate models and the classical methods are measured on "
    "your picture here (a minute or more for the restoration models): quality on a central crop, time for the whole "
    "picture, patch settings with invisible seams within your budgets."
)


def goal_choices() -> list[tuple[str, str]]:
    """``(label, value)`` of every goal: the upscaling scales any target has, then the restoration tasks."""
    scales = sorted({scale for target in TARGETS for scale in upscaling_scales(target)})
    tasks = [(task.replace("-", " ").capitalize(), task) for task in restoration_tasks()]
    return [(f"Upscale ×{scale}", f"x{scale}") for scale in scales] + tasks


def parse_goal(goal: str) -> tuple[int | None, str | None]:
    """``(scale, task)`` from a goal value: ``x2`` is scale 2, anything else a task."""
    text = (goal or "").strip()
    if text[:1] == "x" and text[1:].isdigit():
        return int(text[1:]), None
    return None, text or None


@dataclass(frozen=True)
class RecommendOutputs:
    """What :func:`recommend_page` returns."""

    sentence: str
    choice: str
    table: pd.DataFrame
    plot: Any
    code: str
    language: str | None
    use: dict[str, Any]


def recommend_page(
    image: str | None,
    goal: str = "x2",
    target: str = "browser",
    budget_seconds: float | None = 0,
    budget_memory_mib: float | None = 0,
    progress: ProgressFn | None = gr.Progress(),
    *,
    config: AppConfig | None = None,
) -> RecommendOutputs:
    """Recommend a model for the picture, goal and target.

    Parameters
    ----------
    image : str
        Path of the uploaded picture.
    goal : str
        ``x2``/``x3``/``x4``/``x8`` to upscale, or a restoration task (:func:`goal_choices`).
    target : str
        ``browser``, ``node`` or ``python``.
    budget_seconds, budget_memory_mib : number
        Budgets (0: none).
    progress : callable
        Shows each measurement.
    config : AppConfig, optional

    Returns
    -------
    RecommendOutputs

    Raises
    ------
    gradio.Error
        A bad picture, goal, target or budget, or measuring past the app's time limit.
    """
    config = config or AppConfig()
    scale, task = parse_goal(goal)
    found = run_recommend(image, scale, task, target, budget_seconds, budget_memory_mib, progress, config=config)
    return RecommendOutputs(
        sentence=f"**{found.sentence}**",
        choice=choice_markdown(found),
        table=found.display_table(),
        plot=front_plot(found),
        code=found.code,
        language=code_language(found.target),
        use={
            "model": get_spec(found.model).short_id, "patch_size": found.patch_size or 0, "padding": found.padding or 0,
            "precision": found.precision,
        },  # fmt: skip
    )


def run_recommend(
    image: str | None, scale: int | None, task: str | None, target: str, budget_seconds: float | None,
    budget_memory_mib: float | None, progress: ProgressFn | None = None, *, config: AppConfig,
) -> Recommendation:  # fmt: skip
    """The recommendation for a request from the page or the API, within the app's limits."""
    seconds, memory = page_budget(budget_seconds, "Time budget"), page_budget(budget_memory_mib, "Memory budget")
    loaded = read_image(image, config)
    with Ticker(progress) as ticker, user_errors():
        config.work_limits.check_output(*loaded.size, scale or 1)
        return recommend(
            loaded.rgb, scale=scale, task=task, target=target, budget_seconds=seconds, budget_memory_mib=memory,
            max_seconds=config.max_seconds, status=ticker.step,
        )  # fmt: skip


def recommend_status(
    image: str | None, goal: str = "x2", budget_seconds: float | None = 0, budget_memory_mib: float | None = 0,
    *, config: AppConfig | None = None,
) -> str:  # fmt: skip
    """The picture and budgets checked as they change, with the checks and sentences of :func:`run_recommend`.

    Returns
    -------
    str
        Markdown: ✗ with the sentence the run would refuse with, or the notes
        about the picture (frames, 16 bits, CMYK); empty when there is nothing to say.
    """
    config = config or AppConfig()
    if not image:
        return ""
    try:
        page_budget(budget_seconds, "Time budget")
        page_budget(budget_memory_mib, "Memory budget")
        width, height = declared_size(image, config)
        notes = check_upload(image, config)
        with user_errors():
            config.work_limits.check_output(width, height, parse_goal(goal)[0] or 1)
    except gr.Error as error:
        return f"✗ {error.message}"
    return "\n\n".join(f"⚠ {note}" for note in notes)


def choice_markdown(found: Recommendation) -> str:
    """The choice, its settings and why, the seams note, the notes and how long it took, as Markdown."""
    lines = [
        f"**Use `{found.short_model}`** with {found.settings_text} ({found.settings_line}).",
        *([f"**Seams in the browser:** {found.seams_note}"] if found.seams_note else []),
        found.protocol(),
        *(f"_{note}_" for note in found.notes),
        f"Measured in {format_seconds(found.seconds)} on this server.",
    ]
    return "\n\n".join(lines)


def front_plot(found: Recommendation):
    """Quality against time (log scale) for every row, each named, with the front drawn through its points."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    table, measure = found.table, found.measure
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axis = figure.add_subplot()
    seconds = table["seconds"].clip(lower=1e-4)
    colours = {"model": "#4f46e5", "baseline": "#0ea5e9", "input": "#64748b"}
    for kind, rows in table.groupby("kind", sort=False):
        axis.scatter(seconds[rows.index], rows[measure], label=kind, color=colours.get(kind, "#334155"), zorder=3)
    front = found.front
    axis.step(front["seconds"].clip(lower=1e-4), front[measure], where="post", color="#94a3b8", linewidth=1, zorder=2)
    axis.set_title(f"{measure} against time; the line is the front (nothing is both faster and better)", fontsize=9)
    axis.set_xscale("log")
    axis.margins(x=0.2, y=0.15)  # room for the names at the edges
    axis.set_xlabel("seconds for the whole picture here (log scale)")
    axis.set_ylabel(measure + (" (lower is better)" if measure == "gmsd" else ""))
    axis.legend(loc="lower right", fontsize=8)
    axis.grid(True, alpha=0.3)
    names = [
        (str(row["method"]).removeprefix("@upscalerjs/") + (" (fast)" if row.get("precision") == "fast" else ""), seconds[index], row[measure])
        for index, row in table.iterrows()
    ]  # fmt: skip
    _name_points(figure, axis, names)
    return figure


_NAME_PLACES = ((4, 4, "left"), (4, -12, "left"), (-4, 4, "right"), (-4, -12, "right"), (4, 14, "left"), (4, -22, "left"))
"""Where a point's name may go, in points from it (above right first): the first that overlaps no other name is used."""


def _name_points(figure, axis, points: list[tuple[str, float, float]]) -> None:
    """Name each point beside it, moved round the point until its name overlaps none placed before it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw_without_rendering()  # the layout settled: names are placed where they will be drawn
    placed = []
    for name, x, y in points:
        for dx, dy, align in _NAME_PLACES:
            label = axis.annotate(name, (x, y), textcoords="offset points", xytext=(dx, dy), ha=align, fontsize=8)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed) or (dx, dy, align) == _NAME_PLACES[-1]:
                break
            label.remove()
        placed.append(box)


def use_this(use: dict[str, Any] | None, image: str | None) -> tuple:
    """"Use this": the picture, model, settings and precision for the Upscale tab (the Code tab follows), and open it."""
    if not use:
        raise refuse("Run Recommend first: it chooses the model and settings to use.")
    return image, use["model"], use["patch_size"], use["padding"], use["precision"], gr.Tabs(selected="upscale")


@dataclass
class RecommendTab:
    """The tab's components the app wires to the other tabs."""

    image: gr.Image
    use: gr.Button
    chosen: gr.State


def build_recommend_tab(config: AppConfig, heavy: dict) -> RecommendTab:
    """Lay out the Recommend tab inside the current ``gr.Tab`` and wire its run (not "Use this": see the app)."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=320):
            image = UploadImage(
                value=str(BUNDLED_EXAMPLE), type="filepath", image_mode=None, sources=["upload", "clipboard"],
                label="Your picture", height=240, elem_id="recommend-input",
            )  # fmt: skip
            goal = gr.Dropdown(goal_choices(), value="x2", label="What to do", elem_id="recommend-goal")
            target = gr.Radio(list(TARGETS), value="browser", label="Where it will run", elem_id="recommend-target")
            with gr.Row():
                seconds = gr.Number(0, label="Time budget (s)", info="0 = none", minimum=0, elem_id="recommend-seconds")
                memory = gr.Number(0, label="Memory budget (MiB)", info="0 = none", minimum=0, elem_id="recommend-memory")
            status = gr.Markdown(recommend_status(str(BUNDLED_EXAMPLE), config=config), elem_id="recommend-status")
            run = gr.Button("Recommend", variant="primary", elem_id="recommend-button")
            gr.Markdown(HINT, elem_classes=["hint"])
        with gr.Column(scale=6, min_width=320):
            sentence = gr.Markdown(elem_id="recommend-sentence")
            choice = gr.Markdown(elem_id="recommend-choice")
            use = gr.Button("Use this in Upscale and Code", visible=False, elem_id="recommend-use")
            plot = gr.Plot(label="Quality against time", show_label=False, visible=False, elem_id="recommend-plot")
            table = gr.DataFrame(label="Ranked", interactive=False, visible=False, wrap=True, elem_id="recommend-table")
            code = gr.Code(label="Code", interactive=False, visible=False, elem_id="recommend-code")
    chosen = gr.State(None)

    def run_and_show(*args: Any, progress: ProgressFn | None = gr.Progress()) -> tuple:
        out = recommend_page(*args, progress=progress, config=config)
        return (
            out.sentence, out.choice, gr.Button(visible=True), gr.Plot(out.plot, visible=True),
            gr.DataFrame(out.table, visible=True), gr.Code(out.code, language=out.language, visible=True), out.use,
        )  # fmt: skip

    def cleared() -> tuple:
        hidden = (gr.Button(visible=False), gr.Plot(None, visible=False), gr.DataFrame(visible=False), gr.Code(visible=False))
        return "", "", *hidden, None

    def checked(*values: Any) -> str:
        return recommend_status(*values, config=config)

    for control in (image, goal, seconds, memory):
        control.change(checked, inputs=[image, goal, seconds, memory], outputs=status, queue=False, api_visibility="private")
    outputs = [sentence, choice, use, plot, table, code, chosen]
    run.click(cleared, outputs=outputs, queue=False, api_visibility="private").then(
        run_and_show, inputs=[image, goal, target, seconds, memory], outputs=outputs, show_progress_on=[sentence], **heavy
    )
    return RecommendTab(image=image, use=use, chosen=chosen)


