"""The Benchmarks tab: any results CSV becomes a plot and a table."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from explorer.app.benchmarks import (
    NO_RESULTS,
    build_benchmarks_tab,
    groups,
    measures,
    method_colours,
    plot_frame,
    replot,
    sets,
)
from explorer.engine.registry import cards_dir
from explorer.reports.results import ResultTable, load_results

FRAME = pd.DataFrame(
    {
        "scale": [2, 2, 2, 2, 4],
        "image": ["a", "b", "a", "b", "a"],
        "method": ["@upscalerjs/default-model", "@upscalerjs/default-model", "bicubic", "bicubic", "bicubic"],
        "kind": ["model", "model", "baseline", "baseline", "baseline"],
        "ssim_y": [0.9, 0.8, 0.7, 0.7, 0.5],
        "psnr_y": [31.0, 33.0, 30.0, 30.5, 25.0],
    }
)


def test_measures_put_the_headline_first_and_skip_settings():
    assert measures(FRAME) == ["psnr_y", "ssim_y"]
    assert measures(pd.DataFrame({"model": ["x"], "patch": [64], "load_s": [1.0], "whole_ms": [3.0]})) == ["whole_ms", "load_s"]
    assert groups(FRAME) == ["2", "4"] and groups(pd.DataFrame({"model": ["x"]})) == []


def test_plot_frame_averages_within_a_scale_best_first():
    data = plot_frame(FRAME, "psnr_y", "2")
    assert list(data["label"]) == ["default-model", "bicubic"]
    assert list(data["psnr_y"]) == [32.0, 30.25] and list(data["kind"]) == ["model", "baseline"]
    times = plot_frame(pd.DataFrame({"model": ["a", "b"], "whole_ms": [9.0, 3.0]}), "whole_ms")
    assert list(times["label"]) == ["b", "a"] and set(times["kind"]) == {"model"}  # lower is better; a file of models
    assert plot_frame(FRAME, "no_such_column").empty


def test_scores_are_plotted_on_a_range_that_shows_differences():
    assert replot(FRAME, "psnr_y", "2").y_title == "PSNR-Y (dB)"  # a name for people, not the column's
    assert isinstance(replot(FRAME, "ssim_y", "4"), gr.BarPlot)


def test_no_results_folder_means_a_friendly_note(tmp_path, monkeypatch):
    assert load_results(tmp_path / "missing") == []
    (tmp_path / "model_cards").mkdir()
    for card in ("default-model.md",):
        (tmp_path / "model_cards" / card).write_text((cards_dir() / card).read_text())
    monkeypatch.setenv("UPSCALER_EXPLORER_CARDS", str(tmp_path / "model_cards"))
    with gr.Blocks() as demo:
        build_benchmarks_tab()
    texts = [block.value for block in demo.blocks.values() if isinstance(block, gr.Markdown)]
    assert NO_RESULTS in texts


def test_unreadable_files_are_reported_not_raised(tmp_path):
    (tmp_path / "broken.csv").write_bytes(b"\xff\xfe\x00garbage\n\"unclosed")
    (tmp_path / "speed.csv").write_text("model,whole_ms\n@upscalerjs/default-model,12.5\n")
    tables = load_results(tmp_path)
    assert [table.name for table in tables] == ["broken", "speed"]
    assert tables[0].problem.startswith("cannot read broken.csv") and tables[0].frame.empty
    assert tables[1].frame["whole_ms"].tolist() == [12.5]


def test_a_file_with_sets_is_plotted_one_set_at_a_time_set5_first():
    frame = pd.concat([FRAME.assign(set="skimage"), FRAME.assign(set="set5", psnr_y=FRAME["psnr_y"] + 1, gmsd=0.1)])
    frame.loc[(frame["set"] == "set5") & (frame["method"] == "bicubic"), "gmsd"] = 0.05
    assert sets(frame) == ["set5", "skimage"] and sets(FRAME) == []
    on_set5 = plot_frame(frame, "psnr_y", "2", "set5")
    assert list(on_set5["psnr_y"]) == [33.0, 31.25]
    assert list(plot_frame(frame, "gmsd", "2", "set5")["label"]) == ["bicubic", "default-model"]  # lower is better
    restoration = pd.DataFrame({"degradation": ["noise-25", "noise-25", "haze"], "method": ["m", "none", "m"],
                                "kind": ["model", "input", "model"], "psnr_rgb": [30.0, 20.0, 18.0]})  # fmt: skip
    assert groups(restoration) == ["noise-25", "haze"]
    assert list(plot_frame(restoration, "psnr_rgb", "haze")["label"]) == ["m"]


def test_every_method_keeps_one_colour_across_files_and_baselines_are_grey():
    quality = ResultTable("quality", cards_dir() / "results" / "quality.csv", FRAME, "")
    restoration = pd.DataFrame({"method": ["bicubic", "none", "@upscalerjs/maxim-denoising"], "kind": ["baseline", "input", "model"]})
    speed = pd.DataFrame({"model": ["@upscalerjs/default-model", "@upscalerjs/maxim-denoising"], "whole_ms": [3.0, 9.0]})
    tables = [quality, ResultTable("restoration", quality.path, restoration, ""), ResultTable("speed", quality.path, speed, "")]
    colours = method_colours(tables)
    assert set(colours) == {"default-model", "bicubic", "none", "maxim-denoising"}
    assert colours["bicubic"].startswith("hsl(215, 8%") and colours["none"] != colours["bicubic"]  # grey; the input apart
    assert len({colours["default-model"], colours["maxim-denoising"], colours["bicubic"]}) == 3
    assert method_colours(list(reversed(tables))) == colours  # the same whatever order the files come in
