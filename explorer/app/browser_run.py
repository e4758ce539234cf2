"""Run in my browser: the chosen model in UpscalerJS on the visitor's own device, timed, checked against ours.

The page's script (``static/browser_run.js``, shipped with the package) loads
TensorFlow.js, UpscalerJS and the model's UMD bundle from a CDN (jsdelivr, then
unpkg, as UpscalerJS itself does for weights), at the versions the generated
code pins, and runs them in the visitor's browser. This module holds the
server's side:

* :func:`browser_spec`: which models can run there (registry models with a UMD
  bundle that UpscalerJS supports in browsers);
* :func:`prepare_run`: checks the request, runs the same pixels on the server
  and hands the page the input and the server's output as PNG files, so the
  page can say how far apart the two outputs are (nothing is uploaded: the
  image is already on the server, the browser only downloads);
* :func:`prepare_compare`: the list of runs for "Compare in my browser"
  (models × patch settings);
* :func:`build_browser_run`: the panel, its buttons and their wiring.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Sequence
from importlib import resources
from typing import Any

import gradio as gr
import numpy as np

from explorer.app.common import (
    ProgressFn,
    load_upscaler,
    model_label,
    page_settings,
    refuse,
    resolve_model,
    user_errors,
)
from explorer.app.config import AppConfig
from explorer.app.pictures import read_image, save_result_png
from explorer.app.request import page_request
from explorer.engine.request import plan_run
from explorer.codegen.snippets import TFJS_UMD, TFJS_VERSION, UPSCALER_UMD, UPSCALER_VERSION
from explorer.engine.registry import ModelSpec, list_models
from explorer.settings import DEFAULT_CDNS

__all__ = [
    "BACKENDS",
    "CDNS",
    "MAX_COMPARE_RUNS",
    "SCRIPT",
    "TFJS_WASM_UMD",
    "browser_choices",
    "browser_spec",
    "build_browser_run",
    "page_config",
    "parse_settings_list",
    "prepare_compare",
    "prepare_run",
    "script_source",
]

CDNS = tuple((urllib.parse.urlsplit(base).netloc, base) for base in DEFAULT_CDNS)
"""``(host, base URL)`` of the CDNs the page tries, in order (UpscalerJS fetches weights in the same order)."""

BACKENDS = ("auto", "webgl", "wasm", "cpu")
"""TensorFlow.js backends the page offers; ``auto`` is WebGL where the browser has it, else the CPU."""

TFJS_WASM_UMD = "dist/tf-backend-wasm.min.js"
"""The WebAssembly backend's UMD bundle inside ``@tensorflow/tfjs-backend-wasm`` (defines ``tf.wasm``)."""

MAX_COMPARE_RUNS = 24
"""Most runs (models × settings) one "Compare in my browser" may ask for."""

SCRIPT = resources.files("explorer.app") / "static" / "browser_run.js"
"""The panel's script, shipped as package data."""

_PANEL = """
<div class="browser-run">
  <div class="browser-run-bar">
    <span data-part="status">Nothing has run in this browser yet.</span>
    <progress data-part="progress" max="1" value="0" hidden></progress>
    <button type="button" data-part="cancel" disabled>Cancel</button>
  </div>
  <div data-part="device" class="browser-run-device"></div>
  <table data-part="timings" class="browser-run-timings" hidden></table>
  <div data-part="agreement"></div>
  <div class="browser-run-pictures" data-part="pictures" hidden>
    <figure><figcaption>This browser (UpscalerJS)</figcaption><canvas data-part="output"></canvas></figure>
    <figure><figcaption>The server (Python TensorFlow)</figcaption><img data-part="server" alt="The server's output"></figure>
  </div>
  <table data-part="compare" class="browser-run-timings" hidden></table>
  <button type="button" data-part="csv" hidden>Download the table as CSV</button>
</div>
"""

_CSS = """
.browser-run-bar { display: flex; gap: 0.8em; align-items: center; flex-wrap: wrap; }
.browser-run-bar progress { flex: 1; min-width: 8em; }
.browser-run .error { color: #b91c1c; }
.browser-run [hidden] { display: none !important; }
.browser-run-timings { margin: 0.5em 0; font-size: 0.9em; }
.browser-run-timings td, .browser-run-timings th { padding: 0.15em 0.6em; text-align: left; }
.browser-run-pictures { display: flex; gap: 0.6em; flex-wrap: wrap; }
.browser-run-pictures figure { flex: 1; min-width: 180px; margin: 0; }
.browser-run-pictures canvas, .browser-run-pictures img { max-width: 100%; image-rendering: pixelated; }
"""

HELP = """
**Run in my browser** runs the chosen model with [UpscalerJS](https://upscalerjs.com) in *your* browser, with the
patch size and padding set above, and times it on your device: the answer to "how fast is this model on my users'
devices?". Your browser downloads TensorFlow.js, UpscalerJS and the model from a CDN (jsdelivr, else unpkg);
nothing is uploaded. The server runs the same pixels too, and the two outputs are compared.
"""


