"""The Code tab: instantiation code that follows the settings."""

from __future__ import annotations

import gradio as gr
import pytest

from explorer.app.code_tab import (
    TARGET_TITLES,
    code_language,
    snippet,
    snippets_for,
    targets,
)
from explorer.codegen.snippets import TARGETS, generate


def test_every_target_gets_the_generators_code():
    status, *codes = snippets_for("esrgan-slim/4x", 64, 4, True, True)
    assert targets() == TARGETS and len(codes) == len(TARGETS)
    for target, code in zip(TARGETS, codes):
        assert code == generate("esrgan-slim/4x", target, patch_size=64, padding=4, warmup_sizes=(64,), progress=True)
    assert "esrgan-slim/4x" in status and "64 px patches with 4 px padding" in status
    assert "patchSize: 64" in codes[0] and "esrgan-slim/4x" in codes[0]


def test_whole_image_code_has_no_patch_settings():
    status, *codes = snippets_for("default-model", 0, 8, True, False)
    assert "whole image" in status and "patches only" in status
    assert all("patchSize" not in code and "--patch-size" not in code for code in codes)


def test_invalid_settings_keep_the_last_code_and_say_why():
    status, *codes = snippets_for("default-model", 64, 40, False, False)
    assert status.startswith("✗") and "twice the padding" in status
    assert all(code == gr.skip() for code in codes)


def test_the_snippet_endpoint_function():
    assert snippet("esrgan-slim/2x", "python", 48, 2) == generate("esrgan-slim/2x", "python", patch_size=48, padding=2)
    with pytest.raises(gr.Error, match="Unknown target"):
        snippet("esrgan-slim/2x", "cobol")
    with pytest.raises(gr.Error, match="twice the padding"):
        snippet("esrgan-slim/2x", "python", 8, 4)


def test_languages_map_to_code_blocks():
    assert code_language("browser") == "javascript"
    assert code_language("script") == "html"
    assert code_language("cli") == "shell"  # the generator says bash
    assert set(TARGET_TITLES) >= set(TARGETS)
