"""The loaded-model cache: real models kept within a memory budget, and a reload after eviction said as such."""

from __future__ import annotations

import pytest

from explorer.engine import store
from explorer.engine.loaded_models import cache_state, clear_model_cache, load_model, was_evicted
from explorer.engine.registry import get_spec

BUDGET = "UPSCALER_EXPLORER_MODEL_CACHE_MB"


@pytest.fixture
def two_models(model_cache):
    """The files of two small real models (default-model: 0.89 MB of float32 weights; esrgan-slim/4x: more)."""
    paths = [store.model_json_path(get_spec(name)) for name in ("default-model", "esrgan-slim/4x")]
    clear_model_cache()
    yield paths
    clear_model_cache()


def test_models_within_the_budget_stay_loaded(monkeypatch, two_models):
    monkeypatch.setenv(BUDGET, "100000")
    (first, _), (second, _) = (load_model(path) for path in two_models)
    assert cache_state().models == 2 and cache_state().budget_bytes == 100000 * 2**20
    assert cache_state().memory_bytes == first.memory_bytes + second.memory_bytes
    for loaded in (first, second):
        assert loaded.memory_bytes >= 4 * loaded.file.parameters and not loaded.reloaded
    assert load_model(two_models[0]) == (first, False)  # the same load, shared


def test_over_the_budget_the_oldest_goes_and_its_reload_says_so(monkeypatch, two_models):
    monkeypatch.setenv(BUDGET, "1")  # 1 MiB: less than both models' weights together, so one must go
    old, new = two_models
    first, loaded_now = load_model(old)
    assert loaded_now
    assert cache_state().models == 1  # the newest always stays, even alone over the budget
    load_model(new)
    assert cache_state().models == 1 and was_evicted(old) and not was_evicted(new)
    again, loaded_now = load_model(old)
    assert loaded_now and again is not first and again.reloaded and not was_evicted(old) and was_evicted(new)
    clear_model_cache()
    assert not load_model(new)[0].reloaded  # cleared on purpose: a first load again
