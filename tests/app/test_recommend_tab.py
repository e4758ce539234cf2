"""The Recommend tab's handlers: the page's answer for a picture, and "Use this"."""

from __future__ import annotations

import gradio as gr
import pytest
from matplotlib.figure import Figure

from explorer.app.config import AppConfig
from explorer.app.recommend_tab import goal_choices, parse_goal, recommend_page, use_this
from explorer.codegen.snippets import generate
from tests.recommend.test_core import DRAWING


def test_goals_are_the_scales_then_the_restoration_tasks():
    values = [value for _, value in goal_choices()]
    assert values[:4] == ["x2", "x3", "x4", "x8"] and "deblurring" in values and "retouching" not in values
    assert [parse_goal(v) for v in ("x2", "x8", "denoising", "")] == [(2, None), (8, None), (None, "denoising"), (None, None)]


@pytest.fixture(scope="module")
def drawing_node():
    return recommend_page(str(DRAWING), "x2", "node", progress=None, config=AppConfig())


def test_the_page_shows_the_sentence_the_choice_the_table_the_plot_and_the_code(drawing_node):
    out = drawing_node
    table = out.table
    assert out.sentence.startswith("**") and out.sentence.endswith(".**")
    chosen = table[table["kind"] == "model"]["method"].iloc[0]
    assert out.choice.startswith(f"**Use `{chosen}`** with the whole image at once")
    assert "Measured in" in out.choice and "Scores on the central 192×192 crop" in out.choice
    assert list(table["rank"]) == list(range(1, 8)) and "precision" not in table.columns
    assert out.code == generate(chosen, "node") and out.language == "javascript"
    assert out.use == {"model": chosen, "patch_size": 0, "padding": 0, "precision": "exact"}
    assert isinstance(out.plot, Figure)
    axis = out.plot.axes[0]
    assert axis.get_xscale() == "log"
    names = {text.get_text() for text in axis.texts}
    assert names == set(table["method"])  # every row is on the plot, by name
    out.plot.draw_without_rendering()
    boxes = [text.get_window_extent() for text in axis.texts]
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[:i] if a.overlaps(b)]  # no name over another


def test_use_this_fills_the_upscale_tab_and_opens_it(drawing_node):
    image, model, patch, padding, precision, tabs = use_this(drawing_node.use, str(DRAWING))
    assert (image, model, patch, padding, precision) == (str(DRAWING), drawing_node.use["model"], 0, 0, "exact")
    assert tabs.selected == "upscale"
    with pytest.raises(gr.Error, match="Run Recommend first"):
        use_this(None, str(DRAWING))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((None, "x2", "browser"), "Add an image first"),
        ((str(DRAWING), "x2", "browser", -1), "Time budget must be above 0"),
        ((str(DRAWING), "x8", "browser"), "No upscaling model for scale 8 in the browser target"),
        ((str(DRAWING), "retouching", "browser"), "retouching has no synthetic degradation"),
    ],
)
def test_bad_requests_get_one_line_for_the_page(arguments, message):
    with pytest.raises(gr.Error, match=message):
        recommend_page(*arguments, progress=None, config=AppConfig())


def test_close_points_get_names_that_overlap_no_other():
    from explorer.app.recommend_tab import _name_points

    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axis = figure.add_subplot()
    points = [(f"esrgan-medium-{i}/2x", 0.12 * 2**i, 29.3 + 0.05 * (i % 2)) for i in range(6)]  # names wider than the gaps
    axis.scatter([x for _, x, _ in points], [y for _, _, y in points])
    axis.set_xscale("log")
    axis.set_ylim(27, 30)  # a real plot's range: the points are a few pixels apart in height
    _name_points(figure, axis, points)
    figure.draw_without_rendering()
    boxes = [text.get_window_extent() for text in axis.texts]
    assert len(boxes) == 6 and not [(a, b) for i, a in enumerate(boxes) for b in boxes[:i] if a.overlaps(b)]


def test_the_status_says_on_upload_what_the_run_would_refuse_in_its_words(tmp_path):
    from explorer.app.recommend_tab import recommend_status, run_recommend

    from .conftest import crop_png, odd_uploads

    small = AppConfig(max_output_pixels=300 * 300)
    cases = [(path, said, "x2", 0, AppConfig()) for path, said in odd_uploads(tmp_path).values()]
    cases += [(crop_png(tmp_path, 64, 48), "✗ ", "x8", 0, small), (crop_png(tmp_path, 64, 48), "✗ Time budget", "x2", -1, AppConfig())]
    for path, said, goal, seconds, config in cases:
        status = recommend_status(str(path), goal, seconds, 0, config=config)
        assert said in status, (path.name, status)
        if said.startswith("✗"):  # the same sentence as the run's refusal, before anything is measured
            with pytest.raises(gr.Error) as caught:
                run_recommend(str(path), parse_goal(goal)[0], None, "browser", seconds, 0, config=config)
            assert status == f"✗ {caught.value.message}"
    assert recommend_status(str(crop_png(tmp_path, 64, 48)), "x2") == "" and recommend_status(None) == ""
