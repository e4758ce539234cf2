"""The start of every request from the page: one decode, one plan, one lookup of the model's files per run."""

from __future__ import annotations

from collections import Counter

import gradio as gr
import pytest
from PIL import Image

from explorer.app.api import api_evaluate, api_upscale
from explorer.app.compare import compare
from explorer.app.config import AppConfig
from explorer.app.request import page_notes, preflight, start_request
from explorer.app.upscale import upscale
from explorer.engine import images, request, store


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How often a run decodes an image, plans its patches and looks up its model's files (the real functions, counted)."""
    calls: Counter = Counter()
    for module, name, key in (
        (images, "_channels", "decodes"),  # every decode of a file, bytes or PIL image into pixels
        (request, "plan_run", "plans"),  # settings settled, limits checked, patches planned
        (store, "model_json_path", "lookups"),  # a registry model's files found and verified
    ):
        real = getattr(module, name)

        def wrapper(*args, _real=real, _key=key, **kwargs):
            calls[_key] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.mark.parametrize("reference", [False, True])
def test_an_upscale_decodes_plans_and_looks_up_once(photo, counted, reference):
    upscale(str(photo), "esrgan-slim/2x", 32, 4, reference, None)
    assert counted == {"decodes": 1, "plans": 1, "lookups": 1}


def test_the_api_decodes_plans_and_looks_up_once(photo, counted):
    api_upscale(str(photo), "esrgan-slim/2x", 32, 4)
    assert counted == {"decodes": 1, "plans": 1, "lookups": 1}
    counted.clear()
    api_evaluate(str(photo), "esrgan-slim/2x", 0, 0)
    assert counted == {"decodes": 1, "plans": 1, "lookups": 1}


def test_a_comparison_decodes_once_for_every_model(photo, counted):
    compare(str(photo), ["esrgan-slim/2x", "pixel-upsampler/x2"], 0, 0, True, None)
    assert counted == {"decodes": 1, "plans": 2, "lookups": 2}


def test_the_checks_before_a_run_decode_nothing(photo, counted):
    check = preflight(str(photo), "esrgan-slim/2x", 32, 4, config=AppConfig())
    assert check.run is not None and check.run.patches == 6 and counted["decodes"] == 0


def test_reference_mode_runs_the_shrunk_copy_and_keeps_the_original(tmp_path):
    hr = tmp_path / "hr.png"
    Image.new("RGB", (67, 50), (200, 100, 50)).save(hr)
    page = start_request(str(hr), "esrgan-slim/2x", 0, 0, reference=True, config=AppConfig())
    assert page.scoring and page.reference.shape == (50, 66, 3) and page.request.image.size == (33, 25)
    one = start_request(str(hr), next(s.short_id for s in _restoration()), 0, 0, reference=True, config=AppConfig())
    assert not one.scoring and one.request.image.size == (67, 50)  # nothing to score: runs the image as it is


def test_page_padding_zero_gets_the_seams_note(photo):
    page = start_request(str(photo), "esrgan-slim/2x", 32, 0, config=AppConfig())
    assert [note.kind for note in page.request.notes] == ["seams"] and page.request.run.padding == 0
    assert page_notes(page.request.notes, page.spec)[0].startswith("Patch size without padding: seams may show")


def test_an_evaluation_needs_an_upscaling_model(photo):
    with pytest.raises(gr.Error, match="reference mode needs an upscaling model"):
        api_evaluate(str(photo), next(s.short_id for s in _restoration()), 0, 0)


def _restoration():
    from explorer import list_models

    return [spec for spec in list_models() if spec.scale == 1] or pytest.skip("no restoration model in the registry")


def test_the_notes_name_the_model_when_rounding():
    from explorer import list_models

    maxim = next((spec for spec in list_models() if spec.divisibility_factor == 64), None) or pytest.skip("no such model")
    check = preflight(None, maxim.short_id, 100, 4, config=AppConfig(), require_image=False)  # the settings alone
    assert page_notes(check.notes, maxim) == [f"{maxim.short_id} needs sides that are multiples of 64: patch size 100 becomes 128."]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "Add an image first"), (b"", "This file is empty"), (b"<!doctype html><p>hi</p>", "not an image the app can read")],
    ids=["none", "empty", "not-an-image"],
)
def test_the_check_before_a_run_refuses_an_upload_as_the_run_does(tmp_path, content, message):
    from explorer.app.pictures import read_image

    path = None
    if content is not None:
        path = tmp_path / "upload.png"
        path.write_bytes(content)
    with pytest.raises(gr.Error) as by_run:
        read_image(path and str(path), AppConfig())
    with pytest.raises(gr.Error) as by_check:
        preflight(path and str(path), "default-model", 0, 0, config=AppConfig())
    assert message in by_run.value.message and by_check.value.message == by_run.value.message


def test_the_live_check_decodes_an_upload_once_however_often_it_is_asked(photo, counted):
    from explorer.app.upscale import settings_status

    for patch_size in (0, 16, 32, 48):
        assert settings_status(str(photo), "default-model", patch_size, 4).startswith("✓")
    assert counted["decodes"] == 1
    Image.new("RGB", (40, 30)).save(photo)  # a new file at the same path: checked again
    assert settings_status(str(photo), "default-model", 0, 0).startswith("✓") and counted["decodes"] == 2
