"""The Upscale tab's timing table on real models: every row a disjoint part of the total, for a first and a warm run.

A first run (the model's files checked, the model loaded and traced) and the
warm run after it, of default-model, esrgan-slim/4x and a MAXIM model: the
parts shown add up to the total shown, the first run names what was one-off,
and only a first run has a load and a tracing call.
"""

from __future__ import annotations

import re

import pytest

from explorer.app.upscale import upscale
from explorer.engine.loaded_models import clear_model_cache

from .conftest import crop_png

_SECONDS = re.compile(r"^(\d+(?:\.\d+)?) (ms|s)$")


def _seconds(text: str) -> tuple[float, float]:
    """A shown time in seconds, and half its last shown digit (the rounding it may carry)."""
    value, unit = _SECONDS.match(text.strip("* ")).groups()
    digits = len(value.split(".")[1]) if "." in value else 0
    scale = 0.001 if unit == "ms" else 1.0
    return float(value) * scale, 0.5 * 10**-digits * scale


def _table(markdown: str) -> dict[str, tuple[float, float]]:
    rows = [line.split("|")[1:3] for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    return {step.strip("* "): _seconds(time) for step, time in rows[1:]}


def _adds_up(markdown: str) -> dict[str, tuple[float, float]]:
    table = _table(markdown)
    total, total_slack = table.pop("Total")
    parts = sum(value for value, _ in table.values())
    slack = total_slack + sum(half for _, half in table.values())
    assert abs(parts - total) <= slack, f"parts {parts} s, total {total} s:\n{markdown}"
    return table


@pytest.mark.parametrize("model", ["default-model", "esrgan-slim/4x", "maxim-dehazing-indoor"])
def test_first_and_warm_runs_add_up_to_their_totals(tmp_path, model):
    photo = crop_png(tmp_path, 64, 64)
    clear_model_cache()
    first = upscale(str(photo), model, 0, 0, False, None)
    warm = upscale(str(photo), model, 0, 0, False, None)

    first_rows = _adds_up(first.timings)
    assert first_rows["Model load"][0] > 0 and "First model call" in first_rows and "Warm run" in first_rows
    assert "One-off in this run: load" in first.timings and "tracing about" in first.timings
    warm_rows = _adds_up(warm.timings)
    assert warm_rows["Model load"][0] == 0 and "First model call" not in warm_rows and "Warm run" not in warm_rows
    assert "Nothing one-off in this run" in warm.timings


class _Steps:
    """Stands in for gr.Progress: keeps each description shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def __call__(self, progress, desc=None, total=None, unit="steps"):
        self.shown.append(desc or "")


def test_a_model_the_memory_budget_let_go_says_so_when_it_is_loaded_again(tmp_path, monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_MODEL_CACHE_MB", "1")  # less than two models' weights: one stays
    photo = crop_png(tmp_path, 32, 32)
    clear_model_cache()
    upscale(str(photo), "default-model", 0, 0, False, None)
    upscale(str(photo), "esrgan-slim/4x", 0, 0, False, None)
    steps = _Steps()
    again = upscale(str(photo), "default-model", 0, 0, False, steps)
    assert "reloaded: this server keeps 1 model in memory (up to 1.0 MB of them)" in again.timings
    assert any(text.startswith("Reloading default-model") for text in steps.shown)
    monkeypatch.setenv("UPSCALER_EXPLORER_MODEL_CACHE_MB", "100000")
    assert "reloaded" not in upscale(str(photo), "default-model", 0, 0, False, None).timings  # in memory now
