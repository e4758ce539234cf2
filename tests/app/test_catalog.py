"""The Models tab: the table, its filters, the cards."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from explorer import Upscaler, list_models
from explorer.app.catalog import (
    ALL,
    COLUMNS,
    card_view,
    catalog_table,
    filtered_view,
    render_card,
    row_model,
    sample_images,
    twins,
    use_in_upscale,
)
from explorer.engine.registry import cards_dir, get_spec
from explorer.reports.results import ResultTable, measured_by_model

REPO = Path(__file__).resolve().parents[2]


def test_the_table_lists_every_variant_with_its_facts():
    table = catalog_table()
    assert list(table.columns) == list(COLUMNS)
    assert sorted(table["model"]) == sorted(spec.short_id for spec in list_models())
    slim = table.set_index("model").loc["esrgan-slim/4x"]
    assert (slim["task"], slim["scale"], slim["architecture"]) == ("upscaling", 4, "RDN C1 D2 G4")
    assert slim["parameters (M)"] == round(get_spec("esrgan-slim/4x").parameters / 1e6, 3) and slim["runs in"] == "browser+node"
    assert table.set_index("model").loc["esrgan-slim/8x"]["runs in"] == "node"


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"task": "upscaling"}, lambda t: set(t["task"]) == {"upscaling"}),
        ({"scale": "4"}, lambda t: set(t["scale"]) == {4} and len(t) > 3),
        ({"search": "SLIM 3x"}, lambda t: list(t["model"]) == ["esrgan-slim/3x"]),
        ({"search": "rrdn"}, lambda t: set(t["architecture"].str[:4]) == {"RRDN"}),
        ({"task": "upscaling", "scale": 8, "search": "thick"}, lambda t: list(t["model"]) == ["esrgan-thick/8x"]),
        ({"search": "no such model"}, lambda t: t.empty and list(t.columns) == list(COLUMNS)),
    ],
)
def test_filters(filters, check):
    assert check(catalog_table(**filters))


def test_measured_numbers_are_averaged_per_model():
    quality = pd.DataFrame(
        {
            "scale": [2, 2, 2, 2],
            "image": ["a", "b", "a", "b"],
            "method": ["@upscalerjs/esrgan-slim/2x", "@upscalerjs/esrgan-slim/2x", "bicubic", "bicubic"],
            "kind": ["model", "model", "baseline", "baseline"],
            "psnr_y": [30.0, 32.0, 28.0, 29.0],
            "ssim_y": [0.8, 0.9, 0.7, 0.7],
        }
    )
    speed = pd.DataFrame({"model": ["@upscalerjs/esrgan-slim/2x"], "whole_ms": [120.0]})
    measured = measured_by_model([ResultTable("quality", Path("q.csv"), quality), ResultTable("speed", Path("s.csv"), speed)])
    row = measured.loc["@upscalerjs/esrgan-slim/2x"]
    assert (row["psnr_y"], row["ssim_y"], row["whole_ms"]) == (31.0, pytest.approx(0.85), 120.0)
    assert "bicubic" not in measured.index
    assert measured_by_model([]).empty


def test_the_table_shows_committed_results_when_there_are_some():
    results = cards_dir() / "results" / "quality.csv"
    table = catalog_table().set_index("model")
    if not results.is_file():
        assert table["PSNR-Y"].isna().all()
        return
    frame = pd.read_csv(results)
    rows = frame[(frame["method"] == "@upscalerjs/default-model") & (frame["kind"] == "model")]
    rows = rows[rows["set"] == "set5"] if "set" in rows.columns else rows  # the set the literature reports first
    assert table.loc["default-model", "PSNR-Y"] == round(rows["psnr_y"].mean(), 2)


@pytest.fixture
def cards_copy(tmp_path, monkeypatch):
    """A cards folder holding a copy of one card whose body links a sample image relatively."""
    folder = tmp_path / "model_cards"
    (folder / "samples").mkdir(parents=True)
    text = (REPO / "model_cards" / "pixel-upsampler.md").read_text()
    text += "\n\n![before](samples/chelsea-pixel-upsampler-x2.png)\n<img src=\"samples/missing.png\">\n![web](https://example.org/a.png)\n"
    text += "[raw rows](results/quality.csv) [outside](../secret.txt)\n"
    (tmp_path / "secret.txt").write_text("not for the web")
    (folder / "results").mkdir()
    (folder / "results" / "quality.csv").write_text("scale,method\n")
    (folder / "pixel-upsampler.md").write_text(text)
    for name in ("chelsea-pixel-upsampler-x2.png", "chelsea-x2-input.png", "chelsea-x2-bicubic.png"):
        Image.new("RGB", (8, 8)).save(folder / "samples" / name)
    monkeypatch.setenv("UPSCALER_EXPLORER_CARDS", str(folder))
    return folder


def test_cards_render_without_front_matter_and_with_served_images(cards_copy):
    spec = get_spec("pixel-upsampler/x2")
    card = render_card(spec)
    assert "variants:" not in card and "integrity" not in card
    assert card.startswith("# ") and "Pixel" in card.splitlines()[0]
    assert "![before](/model-cards/samples/chelsea-pixel-upsampler-x2.png)" in card  # the cards route: no server path
    assert str(cards_copy) not in card
    assert '<img src="samples/missing.png">' in card  # not there: left alone
    assert "](https://example.org/a.png)" in card
    assert "[raw rows](/model-cards/results/quality.csv)" in card
    assert "[outside](../secret.txt)" in card  # a file outside the cards folder is never served


def test_samples_are_the_benchmark_crops_then_the_package_files(cards_copy, model_cache):
    samples = sample_images(get_spec("pixel-upsampler/x2"))
    captions = [caption for _, caption in samples]
    assert captions[:3] == ["input ÷2", "pixel-upsampler/x2", "bicubic"]
    assert all(Path(path).is_file() for path, _ in samples[:3])  # served from the cards folder
    package = dict((caption, image) for image, caption in samples[3:])
    fixture = package["UpscalerJS input"]  # from the package cache, which the app does not serve: pixels
    assert isinstance(fixture, np.ndarray) and fixture.dtype == np.uint8 and fixture.shape[2] in (3, 4)


def test_a_cached_models_package_samples_come_as_pixels(model_cache):
    Upscaler("default-model")  # in the cache
    package = dict((caption, image) for image, caption in sample_images(get_spec("default-model")))
    assert package["UpscalerJS output"].shape[:2] == (package["UpscalerJS input"].shape[0] * 2, package["UpscalerJS input"].shape[1] * 2)


def test_card_view_and_row_clicks():
    view = card_view("esrgan-slim/4x")
    assert view.summary.startswith("**ESRGAN Slim · esrgan-slim/4x**") and "233,451 parameters" in view.summary
    assert "ESRGAN Slim" in view.card and view.button == "Try esrgan-slim/4x in Upscale →"
    event = gr.SelectData(None, {"index": [3, 2], "value": 4, "row_value": ["esrgan-thick/4x", "upscaling", 4]})
    assert row_model(event) == "esrgan-thick/4x"
    model, tabs = use_in_upscale("@upscalerjs/esrgan-thick/4x")
    assert model == "esrgan-thick/4x" and tabs.selected == "upscale"
    with pytest.raises(gr.Error):
        card_view("esrgan-slim/5x")


def test_all_is_the_no_filter_value():
    assert len(catalog_table(ALL, ALL, "")) == len(list_models())


def test_models_with_identical_files_say_so():
    assert twins(get_spec("default-model")) == ["esrgan-slim/2x"] and twins(get_spec("esrgan-slim/2x")) == ["default-model"]
    assert twins(get_spec("esrgan-slim/4x")) == []
    assert "The same model files as esrgan-slim/2x" in card_view("default-model").summary
    assert "same model files" not in card_view("esrgan-slim/4x").summary


def test_a_filter_that_matches_nothing_says_so_and_a_match_hides_the_note():
    table, note = filtered_view("upscaling", "8", "no such model")
    assert table.empty and note.visible is True
    assert note.value.startswith("**No models match**") and "task upscaling" in note.value and "scale 8" in note.value
    assert "“no such model”" in note.value
    table, note = filtered_view(search="slim 4x")
    assert list(table["model"]) == ["esrgan-slim/4x"] and note.visible is False
