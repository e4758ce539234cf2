"""The assembled app: its tabs, endpoints, queue limits and the settings restored from the address."""

from __future__ import annotations

import gradio as gr
import pytest

from explorer.app import AppConfig, build_app, restore_settings
from explorer.app.urlstate import TABS


@pytest.fixture(scope="module")
def demo() -> gr.Blocks:
    return build_app(AppConfig(concurrency=3, max_queue=7))


def test_every_tab_is_there_in_order(demo):
    tabs = [block for block in demo.blocks.values() if isinstance(block, gr.Tab) and block.id in TABS]
    assert [tab.id for tab in tabs] == list(TABS)
    assert [tab.label for tab in tabs] == ["Upscale", "Recommend", "Models", "Compare", "Code", "Benchmarks"]


def test_model_runs_share_one_bounded_queue_and_the_rest_never_waits(demo):
    functions = {fn.name: fn for fn in demo.fns.values()}
    runs = [fn for fn in demo.fns.values() if fn.concurrency_id == "model-runs"]
    named = {fn.api_name for fn in runs}
    assert {"upscale", "evaluate", "recommend"} <= named and len(runs) >= 5  # the page's upscale, seams, compare too
    assert all(fn.concurrency_limit == 3 and fn.queue for fn in runs)
    assert demo._queue.max_size == 7
    assert functions["snippet"].queue is False and functions["settings_status"].queue is False
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"upscale", "evaluate", "recommend", "snippet", "models"}


def test_restore_settings_reads_the_address():
    query = {"model": "esrgan-thick/4x", "patch_size": "96", "padding": "8", "reference": "1", "precision": "fast", "tab": "compare"}
    model, patch, padding, reference, precision, tabs = restore_settings(gr.Request(query_params=query))
    assert (model, patch, padding, reference, precision, tabs.selected) == ("esrgan-thick/4x", 96, 8, True, "fast", "compare")
    with pytest.warns(UserWarning, match="smallest, 16 px"):  # the server's limits apply to the address too
        assert restore_settings(gr.Request(query_params={"patch_size": "8"}))[1] == 0


def test_restore_settings_warns_about_what_it_cannot_use():
    with pytest.warns(UserWarning, match="No model called"):
        model, *_ = restore_settings(gr.Request(query_params={"model": "esrgan-thin/4x"}))
    assert model == "default-model"


def test_preloading_loads_and_traces_the_default_model():
    from explorer import DEFAULT_MODEL, Upscaler
    from explorer.app import preload_default_model
    from explorer.app.examples import BUNDLED_EXAMPLE
    from explorer.engine.loaded_models import clear_model_cache

    clear_model_cache()  # start cold, whatever ran before
    preload_default_model()
    report = Upscaler(DEFAULT_MODEL).run(str(BUNDLED_EXAMPLE)).report
    assert report.traced is False  # the starting image's shape was traced by the preload
