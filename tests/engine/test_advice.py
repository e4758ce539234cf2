"""Patch-size advice on real models and a real photo: budgets, valid settings, seams as measured."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage import data

from explorer import Upscaler, get_spec
from explorer.engine import advice as advice_module
from explorer.engine import store
from explorer.engine.advice import advise, seam_levels
from explorer.engine.memory import run_memory_mib
from explorer.errors import ExplorerError, WorkLimitError
from tests.helpers import SteppedClock

PHOTO = data.astronaut()[100:196, 150:246]  # 96×96 of a real photo: face and helmet edges


@pytest.fixture(scope="module")
def slim() -> Upscaler:
    return Upscaler("esrgan-slim/2x")


@pytest.fixture(scope="module")
def unbudgeted(slim):
    return advise(slim, PHOTO, patch_sizes=(32, 64))


def _max_difference(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


def test_without_a_budget_the_advice_is_the_fastest_setting_without_visible_seams(unbudgeted):
    whole = [c for c in unbudgeted.candidates if c.patch_size is None]
    assert whole and whole[0].seam_levels == 0 and whole[0].patches == 1  # the photo may run whole: no seams
    assert {c.patch_size for c in unbudgeted.candidates} == {None, 32, 64}
    clean = [c for c in unbudgeted.candidates if c.seam_levels <= 1]
    assert unbudgeted.seconds == min(c.seconds for c in clean) and unbudgeted.seam_levels <= 1
    label = "whole image" if unbudgeted.patch_size is None else f"{unbudgeted.patch_size}/{unbudgeted.padding}"
    assert unbudgeted.line.startswith(f"{label}: ") and "≈" in unbudgeted.line


def test_the_seams_reported_are_the_measured_tiled_versus_whole_difference(slim, unbudgeted):
    for candidate in unbudgeted.candidates:
        if candidate.patch_size is None or candidate.seam_levels is None:
            continue
        top, left, height, width = _box(candidate.patch_size)
        crop = PHOTO[top : top + height, left : left + width]
        tiled = slim.upscale(crop, patch_size=candidate.patch_size, padding=candidate.padding)
        assert _max_difference(tiled, slim.upscale(crop)) == candidate.seam_levels, candidate
    # A 64 px patch measures on a crop of 96 px: the whole photo, so the figure is the photo's own seams.
    sixty_four = [c for c in unbudgeted.candidates if c.patch_size == 64]
    assert sixty_four and _box(64) == (0, 0, 96, 96)
    tiled = slim.upscale(PHOTO, patch_size=64, padding=sixty_four[0].padding)
    assert _max_difference(tiled, slim.upscale(PHOTO)) == sixty_four[0].seam_levels


def _box(patch_size: int) -> tuple[int, int, int, int]:
    side = min(96, patch_size + patch_size // 2)
    return (96 - side) // 2, (96 - side) // 2, side, side


def test_padding_grows_until_the_seams_reach_the_rounding_floor(unbudgeted):
    thirty_two = [c for c in unbudgeted.candidates if c.patch_size == 32]
    assert thirty_two[0].padding == 0 and thirty_two[0].seam_levels > 1  # no context: visible seams
    assert thirty_two[-1].seam_levels <= 1  # the search stops at the first padding within tolerance
    assert all(c.seam_levels > 1 for c in thirty_two[:-1])


def test_every_advice_fits_its_time_budget(slim, unbudgeted):
    times = sorted({c.seconds for c in unbudgeted.candidates})
    for budget in times:  # the measured call times are kept for the process, so estimates repeat exactly
        advice = advise(slim, PHOTO, budget_seconds=budget, patch_sizes=(32, 64))
        assert advice.seconds <= budget
        clean = [
            c for c in unbudgeted.candidates if c.seam_levels is not None and c.seam_levels <= 1 and c.seconds <= budget
        ]
        if clean:
            assert advice.seam_levels <= 1 and advice.seconds == min(c.seconds for c in clean)
    with pytest.raises(ExplorerError, match="No patch size fits .* s for .* takes ≈.* s. Raise the time budget"):
        advise(slim, PHOTO, budget_seconds=times[0] / 2, patch_sizes=(32, 64))


def test_a_memory_budget_rules_out_the_calls_that_need_more(slim):
    image = data.astronaut()[:256, :256]
    measured = run_memory_mib(slim.spec, [(64, 64), (256, 256)])
    assert measured[(256, 256)] > measured[(64, 64)] > 0  # a fresh process: bigger inputs need more
    budget = (measured[(64, 64)] + measured[(256, 256)]) / 2
    advice = advise(slim, image, budget_memory_mib=budget, patch_sizes=(64,))
    assert advice.patch_size == 64 and advice.memory_mib == measured[(64, 64)] <= budget
    assert "MiB" in advice.line
    whole = [c for c in advice.candidates if c.patch_size is None]
    assert whole and whole[0].memory_mib == measured[(256, 256)] > budget


def test_a_memory_budget_nothing_fits_is_said_in_memory(slim):
    import re

    with pytest.raises(ExplorerError) as refused:
        advise(slim, PHOTO, budget_memory_mib=1e-9, patch_sizes=(32,))
    message = str(refused.value)
    assert message.startswith("No patch size fits 1e-09 MiB for this 96×96 image") and "memory budget" in message
    assert " s." not in message and "time budget" not in message  # nothing about seconds: time was not the limit
    assert re.search(r"the one needing the least memory, .*, takes ≈\d+ MiB\.", message) or "needs more than" in message


def test_settings_respect_the_models_divisibility(tmp_path):
    model_json = store.package_dir(get_spec("esrgan-slim/2x")) / "models" / "x2" / "model.json"
    picky = Upscaler(str(model_json), divisibility_factor=32)
    image = data.astronaut()[:80, :112]
    advice = advise(picky, image, budget_seconds=60, patch_sizes=(24, 32, 48, 64, 96))
    sizes = {c.patch_size for c in advice.candidates} - {None}
    assert sizes == {32, 64, 96}  # 24 and 48 are not multiples of 32
    assert all(2 * c.padding < c.patch_size for c in advice.candidates if c.patch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a setting the model cannot take would warn that it was rounded
        for candidate in advice.candidates:
            picky.upscale(image, patch_size=candidate.patch_size, padding=candidate.padding)


def test_seam_levels_is_zero_for_a_setting_that_is_the_whole_image(slim):
    assert seam_levels(slim, PHOTO, 96, 0) == 0  # one patch covering everything


@pytest.mark.parametrize("budget", [0, -1.5])
def test_budgets_must_be_positive(slim, budget):
    with pytest.raises(ExplorerError, match="must be above 0"):
        advise(slim, PHOTO, budget_seconds=budget)


def test_measuring_stops_at_its_time_limit_between_two_measurements(slim, monkeypatch):
    said, clock = [], SteppedClock()
    monkeypatch.setattr(advice_module, "time", clock)  # the clock the time limit reads

    def slow_status(message: str) -> None:
        said.append(message)
        clock.advance(0.3)  # the measurement that follows is outside the limit

    with pytest.raises(WorkLimitError, match=r"stopped after 0\.2 s"):
        advise(slim, PHOTO, patch_sizes=(32, 64), status=slow_status, max_seconds=0.2)
    assert len(said) == 1  # one measurement started in time; none after the limit
