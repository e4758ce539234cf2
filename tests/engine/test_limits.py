"""Work limits: what a request may ask for is checked before the model runs, and a long run stops at its deadline."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from explorer import Upscaler, get_spec
from explorer.engine import store
from explorer.engine.limits import WorkLimits
from explorer.engine.request import plan_run
from explorer.errors import WorkLimitError

IMAGE = np.random.default_rng(11).integers(0, 256, (128, 128, 3), dtype=np.uint8)


@pytest.fixture()
def fresh(tmp_path: Path) -> Upscaler:
    """esrgan-slim 2x from its own folder: a model this process has never traced, so tracing is observable."""
    shutil.copytree(store.package_dir(get_spec("esrgan-slim/2x")) / "models" / "x2", tmp_path / "x2")
    return Upscaler(tmp_path / "x2" / "model.json", scale=2)


def _traces(upscaler: Upscaler) -> int:
    return upscaler._runner.model.traced.traces


@pytest.mark.parametrize(
    ("limits", "patch_size", "padding", "message"),
    [
        (WorkLimits(), 1, 0, "Patch size 1 is below this server's smallest, 16 px"),
        (WorkLimits(max_patches=10), 16, 0, "into 64 patches; this server runs up to 10"),
        (WorkLimits(max_output_pixels=200 * 200), None, None, "would become 256×256 = 65,536 pixels; this server makes up to 40,000"),
        (WorkLimits(max_pixels=100 * 100), None, None, "This image is 128×128 = 16,384 pixels; this server takes up to 10,000 (100×100)"),
    ],
    ids=["tiny-patches", "too-many-patches", "output-too-large", "input-too-large"],
)
def test_a_request_over_the_limits_is_refused_before_the_model_runs(fresh, limits, patch_size, padding, message):
    with pytest.raises(WorkLimitError, match=re.escape(message)):
        fresh.run(IMAGE, patch_size=patch_size, padding=padding, limits=limits)
    assert _traces(fresh) == 0  # scale given, so no probe: nothing was traced or run


def test_the_advised_patch_size_fits_the_limit(fresh):
    limits = WorkLimits(max_patches=10)
    with pytest.raises(WorkLimitError, match=r"Use a patch size of about (\d+)") as caught:
        fresh.run(IMAGE, patch_size=16, padding=4, limits=limits)
    advised = int(re.search(r"about (\d+)", str(caught.value)).group(1))
    assert plan_run(fresh.spec, 128, 128, advised, 4, limits).patches <= 10
    result = fresh.run(IMAGE, patch_size=advised, padding=4, limits=limits)
    np.testing.assert_array_equal(result.image, fresh.upscale(IMAGE, patch_size=advised, padding=4))


def test_a_run_past_its_deadline_stops_between_patches(fresh):
    limits = WorkLimits(max_seconds=0.001)  # 64 patches, the first one traces: the run cannot end in time
    with pytest.raises(WorkLimitError, match=r"stopped after 0.001 s, this server's limit, with (\d+) of 64 patches done") as caught:
        fresh.run(IMAGE, patch_size=16, padding=0, limits=limits)
    assert int(re.search(r"with (\d+) of", str(caught.value)).group(1)) < 64


@pytest.mark.parametrize("field", ["min_patch_size", "max_patches", "max_output_pixels", "max_seconds", "max_pixels"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True])
def test_limits_themselves_must_be_positive_numbers(field, value):
    with pytest.raises(WorkLimitError, match=f"WorkLimits.{field} must be a number above 0"):
        WorkLimits(**{field: value})
