"""UpscalerJS code: an ES module for the browser, a Node program, and CDN script tags."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

from explorer.codegen.common import (
    CDN_BASE,
    INPUT_FILE,
    TFJS_UMD,
    TFJS_VERSION,
    UPSCALER_TFJS_PEER,
    UPSCALER_UMD,
    UPSCALER_VERSION,
    Settings,
    comment,
    html_comment,
    output_file,
    platform_note,
    setting_notes,
    sizes_list,
    upscale_options,
    wrapped,
)
from explorer.engine.registry import ModelSpec
from explorer.errors import SnippetError

__all__ = ["browser", "node", "script"]


def _fits(version: str, allowed: str) -> bool:
    """Whether ``version`` (``X.Y.Z``) is in an npm range ``~X.Y.Z``, ``^X.Y.Z`` or ``X.Y.Z``."""
    match = re.fullmatch(r"([~^]?)(\d+)\.(\d+)\.(\d+)", allowed.strip())
    if not match:
        raise SnippetError(f"Cannot read the peer-dependency range {allowed!r}: write it as ~X.Y.Z, ^X.Y.Z or X.Y.Z.")
    operator, low = match.group(1), tuple(int(n) for n in match.groups()[1:])
    value = tuple(int(n) for n in version.split("."))
    if operator == "~":
        return low <= value < (low[0], low[1] + 1, 0)
    if operator == "^":
        first = next((i for i, n in enumerate(low) if n), 2)
        return low <= value < tuple(n + 1 if i == first else (n if i < first else 0) for i, n in enumerate(low))
    return value == low


def _peer_conflict(spec: ModelSpec) -> bool:
    return bool(spec.tfjs_peer) and not _fits(TFJS_VERSION, spec.tfjs_peer)


def _install(spec: ModelSpec, tfjs_package: str) -> list[str]:
    packages = [f"upscaler@{UPSCALER_VERSION}", f"{tfjs_package}@{TFJS_VERSION}"]
    if not spec.is_custom:
        packages.append(f"{spec.package}@{spec.version}")
    flag = " --legacy-peer-deps" if _peer_conflict(spec) else ""
    lines = [f"// npm install {' '.join(packages)}{flag}"]
    if flag:
        lines += comment(
            f"--legacy-peer-deps: {spec.package}@{spec.version} asks for @tensorflow/tfjs {spec.tfjs_peer}, "
            f"upscaler@{UPSCALER_VERSION} for {UPSCALER_TFJS_PEER}; the model definition is plain data, "
            f"so it works with {TFJS_VERSION}.",
            "//",
        )
    return lines


def _js_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _custom_model_path(spec: ModelSpec) -> str:
    if spec.id.startswith(("http://", "https://")) or spec.id.endswith(".json"):
        return spec.id
    return f"{spec.id.rstrip('/')}/{PurePath(spec.path).name}"


def _check_js_model(spec: ModelSpec) -> None:
    if spec.is_custom and spec.model_type not in ("layers", "graph"):
        raise SnippetError(
            f"UpscalerJS loads TF.js models only, and {spec.id} is a {spec.model_type} file: convert it with "
            "tensorflowjs_converter and use its model.json, or choose the python or cli target."
        )


def _custom_definition(spec: ModelSpec, path_code: str, indent: str) -> list[str]:
    fields = [
        f"path: {path_code}",
        f"scale: {spec.scale}",
        f"modelType: {_js_str(spec.model_type)}",
        f"inputRange: [{spec.input_range[0]:g}, {spec.input_range[1]:g}]",
        f"outputRange: [{spec.output_range[0]:g}, {spec.output_range[1]:g}]",
    ]
    if spec.divisibility_factor:
        fields.append(f"divisibilityFactor: {spec.divisibility_factor}")
    return [f"{indent}const model = {{", *(f"{indent}  {f}," for f in fields), f"{indent}}};"]


def _browser_custom_model(spec: ModelSpec, indent: str = "") -> list[str]:
    if spec.id.startswith(("http://", "https://")):
        text = "Your model: UpscalerJS fetches its model.json and weight files from this URL."
    else:
        text = "Your model: serve its model.json and weight files over HTTP, and give their URL here."
    note = comment(text, "//", indent)
    return [*note, *_custom_definition(spec, _js_str(_custom_model_path(spec)), indent)]


def _constructor(model_code: str, s: Settings, indent: str) -> list[str]:
    options = ["model" if model_code == "model" else f"model: {model_code}"]
    if s.warmup_sizes:
        options.append(f"warmupSizes: {sizes_list(s.warmup_sizes)}")
    return wrapped("const upscaler = new Upscaler({", options, "});", indent, pad=" ")


def _upscale_call(spec: ModelSpec, s: Settings, image_code: str, output: str, indent: str) -> list[str]:
    output_option = [f"output: {_js_str(output)}"] if output != "base64" else []
    options = [*output_option, *upscale_options(s, "javascript")]
    notes = [line for note in setting_notes(spec, s, "javascript") for line in comment(note, "//", indent)]
    head = f"const upscaled = await upscaler.upscale({image_code}"
    if not options:
        return [*notes, f"{indent}{head});"]
    return [*notes, *wrapped(f"{head}, {{", options, "});", indent, pad=" ")]


def _show_result(output: str, indent: str) -> list[str]:
    if output == "base64":
        lines = [
            "// upscaled is a PNG data URL.",
            "const result = document.createElement('img');",
            "result.src = upscaled;",
            "document.body.append(result);",
        ]
    else:
        lines = [
            "// upscaled is a tensor of floats in [0, 255]: round them to show the pixels the PNG output has.",
            "const pixels = tf.tidy(() => upscaled.round().toInt());",
            "const canvas = document.createElement('canvas');",
            "await tf.browser.toPixels(pixels, canvas);",
            "tf.dispose([upscaled, pixels]);",
            "document.body.append(canvas);",
        ]
    return [f"{indent}{line}" for line in lines]


def _program(model_code: str, s: Settings, body: Sequence[str], indent: str, on_error: Sequence[str]) -> list[str]:
    """The upscaler, then ``body`` (indented one step more) in an async ``main`` that is called.

    No top-level ``await``: bundlers' default targets and CommonJS refuse it.
    ``main()`` gets a ``.catch`` running ``on_error``: an unhandled rejection
    is easy to miss.
    """
    return [
        *_constructor(model_code, s, indent),
        "",
        f"{indent}async function main() {{",
        *body,
        f"{indent}}}",
        "",
        f"{indent}main().catch((error) => {{",
        *(f"{indent}  {line}" for line in on_error),
        f"{indent}}});",
    ]


_SHOW_ERROR = (
    "// Show the failure (a blocked CDN, an image that did not load) on the page, not only in the console.",
    "console.error(error);",
    "document.body.append(`Upscaling failed: ${error.message}`);",
)
_EXIT_ON_ERROR = ("console.error(error);", "process.exitCode = 1;")

_SCRIPT_NOTE = (
    "No bundler needed: these tags load the packages' UMD bundles from a CDN (under a strict "
    "Content-Security-Policy, serve those files yourself too)."
)
_BUNDLER_NOTE = (
    "An ES module that imports packages by name, and UpscalerJS's own files import each other without file "
    "extensions, so browsers cannot load it as it is, even with an import map. Save it as app.js, bundle it "
    "with esbuild (Vite works too) and load bundle.js with a <script> tag. No bundler? Use the script-tag code."
)
_BUNDLE_COMMANDS = ("npm install --save-dev esbuild", "npx esbuild app.js --bundle --outfile=bundle.js")


def _self_hosted_path(spec: ModelSpec) -> str:
    return f"/models/{spec.short_id}/model.json"


def _weights_note(spec: ModelSpec, model_code: str, copy_from: str, *, npm: bool, indent: str = "") -> list[str]:
    """Where a registry model's weights come from at run time, and how to serve them yourself."""
    path = _self_hosted_path(spec)
    text = (
        "The model's weights are not in the bundle: when the page runs, UpscalerJS fetches them from a CDN "
        f"(cdn.jsdelivr.net, then unpkg.com){', even after npm install' if npm else ''}. "
        "To serve them yourself (offline, intranet, "
        f"a strict Content-Security-Policy), copy {copy_from} to your site's {PurePath(path).parent}/ "
        "and give UpscalerJS their URL:"
    )
    code = f"new Upscaler({{ model: {{ ...{model_code}, path: {_js_str(path)} }} }})"
    return [*comment(text, "//", indent), f"{indent}//   {code}"]


