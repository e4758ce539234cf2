"""The Upscaler Explorer app: ``build_app() -> gr.Blocks`` and ``launch_app``.

One module per tab, each with plain handler functions: :mod:`.upscale`
(with :mod:`.reference_scores` for reference-mode scores and :mod:`.runview`
for the run's views), :mod:`.catalog` (Models), :mod:`.compare`, :mod:`.advise`,
:mod:`.code_tab` (Code) and :mod:`.benchmarks`. Shared: :mod:`.common` (models,
settings, errors), :mod:`.pictures` (uploads under the app's limits, display
copies), :mod:`.examples`, :mod:`.config`. The named API endpoints are in
:mod:`.api`; the settings in the page address in :mod:`.urlstate`. Start it
with ``python -m explorer serve``; on a Hugging Face Space, :mod:`.space` is
the app file.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from typing import Any

import gradio as gr
from PIL import Image
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from explorer.app.api import register_api
from explorer.app.benchmarks import build_benchmarks_tab
from explorer.app.catalog import CARDS_ROUTE, build_catalog_tab, use_in_upscale
from explorer.app.code_tab import build_code_tab
from explorer.app.common import RefusingBlocks, warn
from explorer.app.compare import build_compare_tab
from explorer.app.config import AppConfig
from explorer.app.recommend_tab import build_recommend_tab, use_this
from explorer.app.examples import BUNDLED_EXAMPLE
from explorer.app.upscale import build_upscale_tab
from explorer.app.urlstate import (
    RESTORED_JS,
    TABS,
    UPDATE_URL_JS,
    USE_MODEL_URL_JS,
    address_settings,
    settings_from_query,
    tab_url_js,
)

__all__ = ["CSS", "THEME", "AppConfig", "build_app", "launch_app", "preload_default_model", "restore_settings"]

log = logging.getLogger(__name__)

CSS = """
.gradio-container { max-width: min(1380px, 100vw) !important; margin: 0 auto; }
.gradio-container .block { min-width: 0; max-width: 100%; }
@media (max-width: 640px) {
  .gradio-container .row { flex-wrap: wrap !important; }
  .gradio-container .column { min-width: 100% !important; }
  #models-table { min-width: 1200px !important; }  /* the table keeps its desktop columns (no word broken) and scrolls sideways */
  :has(> #models-table) { overflow-x: auto !important; }
  .tab-container[role=tablist] button { padding: 0 9px !important; }
  #compare-crops .grid-container, #compare-gallery .grid-container { grid-template-columns: repeat(2, 1fr) !important; }
  #timings th, #timings td { padding: 6px 8px !important; }
}
#app-header h1 { margin-bottom: 0.1em; }
#app-header p { margin-top: 0; opacity: 0.8; }
.hint, .hint p { font-size: 0.85em !important; opacity: 0.75; }
.model-info p { font-size: 0.9em; }
.model-card img { max-width: 100%; image-rendering: pixelated; }
.model-card table { display: block; overflow-x: auto; max-width: 100%; }
.model-card th, .model-card td { white-space: nowrap; }
#settings-status p { margin: 0.2em 0; }
.table-wrap th span.header, .table-wrap [role=gridcell] span { overflow-wrap: normal !important; word-break: normal !important; }  /* tables wrap between words, never inside one */
#timings th, #timings td:nth-child(-n+2) { white-space: nowrap; }  /* "Model load", "46 ms": never broken mid-word on a phone */
#timings td { overflow-wrap: break-word !important; word-break: normal !important; }  /* whole words where they fit */
#compare-crops .caption-label, #card-samples .caption-label, #compare-gallery .caption-label {
  white-space: normal !important; overflow-wrap: anywhere; text-overflow: clip !important; max-width: calc(100% - 12px) !important;
}
.plot-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 0.85em; padding: 0 8px 6px; }
.plot-legend .dot { display: inline-block; width: 7px; height: 7px; border: 2px solid; border-radius: 50%; margin-right: 5px; }
#compare-crops img, #compare-ab img, #compare-picker img { image-rendering: pixelated; }
"""
"""Page styles (a few touches on top of the theme)."""

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", neutral_hue="slate")
"""The page theme (fonts bundled with Gradio: nothing is fetched from other sites)."""

HEADER = """
# Upscaler Explorer
The real [UpscalerJS](https://github.com/thekevinscott/UpscalerJS) models, run in Python with the same pixels and
the same `patchSize`/`padding` rules as in the browser. Try a model on your image, compare models, and copy the code.
"""


def restore_settings(request: gr.Request, config: AppConfig | None = None) -> tuple[str, int, int, bool, str, Any]:
    """Read the settings from the page's address when it loads (``?model=…&patch_size=…&padding=…&reference=1&tab=…``).

    Returns
    -------
    tuple
        Model, patch size, padding, reference mode, precision and the tab to
        show; what could not be used (by the server's rules and limits) is
        shown as a warning.
    """
    query = dict(request.query_params) if request is not None else {}
    settings = settings_from_query(query, (config or AppConfig()).work_limits)
    for problem in settings.problems:
        warn(problem)
    return (
        settings.model, settings.patch_size, settings.padding, settings.reference, settings.precision,
        gr.Tabs(selected=settings.tab),
    )  # fmt: skip


def build_app(config: AppConfig | None = None) -> gr.Blocks:
    """Build the app (not launched).

    Parameters
    ----------
    config : AppConfig, optional
        Limits (pixels, concurrency); default from the environment.

    Returns
    -------
    gradio.Blocks
        Launch it with :func:`launch_app` (which sets the queue, theme and
        file access) or mount it in another server.
    """
    config = config or AppConfig()
    heavy = {"concurrency_id": "model-runs", "concurrency_limit": config.concurrency}
    page = {**heavy, "api_visibility": "private"}
    # Results handed to browsers are copied into Gradio's cache: clear files older than an hour, every 30 minutes.
    with RefusingBlocks(title="Upscaler Explorer", analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        gr.Markdown(HEADER, elem_id="app-header")
        with gr.Tabs(selected=TABS[0], overflow_behavior="wrap") as tabs:  # every tab in sight, also on a phone
            with gr.Tab("Upscale", id="upscale") as upscale_tab:
                upscale = build_upscale_tab(config, page)
            with gr.Tab("Recommend", id="recommend") as recommend_tab:
                recommend = build_recommend_tab(config, page)
            with gr.Tab("Models", id="models") as models_tab:
                catalog = build_catalog_tab()
            with gr.Tab("Compare", id="compare") as compare_tab:
                build_compare_tab(config, page, upscale.image, upscale.patch_size, upscale.padding, upscale.precision)
            with gr.Tab("Code", id="code") as code_tab:
                build_code_tab(upscale.model, upscale.patch_size, upscale.padding)
            with gr.Tab("Benchmarks", id="benchmarks") as benchmarks_tab:
                build_benchmarks_tab()
        register_api(config, heavy)
        tabs_in_order = (upscale_tab, recommend_tab, models_tab, compare_tab, code_tab, benchmarks_tab)
        for tab, name in zip(tabs_in_order, TABS, strict=True):
            tab.select(None, js=tab_url_js(name))
        shaping = [upscale.model, upscale.patch_size, upscale.padding, upscale.reference, upscale.precision]
        address = gr.JSON(visible=False)  # the settings the address should hold: only ones the server accepts
        checked = functools.partial(address_settings, limits=config.work_limits)
        for control in shaping:
            control.change(checked, inputs=shaping, outputs=address, queue=False, api_visibility="private")
        address.change(None, inputs=address, js=UPDATE_URL_JS)
        catalog.use.click(
            use_in_upscale, inputs=catalog.model, outputs=[upscale.model, tabs], queue=False, api_visibility="private"
        ).then(None, inputs=upscale.model, js=USE_MODEL_URL_JS)
        recommend.use.click(
            use_this, inputs=[recommend.chosen, recommend.image],
            outputs=[upscale.image, upscale.model, upscale.patch_size, upscale.padding, upscale.precision, tabs], queue=False,
            api_visibility="private",
        ).then(None, inputs=upscale.model, js=USE_MODEL_URL_JS)  # fmt: skip
        def restore(request: gr.Request) -> tuple:
            return restore_settings(request, config)

        demo.load(
            restore,
            outputs=[*shaping, tabs],
            api_visibility="private",
        ).then(None, js=RESTORED_JS)
    demo.queue(default_concurrency_limit=config.concurrency, max_size=config.max_queue)
    return demo


def preload_default_model() -> None:
    """Load the default model, make its runtime decisions and trace it for the starting image, so the first click is quick.

    Failures (offline, no network) are only logged: the first request reports them to its user.
    """
    from explorer.engine.registry import DEFAULT_MODEL
    from explorer.engine.upscaler import Upscaler

    try:
        with Image.open(BUNDLED_EXAMPLE) as example:
            size = (example.height, example.width)
        # Both precisions' runtime verdicts (kept per CPU) are made here, before the first request, not beside it.
        Upscaler(DEFAULT_MODEL, precision="fast").warmup([size])
    except Exception as error:  # noqa: BLE001 - a background nicety must never take the server down
        log.warning("Could not preload %s: %s", DEFAULT_MODEL, error)


def _log_to_stderr() -> None:
    """Show the app's log (one line per refused request, downloads, preloading) on stderr, unless logging is set up."""
    logger = logging.getLogger("explorer")
    if logger.handlers or logging.getLogger().handlers:
        return
    # A copy of stderr's descriptor: importing TensorFlow points descriptor 2 at /dev/null for a few seconds
    # (explorer.engine._tf), and requests refused meanwhile must still be logged.
    handler = logging.StreamHandler(os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def launch_app(
    demo: gr.Blocks,
    *,
    host: str | None = None,
    port: int | None = None,
    share: bool = False,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
    preload: bool = True,
) -> tuple[Any, str, str]:
    """Launch a built app with the page's theme and styles, serving the model cards' images.

    Parameters
    ----------
    demo : gradio.Blocks
        From :func:`build_app`.
    host, port : optional
        Where to listen (default: Gradio's, ``127.0.0.1:7860``, or
        ``$GRADIO_SERVER_NAME``/``$GRADIO_SERVER_PORT``, as on a Space).
    share : bool
        Also open a temporary public link through Gradio's share servers.
    prevent_thread_lock : bool
        Return at once instead of serving until interrupted (tests).
    quiet : bool
        Do not print the address.
    preload : bool
        Load the default model in the background while the server starts
        (:func:`preload_default_model`).

    Returns
    -------
    tuple
        Gradio's ``(app, local_url, share_url)``.
    """
    from explorer.engine import store
    from explorer.engine.registry import cards_dir

    _log_to_stderr()
    store.clean_stale_staging(store.cache_dir())  # what a killed server left mid-download (and its npm child)
    if preload:
        threading.Thread(target=preload_default_model, name="preload-default-model", daemon=True).start()
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        theme=THEME,
        css=CSS,
        allowed_paths=[str(cards_dir())],
        app_kwargs={"routes": [Mount(CARDS_ROUTE, app=StaticFiles(directory=cards_dir(), check_dir=False))]},
        max_file_size="50mb",
        show_error=False,  # an unexpected fault's text (paths, internals) stays in the server log
        footer_links=["api", "gradio"],
    )
