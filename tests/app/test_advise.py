"""The Advise button's handler: real model, real photo, bounded by the server's time limit like every request."""

from __future__ import annotations

import gradio as gr
import pytest
from PIL import Image
from skimage import data

from explorer.app.advise import advise_settings
from explorer.app.config import AppConfig
from explorer.engine import advice
from tests.helpers import SteppedClock


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "face.png"
    Image.fromarray(data.astronaut()[100:196, 150:246]).save(path)
    return str(path)


def test_advice_fills_in_valid_settings_and_says_why(photo):
    patch, padding, line = advise_settings(photo, "esrgan-slim/2x", 0, 0, None)
    assert patch == 0 or 2 * padding < patch
    assert line.startswith("**Advice** for `esrgan-slim/2x` on this image: ")


def test_advice_is_stopped_at_the_servers_time_limit(photo, monkeypatch):
    said, clock = [], SteppedClock()
    monkeypatch.setattr(advice, "time", clock)  # the clock advice's time limit reads

    def slow_progress(_fraction, desc: str = "", **_gradio_options) -> None:  # gr.Progress also takes total, unit
        said.append(desc)
        if desc.startswith("Timing"):
            clock.advance(1.2)  # the next measurement would start after the 1 s limit

    with pytest.raises(gr.Error, match=r"stopped after 1 s"):
        advise_settings(photo, "esrgan-slim/2x", 0, 0, slow_progress, config=AppConfig(max_seconds=1))
    assert sum(desc.startswith(("Timing", "Measuring")) for desc in said) == 1