def _page_body(spec: ModelSpec, s: Settings, model_code: str, indent: str = "") -> list[str]:
    inner = indent + "  "
    image_note = "The image: a URL (same origin or CORS-enabled), an <img> element or a tensor."
    body = [
        *comment(image_note, "//", inner),
        *_upscale_call(spec, s, _js_str(INPUT_FILE), s.output, inner),
        *_show_result(s.output, inner),
    ]
    return _program(model_code, s, body, indent, _SHOW_ERROR)


def browser(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = platform_note(spec, "browser")
    lines = [*(comment(note, "//") if note else []), *_install(spec, "@tensorflow/tfjs")]
    lines += [*comment(_BUNDLER_NOTE, "//"), *(f"//   {command}" for command in _BUNDLE_COMMANDS)]
    lines.append("import Upscaler from 'upscaler';")
    if s.output == "tensor":
        lines.append("import * as tf from '@tensorflow/tfjs';")
    if spec.is_custom:
        lines += ["", *_browser_custom_model(spec)]
    else:
        lines.append(f"import model from {_js_str(spec.id)};")
        folder = f"node_modules/{spec.package}/{PurePath(spec.path).parent}/"
        lines += ["", *_weights_note(spec, "model", folder, npm=True)]
    return [*lines, "", *_page_body(spec, s, "model")]


def script(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = platform_note(spec, "browser")
    lines = [*(html_comment(note) if note else []), *html_comment(_SCRIPT_NOTE)]
    lines.append(f'<script src="{CDN_BASE}/@tensorflow/tfjs@{TFJS_VERSION}/{TFJS_UMD}"></script>')
    if not spec.is_custom:
        if not (spec.umd_path and spec.umd_global):
            raise SnippetError(
                f"The card of {spec.id} does not name its UMD bundle: add an 'upscalerjs' key with 'umd' and "
                "'global' to that variant, or choose the browser target."
            )
        lines.append(f'<script src="{CDN_BASE}/{spec.package}@{spec.version}/{spec.umd_path}"></script>')
    lines += [f'<script src="{CDN_BASE}/upscaler@{UPSCALER_VERSION}/{UPSCALER_UMD}"></script>', "<script>"]
    if spec.is_custom:
        lines += [*_browser_custom_model(spec, "  "), ""]
    else:
        folder = f"the folder {PurePath(spec.path).parent}/ of {spec.package}@{spec.version}"
        lines += [*_weights_note(spec, spec.umd_global, folder, npm=False, indent="  "), ""]
    model_code = "model" if spec.is_custom else spec.umd_global
    return [*lines, *_page_body(spec, s, model_code, "  "), "</script>"]


def node(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = platform_note(spec, "node")
    lines = [
        *(comment(note, "//") if note else []),
        *_install(spec, "@tensorflow/tfjs-node"),
        "// CommonJS, as upscaler/node is a require-only export: save as upscale.cjs, run `node upscale.cjs`.",
        "const fs = require('node:fs');",
    ]
    local = spec.is_custom and not spec.id.startswith(("http://", "https://"))
    if local:
        lines.append("const { pathToFileURL } = require('node:url');")
    lines += ["const tf = require('@tensorflow/tfjs-node');", "const Upscaler = require('upscaler/node');"]
    if spec.is_custom:
        path_code = f"pathToFileURL({_js_str(_custom_model_path(spec))}).href" if local else _js_str(spec.id)
        lines += ["", "// Your model.", *_custom_definition(spec, path_code, "")]
    else:
        lines.append(f"const model = require({_js_str(spec.id)});")
    indent = "  "
    body = [
        f"{indent}const image = tf.node.decodeImage(fs.readFileSync({_js_str(INPUT_FILE)}), 3);",
        *_upscale_call(spec, s, "image", "tensor", indent),
        f"{indent}// upscaled holds floats in [0, 255]: round them, or encodePng truncates them.",
        f"{indent}const pixels = upscaled.round();",
        f"{indent}fs.writeFileSync({_js_str(output_file(spec))}, await tf.node.encodePng(pixels));",
        f"{indent}tf.dispose([image, upscaled, pixels]);",
    ]
    return [*lines, "", *_program("model", s, body, "", _EXIT_ON_ERROR)]
