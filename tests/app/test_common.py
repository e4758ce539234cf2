"""Shared helpers: settings from the page, model choices and summaries, loading models with progress."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

import explorer.app
from explorer import list_models
from explorer.app.common import (
    page_message,
    format_bytes,
    format_seconds,
    load_upscaler,
    model_choices,
    model_label,
    model_summary,
    page_settings,
    resolve_model,
    whole_image_note,
)
from explorer.engine.registry import get_spec


def test_patch_size_zero_means_the_whole_image():
    assert page_settings(0, 8) == (None, None)
    assert page_settings(None, None) == (None, None)
    assert page_settings(64.0, 4.0) == (64, 4)


@pytest.mark.parametrize(
    ("patch", "padding", "message"),
    [(64, 32, "twice the padding"), (64, -1, "cannot be negative"), (12.5, 2, "whole number"), ("big", 0, "whole number")],
)
def test_settings_that_break_the_rules_are_errors_for_the_page(patch, padding, message):
    with pytest.raises(gr.Error) as caught:
        page_settings(patch, padding)
    assert message in caught.value.message


def test_model_choices_list_every_model_once_upscaling_first():
    choices = model_choices()
    values = [value for _, value in choices]
    assert sorted(values) == sorted(spec.short_id for spec in list_models())
    tasks = [get_spec(value).task for value in values]
    assert tasks[: tasks.count("upscaling")] == ["upscaling"] * tasks.count("upscaling")
    assert model_label(get_spec("esrgan-slim/4x")) == "Upscaling › ESRGAN Slim › 4x"
    assert model_label(get_spec("default-model")) == "Upscaling › Default Model › 2x"


def test_unknown_model_is_an_error_with_suggestions():
    with pytest.raises(gr.Error) as caught:
        resolve_model("esrgan-slim/5x")
    assert "esrgan-slim" in caught.value.message
    assert resolve_model("@upscalerjs/esrgan-slim/4x").short_id == "esrgan-slim/4x"


def test_whole_image_note_gives_the_models_own_tiling_threshold():
    assert "1024×1024" in whole_image_note(get_spec("default-model"))  # 2048² output at 2x
    assert "512×512" in whole_image_note(get_spec("esrgan-slim/4x"))


def test_summaries_and_formats():
    summary = model_summary(get_spec("esrgan-legacy/div2k/2x"))
    assert "RDN C3 D10 G64" in summary and "(uint8)" in summary and "div2k" in summary
    assert format_seconds(0.3204) == "320 ms" and format_seconds(2.5) == "2.50 s"
    assert format_bytes(888300) == "888 kB" and format_bytes(28959872) == "29.0 MB" and format_bytes(0) == "–"


def test_loading_reports_progress_and_whether_it_was_fresh():
    messages = []
    first = load_upscaler(get_spec("pixel-upsampler/x3"), lambda value, desc=None, unit=None: messages.append(desc))
    again = load_upscaler(get_spec("pixel-upsampler/x3"))
    assert messages[0] == "Getting pixel-upsampler/x3's files" and messages[-1].startswith("Loading pixel-upsampler/x3")
    assert again.upscaler.spec.id == first.upscaler.spec.id and again.fresh is False



def test_page_messages_are_plain_text_with_what_the_page_user_can_do():
    from explorer.errors import ModelNotFoundError, OfflineError

    with pytest.raises(gr.Error) as caught:
        resolve_model("esrgan-slim/5x")
    text = caught.value.message
    assert "`" not in text and "python -m explorer" not in text and text.endswith("Pick one from the Model list.")
    offline = OfflineError("Model x is not cached and UPSCALER_EXPLORER_OFFLINE=1: run `python -m explorer fetch x`.")
    shown = page_message(offline)
    assert "UPSCALER_EXPLORER" not in shown and "python" not in shown and "pick another model" in shown
    assert "run" not in page_message(ModelNotFoundError("No model called 'x'. Run `python -m explorer models` to list them."))


def test_the_ticker_names_each_step_with_its_elapsed_time():
    import re
    import threading

    from explorer.app.progress import Ticker

    now, shown, seconds_shown = [100.0], [], threading.Event()

    def show(value, desc=None, unit=None):
        shown.append((value, desc))
        if re.fullmatch(r"Loading x · 2 s", desc or ""):
            seconds_shown.set()

    with Ticker(show, interval=0.01, clock=lambda: now[0], steps=2) as ticker:
        ticker.step("Loading x")
        now[0] += 2.2  # the step's clock passes two seconds; the ticker's own refresh must show it
        assert seconds_shown.wait(timeout=30), shown[-3:]
        ticker.count(1, 3, "Upscaling with x")
    assert shown[0] == ((0, 2), "Loading x")  # a count with the name: Gradio shows no text without one
    assert shown[-1] == ((1, 3), "Upscaling with x") and ticker.steps == ["Loading x", "Upscaling with x"]


def test_every_toast_is_text_and_goes_through_refuse_or_warn():
    import ast

    from explorer.app.common import refuse

    error = refuse('Unknown model \'<img src="http://127.0.0.1:9/x.gif"> & co\'.')
    assert error.message == "Unknown model '&lt;img src=\"http://127.0.0.1:9/x.gif\"&gt; &amp; co'."
    toasts = {"Error", "Warning", "Info"}
    for path in (Path(explorer.app.__file__).parent).glob("*.py"):
        if path.name == "common.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in toasts:
                assert getattr(node.func.value, "id", "") != "gr", f"{path.name}:{node.lineno} shows a toast as HTML"