def browser_choices() -> list[tuple[str, str]]:
    """``(label, short id)`` of the models UpscalerJS can run in a browser (those with a UMD bundle)."""
    return [(model_label(spec), spec.short_id) for spec in list_models() if _runs_in_browser(spec)]


def _runs_in_browser(spec: ModelSpec) -> bool:
    return not spec.is_custom and bool(spec.umd_path and spec.umd_global) and "browser" in spec.platforms


def browser_spec(model: str | None) -> ModelSpec:
    """The spec of a model the page can run in the visitor's browser.

    Raises
    ------
    gradio.Error
        Unknown model, a model UpscalerJS supports in Node only, or one whose
        card names no UMD bundle.
    """
    spec = resolve_model(model)
    if "browser" not in spec.platforms:
        raise refuse(f"UpscalerJS runs {spec.short_id} in Node only, not in browsers: choose another model.")
    if not _runs_in_browser(spec):
        raise refuse(f"The card of {spec.short_id} names no UMD bundle, so this page cannot load it in your browser.")
    return spec


def page_config(timeout_seconds: float = 30.0) -> dict[str, Any]:
    """What the page's script needs: CDNs, the pinned packages and their bundles, the network timeout."""
    return {
        "cdns": [{"host": host, "base": base} for host, base in CDNS],
        "tfjs": {"package": "@tensorflow/tfjs", "version": TFJS_VERSION, "file": TFJS_UMD},
        "wasm": {"package": "@tensorflow/tfjs-backend-wasm", "version": TFJS_VERSION, "file": TFJS_WASM_UMD},
        "upscaler": {"package": "upscaler", "version": UPSCALER_VERSION, "file": UPSCALER_UMD},
        "timeoutMs": int(timeout_seconds * 1000),
    }


def _model_facts(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "shortId": spec.short_id,
        "package": spec.package,
        "version": spec.version,
        "umd": spec.umd_path,
        "global": spec.umd_global,
        "scale": spec.scale,
    }


def _backend(backend: str | None) -> str:
    if (backend or "auto") not in BACKENDS:
        raise refuse(f"Unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}.")
    return backend or "auto"


