"""Settings read from the page address."""

from __future__ import annotations

import pytest

from explorer.app.urlstate import (
    TABS,
    UPDATE_URL_JS,
    UrlSettings,
    address_settings,
    settings_from_query,
    tab_url_js,
)
from explorer.engine.limits import WorkLimits


def test_an_empty_address_gives_the_defaults():
    assert settings_from_query({}) == UrlSettings()
    assert settings_from_query({}).model == "default-model"


def test_the_address_restores_model_patch_padding_and_tab():
    settings = settings_from_query(
        {"model": "@upscalerjs/esrgan-slim/4x", "patch_size": "64", "padding": "4", "tab": "code"}
    )
    assert (settings.model, settings.patch_size, settings.padding, settings.tab) == ("esrgan-slim/4x", 64, 4, "code")
    assert settings.problems == ()


@pytest.mark.parametrize(
    ("query", "expected", "problem"),
    [
        ({"model": "esrgan-slim/5x"}, UrlSettings(), "No model called"),
        ({"patch_size": "sixty"}, UrlSettings(), "must be a whole number"),
        ({"patch_size": "64", "padding": "40"}, UrlSettings(), "twice the padding"),
        ({"padding": "-3"}, UrlSettings(), "negative"),
        ({"patch_size": "100000", "padding": "4"}, UrlSettings(), "out of range"),
        ({"patch_size": "NaN"}, UrlSettings(), "not a number"),
        ({"patch_size": "inf"}, UrlSettings(), "out of range"),
        ({"patch_size": "3.5"}, UrlSettings(), "use 3 or 4"),
        ({"patch_size": "64", "padding": "1e300"}, UrlSettings(), "out of range"),
        ({"patch_size": "-10", "padding": "200"}, UrlSettings(), "negative"),
        ({"tab": "settings"}, UrlSettings(), "no tab"),
    ],
)
def test_bad_values_fall_back_with_a_reason(query, expected, problem):
    settings = settings_from_query(query)
    assert settings == expected
    assert len(settings.problems) == 1 and problem in settings.problems[0]


def test_padding_alone_is_dropped_with_the_whole_image():
    assert settings_from_query({"padding": "8"}) == UrlSettings(padding=8)


def test_browser_code_names_every_setting_and_tab():
    for name in ("model", "patch_size", "padding", "reference", "replaceState"):
        assert name in UPDATE_URL_JS
    for tab in TABS:
        assert f'"tab", "{tab}"' in tab_url_js(tab)
    with pytest.raises(ValueError):
        tab_url_js("nowhere")


def test_address_problems_are_plain_text_for_the_page():
    problem = settings_from_query({"model": "esrgan-slim/5x"}).problems[0]
    assert "`" not in problem and "python -m" not in problem and "Pick one from the Model list." in problem


def test_the_address_restores_reference_mode_and_refuses_what_the_server_would():
    assert settings_from_query({"reference": "1"}).reference is True
    assert settings_from_query({"reference": "0"}) == UrlSettings()
    odd = settings_from_query({"reference": "maybe"})
    assert odd == UrlSettings() and "reference" in odd.problems[0]
    small = settings_from_query({"patch_size": "8", "padding": "2"}, WorkLimits(min_patch_size=16))
    assert small == UrlSettings() and "smallest, 16 px" in small.problems[0]


@pytest.mark.parametrize(
    ("patch", "padding", "expected"),
    [
        (0, 0, {"model": "esrgan-slim/4x", "patch_size": 0, "padding": 0, "reference": True, "precision": "exact"}),
        (64, 4, {"model": "esrgan-slim/4x", "patch_size": 64, "padding": 4, "reference": True, "precision": "exact"}),
        ("", 7, {"model": "esrgan-slim/4x", "patch_size": 0, "padding": 0, "reference": True, "precision": "exact"}),  # padding needs patches
        (3.5, 0, None),
        (99999, 4, None),
        (-1, 0, None),
        (64, 40, None),
        (8, 2, None),  # below the server's smallest patch
        ("sixty", 0, None),
    ],
)
def test_only_settings_the_server_accepts_go_into_the_address(patch, padding, expected):
    assert address_settings("@upscalerjs/esrgan-slim/4x", patch, padding, True, limits=WorkLimits(min_patch_size=16)) == expected


def test_precision_enters_the_address_only_when_valid():
    assert address_settings("default-model", 0, 0, False, "fast")["precision"] == "fast"
    assert address_settings("default-model", 0, 0, False, "half") is None
    assert settings_from_query({"precision": "fast"}).precision == "fast"
    assert "exact is used" in settings_from_query({"precision": "half"}).problems[0]


def test_an_unknown_model_keeps_the_address_as_it_is():
    assert address_settings("esrgan-slim/5x", 0, 0, False) is None
