"""Snippets: the API (targets, languages, refusals, your own model), the command, and the golden files.

Set ``UPSCALER_EXPLORER_UPDATE_GOLDEN=1`` to rewrite ``tests/codegen/golden/`` after a
deliberate change (then read the diff).
"""

from __future__ import annotations

import pytest

from explorer.cli import main
from explorer.codegen import snippets
from explorer.codegen.snippets import TARGETS, SnippetError, generate, language
from explorer.engine import store
from explorer.engine.registry import get_spec
from explorer.errors import ModelNotFoundError, PatchSettingsError, SettingsError
from tests.codegen.helpers import (
    GOLDEN,
    JS_TARGETS,
    UPDATE_GOLDEN,
    custom_spec,
    install_line,
    script_sources,
)

# -- the API ------------------------------------------------------------------------------------------------


def test_targets_and_their_languages():
    assert TARGETS == ("browser", "node", "script", "python", "cli", "ray")
    assert [language(t) for t in TARGETS] == ["javascript", "javascript", "html", "python", "bash", "python"]
    with pytest.raises(SnippetError, match="choose one of browser, node, script, python, cli, ray"):
        language("java")


@pytest.mark.parametrize(
    ("model", "target", "settings", "error", "message"),
    [
        ("esrgan-slim/2x", "java", {}, SnippetError, "Unknown snippet target"),
        ("no-such-model", "node", {}, ModelNotFoundError, "No model called"),
        ("mine/model.json", "node", {}, SnippetError, r"Upscaler\('mine/model.json'\).spec"),
        ("esrgan-slim/2x", "node", {"patch_size": 0}, PatchSettingsError, "greater than 0"),
        ("esrgan-slim/2x", "node", {"patch_size": 8, "padding": 4}, PatchSettingsError, "too large"),
        ("esrgan-slim/2x", "node", {"warmup_sizes": [64, 0]}, SnippetError, "whole numbers above 0"),
        ("esrgan-slim/2x", "browser", {"output": "png"}, SnippetError, "base64, tensor"),
        ("esrgan-slim/2x", "python", {"precision": "bf16"}, SettingsError, "precision='bf16' is not valid"),
    ],
)
def test_bad_requests_say_what_to_do(model, target, settings, error, message):
    with pytest.raises(error, match=message):
        generate(model, target, **settings)


def test_a_keras_model_gets_python_code_and_a_hint_for_javascript():
    keras = custom_spec("mine.keras", model_type="keras")
    assert 'Upscaler("mine.keras", scale=2)' in generate(keras, "python")
    for target in JS_TARGETS:
        with pytest.raises(SnippetError, match="tensorflowjs_converter"):
            generate(keras, target)


def test_a_custom_model_without_a_known_scale_is_refused():
    with pytest.raises(SnippetError, match="scale"):
        generate(custom_spec("mine/model.json", scale=0), "browser")


def test_a_custom_model_gets_an_upscalerjs_model_definition():
    unit = {"input_range": (0.0, 1.0), "output_range": (0.0, 1.0)}
    spec = custom_spec("https://example.com/m/model.json", scale=3, divisibility_factor=8, **unit)
    browser = generate(spec, "browser")
    assert "import model from" not in browser and "const model = {" in browser
    for field in ("path: 'https://example.com/m/model.json',", "scale: 3,", "modelType: 'layers',",
                  "inputRange: [0, 1],", "outputRange: [0, 1],", "divisibilityFactor: 8,"):  # fmt: skip
        assert field in browser and field in generate(spec, "script") and field in generate(spec, "node")
    assert install_line(browser) == [f"upscaler@{snippets.UPSCALER_VERSION}", f"@tensorflow/tfjs@{snippets.TFJS_VERSION}"]
    assert len(script_sources(generate(spec, "script"))) == 2  # tfjs and upscaler: no model bundle
    local = generate(custom_spec("models/mine/model.json"), "node")
    assert "path: pathToFileURL('models/mine/model.json').href," in local  # tfjs-node needs a file:// URL
    assert "serve its model.json and weight files over HTTP" in generate(custom_spec("models/mine/model.json"), "browser")


# -- the command ------------------------------------------------------------------------------------------------


def test_snippet_command_prints_the_generated_code(capsys):
    assert main(["snippet", "-m", "esrgan-slim/4x", "-t", "script", "--patch-size", "64", "--padding", "4",
                 "--warmup-sizes", "64,128", "--progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert printed == generate("esrgan-slim/4x", "script", patch_size=64, padding=4, warmup_sizes=(64, 128), progress=True)


def test_snippet_command_reads_your_own_model_file(capsys):
    model_json = store.model_json_path(get_spec("esrgan-slim/3x"))
    assert main(["snippet", "-m", str(model_json), "-t", "browser"]) == 0
    printed = capsys.readouterr().out
    assert "scale: 3," in printed and "import model from" not in printed  # the probe found the scale


def test_snippet_command_errors_are_one_line(capsys):
    assert main(["snippet", "-m", "esrgan-slim/2x", "--patch-size", "8", "--padding", "4"]) == 2
    assert capsys.readouterr().err.startswith("error: padding=4 is too large")
    assert main(["snippet", "-m", "esrgan-slim/2x", "--scale", "2"]) == 2
    assert "for your own model files" in capsys.readouterr().err


# -- golden files ---------------------------------------------------------------------------------------------

GOLDEN_CASES = {
    "default-model.browser.js": ("default-model", "browser", {}),
    "esrgan-slim-8x.script.html": ("esrgan-slim/8x", "script", {"patch_size": 64}),
    "esrgan-slim-4x.node.cjs": (
        "esrgan-slim/4x", "node", {"patch_size": 64, "padding": 4, "warmup_sizes": [64], "progress": True},
    ),  # fmt: skip
    "pixel-upsampler-x2.browser.js": ("pixel-upsampler/x2", "browser", {"output": "tensor"}),
    "esrgan-thick-4x.python.py": ("esrgan-thick/4x", "python", {"patch_size": 128, "padding": 8, "progress": True}),
    "maxim-deraining.cli.sh": ("maxim-deraining", "cli", {"patch_size": 100, "padding": 8}),
    "custom-url.script.html": (
        custom_spec("https://example.com/models/mine/model.json", input_range=(0.0, 1.0), output_range=(0.0, 1.0)),
        "script",
        {"patch_size": 64, "padding": 4},
    ),
}


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_snippets(name):
    model, target, settings = GOLDEN_CASES[name]
    code = generate(model, target, **settings)
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(code)
    assert path.is_file(), f"{path} is missing: run with UPSCALER_EXPLORER_UPDATE_GOLDEN=1, then review it"
    assert code == path.read_text()


def test_the_ray_target_passes_the_precision_to_every_worker():
    assert 'precision="fast"' in generate("esrgan-slim/4x", "ray", precision="fast")
    assert "precision" not in generate("esrgan-slim/4x", "ray")
