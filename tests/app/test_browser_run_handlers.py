"""The server's side of "Run in my browser": which models, the same pixels run here, the runs to compare.

The page itself is tested in a real browser in ``test_browser_run.py``.
"""

from __future__ import annotations

import subprocess

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.app.browser_run import (
    BACKENDS,
    MAX_COMPARE_RUNS,
    SCRIPT,
    browser_choices,
    browser_spec,
    page_config,
    parse_settings_list,
    prepare_compare,
    prepare_run,
    script_source,
)
from explorer.codegen.snippets import TFJS_VERSION, UPSCALER_UMD, UPSCALER_VERSION
from explorer.engine.registry import list_models

from .conftest import crop_png


def _message(call) -> str:
    with pytest.raises(gr.Error) as caught:
        call()
    return caught.value.message


def test_models_that_run_in_browsers_are_those_with_a_umd_bundle():
    choices = {value: label for label, value in browser_choices()}
    browser_models = {s.short_id for s in list_models() if "browser" in s.platforms}
    assert set(choices) == browser_models and "default-model" in choices and "esrgan-slim/8x" not in choices
    assert browser_spec("esrgan-slim/4x").umd_global == "ESRGANSlim4x"
    assert "Node only" in _message(lambda: browser_spec("esrgan-slim/8x"))
    assert "No model called" in _message(lambda: browser_spec("no-such-model"))


def test_prepare_run_hands_the_page_the_same_pixels_and_the_server_output(tmp_path):
    photo = crop_png(tmp_path, 80, 56)
    input_png, server_png, job = prepare_run(str(photo), "esrgan-slim/4x", 32, 4, "cpu", None)
    rgb = np.asarray(Image.open(photo).convert("RGB"))
    np.testing.assert_array_equal(np.asarray(Image.open(input_png)), rgb)
    expected = np.asarray(Upscaler("esrgan-slim/4x").upscale(photo, patch_size=32, padding=4))
    np.testing.assert_array_equal(np.asarray(Image.open(server_png)), expected)
    assert job["model"] == {
        "id": "@upscalerjs/esrgan-slim/4x", "shortId": "esrgan-slim/4x", "package": "@upscalerjs/esrgan-slim",
        "version": "1.0.0", "umd": "dist/umd/models/esrgan-slim/src/x4/index.min.js", "global": "ESRGANSlim4x", "scale": 4,
    }  # fmt: skip
    assert (job["patchSize"], job["padding"], job["patches"], job["backend"], job["size"]) == (
        32,
        4,
        6,
        "cpu",
        [80, 56],
    )
    assert job["server"]["inferenceMs"] > 0 and job["server"]["patchMs"] > 0
    assert str(tmp_path) not in str(job)  # no server paths in what the page shows


def test_a_whole_image_run_is_one_call_with_no_patch_settings(tmp_path):
    photo = crop_png(tmp_path, 64, 48)
    _, _, whole = prepare_run(str(photo), "default-model", 0, 0, "auto", None)
    assert (whole["patchSize"], whole["padding"], whole["autoTiled"], whole["patches"]) == (None, None, False, 1)


@pytest.mark.parametrize(
    ("model", "patch", "padding", "backend", "message"),
    [
        ("default-model", 16, 8, "cpu", "too large"),
        ("esrgan-slim/8x", 0, 0, "cpu", "Node only"),
        ("default-model", 0, 0, "webgpu", "choose one of auto, webgl, wasm, cpu"),
    ],
)
def test_bad_requests_are_one_line_errors(tmp_path, model, patch, padding, backend, message):
    photo = crop_png(tmp_path, 32, 32)
    assert message in _message(lambda: prepare_run(str(photo), model, patch, padding, backend, None))


def test_no_image_is_an_error():
    assert "Add an image first" in _message(lambda: prepare_run(None, "default-model", 0, 0, "auto", None))


def test_settings_lists_read_as_patch_size_and_padding():
    assert parse_settings_list("0, 32/4 64/8;32/4") == [(None, None), (32, 4), (64, 8)]
    assert parse_settings_list("") == [(None, None)]
    assert parse_settings_list("48") == [(48, 0)]
    assert "not one" in _message(lambda: parse_settings_list("32x4"))
    assert "too large" in _message(lambda: parse_settings_list("32/16"))


def test_prepare_compare_lists_every_model_with_every_setting(tmp_path):
    photo = crop_png(tmp_path, 40, 30)
    input_png, plan = prepare_compare(str(photo), ["default-model", "esrgan-slim/4x"], "0, 32/4", "wasm")
    np.testing.assert_array_equal(np.asarray(Image.open(input_png)), np.asarray(Image.open(photo).convert("RGB")))
    runs = [(job["model"]["shortId"], job["patchSize"], job["padding"], job["backend"]) for job in plan["jobs"]]
    assert runs == [
        ("default-model", None, None, "wasm"), ("default-model", 32, 4, "wasm"),
        ("esrgan-slim/4x", None, None, "wasm"), ("esrgan-slim/4x", 32, 4, "wasm"),
    ]  # fmt: skip
    assert "at least one" in _message(lambda: prepare_compare(str(photo), [], "0", "auto"))
    many = " ".join(f"{32 + i}/4" for i in range(MAX_COMPARE_RUNS))
    assert f"at most {MAX_COMPARE_RUNS}" in _message(
        lambda: prepare_compare(str(photo), ["default-model", "esrgan-slim/2x"], many, "auto")
    )
    assert "Node only" in _message(lambda: prepare_compare(str(photo), ["esrgan-thick/8x"], "0", "auto"))


def test_the_page_pins_the_versions_the_generated_code_pins():
    config = page_config(12)
    assert config["tfjs"]["version"] == config["wasm"]["version"] == TFJS_VERSION
    assert (config["upscaler"]["version"], config["upscaler"]["file"]) == (UPSCALER_VERSION, UPSCALER_UMD)
    assert [cdn["host"] for cdn in config["cdns"]] == ["cdn.jsdelivr.net", "unpkg.com"]  # UpscalerJS's own order
    assert config["timeoutMs"] == 12_000 and set(BACKENDS) == {"auto", "webgl", "wasm", "cpu"}


def test_the_script_is_package_data_and_valid_javascript(tmp_path):
    assert SCRIPT.is_file()
    wrapped = tmp_path / "panel.js"  # js_on_load is a function body with these parameters
    wrapped.write_text(f"(function (element, trigger, props, server, upload, watch) {{\n{script_source()}\n}});\n")
    done = subprocess.run(["node", "--check", str(wrapped)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
