"""Which models a recommendation tries, per scale, task and target (registry only: no model runs)."""

from __future__ import annotations

import pytest

from explorer.engine.registry import get_spec, list_models
from explorer.errors import ExplorerError
from explorer.recommend.candidates import TARGETS, candidates, restoration_tasks, upscaling_scales


def ids(specs):
    return [spec.short_id for spec in specs]


@pytest.mark.parametrize("target", TARGETS)
def test_each_scale_tries_the_esrgan_sizes_fastest_first(target):
    for scale in upscaling_scales(target):
        found = candidates(scale=scale, target=target)
        assert ids(found) == [f"esrgan-{size}/{scale}x" for size in ("slim", "medium", "thick") if f"esrgan-{size}/{scale}x" in ids(found)]
        assert found and all(spec.scale == scale and spec.task == "upscaling" for spec in found)
        assert all(target == "python" or target in spec.platforms for spec in found)


def test_models_upscalerjs_runs_in_node_only_are_left_out_of_the_browser():
    node_only = {spec.short_id for spec in list_models(task="upscaling") if spec.platforms == ("node",)}
    assert node_only, "the registry has node-only models (the 8x ones)"
    assert 8 not in upscaling_scales("browser") and 8 in upscaling_scales("node")
    assert set(ids(candidates(scale=8, target="python"))) == {"esrgan-slim/8x", "esrgan-medium/8x", "esrgan-thick/8x"}
    with pytest.raises(ExplorerError, match=r"scale 8 in the browser target; choose one of 2, 3, 4"):
        candidates(scale=8, target="browser")


def test_a_task_tries_its_restoration_models_and_retouching_is_refused():
    assert ids(candidates(task="deblurring")) == ["maxim-deblurring"]
    assert ids(candidates(task="dehazing", target="node")) == ["maxim-dehazing-indoor", "maxim-dehazing-outdoor"]
    assert "retouching" not in restoration_tasks() and "denoising" in restoration_tasks()
    with pytest.raises(ExplorerError, match="retouching has no synthetic degradation"):
        candidates(task="retouching")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "either a scale"),
        ({"scale": 2, "task": "denoising"}, "not both"),
        ({"scale": 2, "target": "phone"}, "Unknown target 'phone': choose one of browser, node, python"),
        ({"scale": 5}, "No upscaling model for scale 5"),
        ({"scale": 2, "models": ["esrgan-slim/4x"]}, "esrgan-slim/4x do not do scale 2"),
        ({"task": "denoising", "models": ["maxim-deblurring"]}, "do not do the denoising task"),
    ],
)
def test_bad_requests_say_what_to_give(arguments, message):
    with pytest.raises(ExplorerError, match=message):
        candidates(**arguments)


def test_given_models_replace_the_default_set_in_their_order():
    assert ids(candidates(scale=2, models=["esrgan-thick/2x", "default-model"])) == ["esrgan-thick/2x", get_spec("default-model").short_id]