def prepare_run(
    image: str | None,
    model: str,
    patch_size: float | None = 0,
    padding: float | None = 0,
    backend: str = "auto",
    progress: ProgressFn | None = gr.Progress(),
    *,
    config: AppConfig | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """The server's side of "Run in my browser": check, run the same pixels here, hand both to the page.

    Parameters
    ----------
    image : str
        Path of the image in the page.
    model : str
        Model id or alias (one :func:`browser_spec` accepts).
    patch_size, padding : number
        UpscalerJS's settings; patch size 0 means the whole image.
    backend : str
        One of :data:`BACKENDS`.
    progress : callable
        Shows the server's model load and run.
    config : AppConfig, optional
        The app's limits.

    Returns
    -------
    tuple
        ``(input PNG, server output PNG, job)``: the RGB pixels both sides
        upscale, the server's result, and the job for the page (model facts,
        the patch settings the server used, its timings).
    """
    spec = browser_spec(model)
    patch, pad = page_settings(patch_size, padding)
    chosen = _backend(backend)
    config = config or AppConfig()
    page = page_request(spec, read_image(image, config), patch, pad, reference=False, config=config, layout="rgb")
    handle = load_upscaler(spec, progress)
    with user_errors():
        result = handle.upscaler.run_request(page.request)
    output, report = result.image, result.report
    steady = report.patch_seconds[1:] if report.traced else report.patch_seconds
    job = {
        "model": _model_facts(spec),
        # What the server actually ran (large images tile automatically): the browser runs the same.
        "patchSize": report.patch_size,
        "padding": report.padding if report.patch_size else None,
        "autoTiled": report.auto_tiled,
        "patches": report.patches,
        "backend": chosen,
        "size": list(report.input_size),
        "server": {
            "inferenceMs": round(report.inference_seconds * 1000, 1),
            "patchMs": round(float(np.median(steady)) * 1000, 1) if steady else None,
            "traced": report.traced,
        },
    }
    input_png = save_result_png(page.request.image.rgb, "browser-input")
    output_png = save_result_png(output, f"server@{spec.scale}x-{spec.short_id}")
    return str(input_png), str(output_png), job


def parse_settings_list(text: str | None) -> list[tuple[int | None, int | None]]:
    """Read ``"0, 32/4, 64/8"`` (patch size/padding; 0 = whole image) into checked settings.

    Raises
    ------
    gradio.Error
        A setting that is not ``N`` or ``N/M``, or one that breaks UpscalerJS's rules.
    """
    items = [item for item in re.split(r"[,;\s]+", (text or "").strip()) if item]
    if not items:
        return [(None, None)]
    settings = []
    for item in items:
        match = re.fullmatch(r"(\d+)(?:/(\d+))?", item)
        if not match:
            raise refuse(f"Settings are patch size/padding pairs such as 0, 32/4, 64/8; {item!r} is not one.")
        setting = page_settings(int(match.group(1)), int(match.group(2) or 0))
        if setting not in settings:
            settings.append(setting)
    return settings


def prepare_compare(
    image: str | None,
    models: Sequence[str] | None,
    settings: str | None,
    backend: str = "auto",
    *,
    config: AppConfig | None = None,
) -> tuple[str, dict[str, Any]]:
    """The runs of "Compare in my browser": every chosen model with every patch setting, in a row.

    Returns
    -------
    tuple
        ``(input PNG, plan)``; the plan lists the jobs in order.

    Raises
    ------
    gradio.Error
        No model, a model that cannot run in a browser, bad settings, too many runs, or a bad image.
    """
    specs = [browser_spec(model) for model in dict.fromkeys(models or [])]
    if not specs:
        raise refuse("Choose at least one model to compare.")
    pairs = parse_settings_list(settings)
    if len(specs) * len(pairs) > MAX_COMPARE_RUNS:
        raise refuse(
            f"{len(specs)} models × {len(pairs)} settings is {len(specs) * len(pairs)} runs; take at most {MAX_COMPARE_RUNS}."
        )
    chosen = _backend(backend)
    config = config or AppConfig()
    loaded = read_image(image, config)
    height, width = loaded.rgb.shape[:2]
    with user_errors():  # the server's rules and limits, as for a run here
        for spec in specs:
            for patch, pad in pairs:
                plan_run(spec, height, width, patch, pad or None, config.work_limits)
    jobs = [
        {
            "model": _model_facts(spec),
            "patchSize": patch,
            "padding": pad,
            "backend": chosen,
            "size": [loaded.rgb.shape[1], loaded.rgb.shape[0]],
        }
        for spec in specs
        for patch, pad in pairs
    ]
    return str(save_result_png(loaded.rgb, "browser-input")), {"jobs": jobs}


def script_source(timeout_seconds: float = 30.0) -> str:
    """The panel's script: the page configuration, then ``static/browser_run.js``."""
    return f"const CONFIG = {json.dumps(page_config(timeout_seconds))};\n{SCRIPT.read_text(encoding='utf-8')}"


_START_JS = """(job, input, server) => {
  if (!window.explorerBrowserRun) { alert('The browser-run script did not load: reload the page.'); return; }
  window.explorerBrowserRun.start(job, input, server);
}"""
_COMPARE_JS = """(plan, input) => {
  if (!window.explorerBrowserRun) { alert('The browser-run script did not load: reload the page.'); return; }
  window.explorerBrowserRun.compare(plan, input);
}"""


def build_browser_run(
    config: AppConfig, heavy: dict, image: gr.Image, model: gr.Dropdown, patch_size: gr.Slider, padding: gr.Slider
) -> None:
    """Lay out the "Run in my browser" panel inside the current block and wire it to the Upscale tab's inputs.

    Parameters
    ----------
    config : AppConfig
    heavy : dict
        Event options for model runs (the shared concurrency group).
    image, model, patch_size, padding
        The Upscale tab's inputs: the browser runs what the server would.
    """
    gr.Markdown(HELP, elem_classes=["hint"])
    with gr.Row():
        backend = gr.Radio(
            list(BACKENDS), value="auto", label="TensorFlow.js backend", elem_id="browser-backend", scale=3
        )
        run = gr.Button("Run in my browser", variant="secondary", elem_id="browser-run-button", scale=1)
    with gr.Accordion("Compare in my browser: several models and settings in a row", open=False):
        with gr.Row():
            models = gr.Dropdown(
                choices=browser_choices(), value=["default-model"], multiselect=True, label="Models",
                elem_id="browser-compare-models", scale=3,
            )  # fmt: skip
            settings = gr.Textbox(
                value="0, 64/8",
                label="Patch size/padding (0 = whole image)",
                elem_id="browser-compare-settings",
                scale=2,
            )
        compare = gr.Button("Compare in my browser", elem_id="browser-compare-button")
    gr.HTML(html_template=_PANEL, css_template=_CSS, js_on_load=script_source(), elem_id="browser-run")
    job = gr.JSON(visible=False)
    plan = gr.JSON(visible=False)
    input_file = gr.File(visible=False)
    server_file = gr.File(visible=False)
    run.click(
        functools.partial(prepare_run, config=config),
        inputs=[image, model, patch_size, padding, backend],
        outputs=[input_file, server_file, job],
        show_progress_on=[run],
        **heavy,
    ).success(None, inputs=[job, input_file, server_file], js=_START_JS)
    compare.click(
        functools.partial(prepare_compare, config=config),
        inputs=[image, models, settings, backend],
        outputs=[input_file, plan],
        api_visibility="private",
        queue=False,
    ).success(None, inputs=[plan, input_file], js=_COMPARE_JS)
