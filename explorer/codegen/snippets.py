"""Instantiation code for a model and its settings, ready to copy.

Five targets, in display order (:data:`TARGETS`):

* ``browser`` — UpscalerJS as an ES module: the ``npm install`` line, the
  model imported by its package export path, the upscale call, and the result
  shown on the page;
* ``node`` — UpscalerJS in Node (``upscaler/node`` with
  ``@tensorflow/tfjs-node``), reading and writing image files;
* ``script`` — CDN ``<script>`` tags for TensorFlow.js, the model's UMD bundle
  and UpscalerJS, using the global name the model's bundle defines;
* ``python`` — this project's Python API;
* ``cli`` — this project's command line.

A model you brought (a TF.js ``model.json``) gets an UpscalerJS model
definition object (``path``, ``scale``, ``modelType``, ranges) instead of a
package import. Settings UpscalerJS would warn about, and models it supports
on one platform only, carry a comment saying so.

Examples
--------
>>> print(generate("esrgan-slim/4x", "python", patch_size=64, padding=4))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable, Iterable, Sequence

from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.resolve import is_model_file
from explorer.engine.tiling import patch_notes, validate_patch_settings
from explorer.errors import SnippetError
from explorer.settings import DEFAULT_CDNS

__all__ = [
    "CDN_BASE",
    "OUTPUTS",
    "TARGETS",
    "TFJS_VERSION",
    "UPSCALER_VERSION",
    "SnippetError",
    "generate",
    "language",
]

TARGETS = ("browser", "node", "script", "python", "cli")
"""Snippet targets, in display order."""

OUTPUTS = ("base64", "tensor")
"""UpscalerJS result forms: a PNG data URL, or a tensor."""

UPSCALER_VERSION = "1.0.0"
"""The ``upscaler`` (UpscalerJS) version the snippets pin."""

UPSCALER_TFJS_PEER = "~4.11.0"
"""``upscaler@UPSCALER_VERSION``'s peer-dependency range on ``@tensorflow/tfjs``."""

TFJS_VERSION = "4.11.0"
"""The ``@tensorflow/tfjs`` (and ``@tensorflow/tfjs-node``) version the snippets pin."""

CDN_BASE = DEFAULT_CDNS[0]
"""Where script tags load npm packages from (UpscalerJS fetches model weights from it too)."""

UPSCALER_UMD = "dist/browser/umd/upscaler.min.js"
"""UpscalerJS's UMD bundle inside its package; it defines the global ``Upscaler``."""

TFJS_UMD = "dist/tf.min.js"
"""TensorFlow.js's UMD bundle inside its package; it defines the global ``tf``."""

INPUT_FILE = "photo.png"
"""The image every snippet reads."""

_LANGUAGES = {"browser": "javascript", "node": "javascript", "script": "html", "python": "python", "cli": "bash"}
_WIDTH = 100
_PLACES = {"browser": "browsers", "node": "Node"}
_SETTING_NAMES = {
    "javascript": ("patchSize", "padding"),
    "python": ("patch_size", "padding"),
    "bash": ("--patch-size", "--padding"),
}
_SETUP_NOTE = "In a checkout of Upscaler Explorer, with its requirements installed."
_PROGRESS = {
    "javascript": "(amount) => console.log(`${Math.round(amount * 100)}%`)",
    "python": 'lambda done, total: print(f"patch {done} of {total}")',
}


@dataclass(frozen=True)
class Settings:
    """Validated upscale settings, as :func:`generate` takes them.

    Attributes
    ----------
    patch_size, padding : int or None
        UpscalerJS's ``patchSize`` and ``padding`` (None: not given).
    warmup_sizes : tuple of int
        Patch sides to warm the model up for.
    progress : bool
        Report progress after each patch.
    output : str
        The JavaScript result form, one of :data:`OUTPUTS`.
    """

    patch_size: int | None = None
    padding: int | None = None
    warmup_sizes: tuple[int, ...] = ()
    progress: bool = False
    output: str = "base64"


def language(target: str) -> str:
    """The language of a target's snippet, for syntax highlighting.

    Parameters
    ----------
    target : str
        One of :data:`TARGETS`.

    Returns
    -------
    str
        ``"javascript"``, ``"html"``, ``"python"`` or ``"bash"``.

    Raises
    ------
    SnippetError
        If the target is unknown.
    """
    return _LANGUAGES[_checked_target(target)]


def generate(
    model: str | ModelSpec,
    target: str,
    *,
    patch_size: int | None = None,
    padding: int | None = None,
    warmup_sizes: Iterable[int] = (),
    progress: bool = False,
    output: str = "base64",
) -> str:
    """The code that sets up ``model`` with these settings and upscales an image.

    Parameters
    ----------
    model : str or ModelSpec
        A registry id or alias, or a spec; for your own model file, the spec of
        the loaded model (``Upscaler("path/to/model.json").spec``), whose scale
        is known.
    target : str
        One of :data:`TARGETS`.
    patch_size, padding : int, optional
        UpscalerJS's ``patchSize`` and ``padding``; unset, the whole image is
        upscaled at once.
    warmup_sizes : iterable of int, optional
        Patch sides to warm the model up for before the first upscale
        (UpscalerJS's ``warmupSizes``; ignored by the ``cli`` target, which runs
        once).
    progress : bool, default False
        Report progress after each patch (the ``cli`` target always shows a
        progress bar).
    output : {"base64", "tensor"}, default "base64"
        The result form UpscalerJS returns in the ``browser`` and ``script``
        targets. The ``node`` target always asks for a tensor (it writes a PNG
        file); ``python`` and ``cli`` produce an image.

    Returns
    -------
    str
        The snippet, ending in a newline.

    Raises
    ------
    SnippetError
        Unknown target or output, bad warm-up sizes, a model file UpscalerJS
        cannot load (Keras), or a model given as a path instead of a spec.
    PatchSettingsError
        ``patch_size``/``padding`` break UpscalerJS's rules.
    ModelNotFoundError
        No registry model has that name.
    """
    build = _BUILDERS[_checked_target(target)]
    spec = _resolve(model)
    settings = _settings(patch_size, padding, warmup_sizes, progress, output)
    return "\n".join(build(spec, settings)) + "\n"


# -- inputs -------------------------------------------------------------------------------------------------


def _checked_target(target: str) -> str:
    if target not in TARGETS:
        raise SnippetError(f"Unknown snippet target {target!r}: choose one of {', '.join(TARGETS)}.")
    return target


def _resolve(model: str | ModelSpec) -> ModelSpec:
    if isinstance(model, str) and is_model_file(model):
        raise SnippetError(
            f"{model} is a model file, not a registry id: pass the spec of the loaded model, "
            f"generate(Upscaler({model!r}).spec, ...), so its scale is known."
        )
    spec = get_spec(model)
    if spec.is_custom and spec.scale < 1:
        raise SnippetError(
            f"The scale of {spec.id} is not known yet: pass the spec of the loaded model "
            "(Upscaler(path).spec), or give the scale."
        )
    return spec


def _settings(
    patch_size: int | None, padding: int | None, warmup_sizes: Iterable[int], progress: bool, output: str
) -> Settings:
    validate_patch_settings(patch_size, padding)  # warnings become comments in the snippet instead
    sizes = tuple(warmup_sizes)
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise SnippetError(f"Warm-up sizes are patch sides in pixels, whole numbers above 0; got {list(sizes)}.")
    if output not in OUTPUTS:
        raise SnippetError(f"Unknown output {output!r}: choose one of {', '.join(OUTPUTS)}.")
    return Settings(
        patch_size=None if patch_size is None else int(patch_size),
        padding=None if padding is None else int(padding),
        warmup_sizes=sizes,
        progress=bool(progress),
        output=output,
    )


# -- comments -----------------------------------------------------------------------------------------------


def _comment(text: str, prefix: str, indent: str = "") -> list[str]:
    lead = f"{indent}{prefix} "
    return textwrap.wrap(text, width=_WIDTH, initial_indent=lead, subsequent_indent=lead, break_on_hyphens=False)


def _html_comment(text: str) -> list[str]:
    return textwrap.wrap(f"<!-- {text} -->", width=_WIDTH, break_on_hyphens=False)


def _platform_note(spec: ModelSpec, platform: str) -> str | None:
    if not spec.platforms or platform in spec.platforms:
        return None
    where = " and ".join(_PLACES.get(p, p) for p in spec.platforms)
    other = "node" if platform == "browser" else "browser"
    return f"UpscalerJS supports {spec.id} in {where} only, not in {_PLACES[platform]}: use the {other} snippet."


def _setting_notes(spec: ModelSpec, s: Settings, lang: str) -> list[str]:
    patch, padding = _SETTING_NAMES[lang]
    warns = "UpscalerJS warns" if lang == "javascript" else "it warns, as UpscalerJS does"
    advice = patch_notes(s.patch_size, s.padding, divisibility_factor=spec.divisibility_factor)
    notes = [note.text(patch, padding, because="" if note.kind == "padding-ignored" else warns) for note in advice]
    if lang == "javascript" and s.progress and s.patch_size is None:
        notes.append("progress is called after each patch: without patchSize it is never called (UpscalerJS warns).")
    return notes


# -- npm ----------------------------------------------------------------------------------------------------


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
        lines += _comment(
            f"--legacy-peer-deps: {spec.package}@{spec.version} asks for @tensorflow/tfjs {spec.tfjs_peer}, "
            f"upscaler@{UPSCALER_VERSION} for {UPSCALER_TFJS_PEER}; the model definition is plain data, "
            f"so it works with {TFJS_VERSION}.",
            "//",
        )
    return lines


# -- JavaScript pieces --------------------------------------------------------------------------------------


def _js_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _wrapped(head: str, items: Sequence[str], tail: str, indent: str, pad: str = "", step: str = "  ") -> list[str]:
    """``head item, item tail`` on one line if it fits, else one item per line (indented by ``step``)."""
    one_line = f"{indent}{head}{pad}{', '.join(items)}{pad}{tail}"
    if len(one_line) <= _WIDTH:
        return [one_line]
    return [f"{indent}{head}", *(f"{indent}{step}{item}," for item in items), f"{indent}{tail}"]


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
    note = _comment(text, "//", indent)
    return [*note, *_custom_definition(spec, _js_str(_custom_model_path(spec)), indent)]


def _constructor(model_code: str, s: Settings, indent: str) -> list[str]:
    options = ["model" if model_code == "model" else f"model: {model_code}"]
    if s.warmup_sizes:
        options.append(f"warmupSizes: {_sizes_list(s.warmup_sizes)}")
    return _wrapped("const upscaler = new Upscaler({", options, "});", indent, pad=" ")


def _upscale_options(s: Settings, lang: str) -> list[str]:
    """The patch size, padding and progress arguments, as ``name: value`` (JavaScript) or ``name=value``."""
    patch, padding = _SETTING_NAMES[lang]
    values = [(patch, s.patch_size), (padding, s.padding), ("progress", _PROGRESS[lang] if s.progress else None)]
    separator = ": " if lang == "javascript" else "="
    return [f"{name}{separator}{value}" for name, value in values if value is not None]


def _sizes_list(sizes: Sequence[int]) -> str:
    return f"[{', '.join(str(n) for n in sizes)}]"


def _upscale_call(spec: ModelSpec, s: Settings, image_code: str, output: str, indent: str) -> list[str]:
    output_option = [f"output: {_js_str(output)}"] if output != "base64" else []
    options = [*output_option, *_upscale_options(s, "javascript")]
    notes = [line for note in _setting_notes(spec, s, "javascript") for line in _comment(note, "//", indent)]
    head = f"const upscaled = await upscaler.upscale({image_code}"
    if not options:
        return [*notes, f"{indent}{head});"]
    return [*notes, *_wrapped(f"{head}, {{", options, "});", indent, pad=" ")]


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
    return [*_comment(text, "//", indent), f"{indent}//   {code}"]


def _page_body(spec: ModelSpec, s: Settings, model_code: str, indent: str = "") -> list[str]:
    inner = indent + "  "
    image_note = "The image: a URL (same origin or CORS-enabled), an <img> element or a tensor."
    body = [
        *_comment(image_note, "//", inner),
        *_upscale_call(spec, s, _js_str(INPUT_FILE), s.output, inner),
        *_show_result(s.output, inner),
    ]
    return _program(model_code, s, body, indent, _SHOW_ERROR)


def _output_file(spec: ModelSpec) -> str:
    stem, suffix = INPUT_FILE.rsplit(".", 1)
    return f"{stem}@{spec.scale}x.{suffix}"


# -- targets ------------------------------------------------------------------------------------------------


def _browser(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = _platform_note(spec, "browser")
    lines = [*(_comment(note, "//") if note else []), *_install(spec, "@tensorflow/tfjs")]
    lines += [*_comment(_BUNDLER_NOTE, "//"), *(f"//   {command}" for command in _BUNDLE_COMMANDS)]
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


def _script(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = _platform_note(spec, "browser")
    lines = [*(_html_comment(note) if note else []), *_html_comment(_SCRIPT_NOTE)]
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


def _node(spec: ModelSpec, s: Settings) -> list[str]:
    _check_js_model(spec)
    note = _platform_note(spec, "node")
    lines = [
        *(_comment(note, "//") if note else []),
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
        f"{indent}fs.writeFileSync({_js_str(_output_file(spec))}, await tf.node.encodePng(pixels));",
        f"{indent}tf.dispose([image, upscaled, pixels]);",
    ]
    return [*lines, "", *_program("model", s, body, "", _EXIT_ON_ERROR)]


def _python(spec: ModelSpec, s: Settings) -> list[str]:
    model_args = [json.dumps(spec.id if spec.is_custom else spec.short_id), *_python_custom_args(spec)]
    call_args = [json.dumps(INPUT_FILE), *_upscale_options(s, "python")]
    lines = [*_comment(_SETUP_NOTE, "#"), "from explorer import Upscaler", ""]
    lines += _wrapped("upscaler = Upscaler(", model_args, ")", "", step="    ")
    if s.warmup_sizes:
        lines.append(f"upscaler.warmup({_sizes_list(s.warmup_sizes)})")
    lines += [line for note in _setting_notes(spec, s, "python") for line in _comment(note, "#")]
    lines += _wrapped("image = upscaler.upscale(", call_args, ")", "", step="    ")
    return [*lines, f"image.save({json.dumps(_output_file(spec))})"]


def _python_custom_args(spec: ModelSpec) -> list[str]:
    if not spec.is_custom:
        return []
    args = [f"scale={spec.scale}"]
    if spec.input_range != (0.0, 255.0):
        args.append(f'input_range="{spec.input_range[0]:g},{spec.input_range[1]:g}"')
    if spec.divisibility_factor:
        args.append(f"divisibility_factor={spec.divisibility_factor}")
    return args


def _cli(spec: ModelSpec, s: Settings) -> list[str]:
    groups = [
        ["python", "-m", "explorer", "upscale", INPUT_FILE],
        ["-o", _output_file(spec)],
        ["--model", spec.id if spec.is_custom else spec.short_id],
    ]
    if spec.is_custom:
        groups.append(["--scale", str(spec.scale)])
        if spec.input_range != (0.0, 255.0):
            groups.append(["--input-range", f"{spec.input_range[0]:g},{spec.input_range[1]:g}"])
        if spec.divisibility_factor:
            groups.append(["--divisibility", str(spec.divisibility_factor)])
    if s.patch_size is not None:
        groups.append(["--patch-size", str(s.patch_size)])
    if s.padding is not None:
        groups.append(["--padding", str(s.padding)])
    notes = [line for note in _setting_notes(spec, s, "bash") for line in _comment(note, "#")]
    return [*_comment(_SETUP_NOTE, "#"), *notes, *_shell_command(groups)]


def _shell_command(groups: Sequence[Sequence[str]]) -> list[str]:
    """Quoted words on one line if they fit; else the options after the first two groups on
    continuation lines, packed per group."""
    quoted = [" ".join(shlex.quote(word) for word in group) for group in groups]
    if len(" ".join(quoted)) <= _WIDTH:
        return [" ".join(quoted)]
    lines = [" ".join(quoted[:2]), ""]
    for words in quoted[2:]:
        if lines[-1] and len(lines[-1]) + len(words) + 5 > _WIDTH:
            lines.append("")
        lines[-1] = f"{lines[-1]} {words}".strip()
    return [lines[0] + " \\", *(f"  {line} \\" for line in lines[1:-1]), f"  {lines[-1]}"]


_BUILDERS: dict[str, Callable[[ModelSpec, Settings], list[str]]] = {
    "browser": _browser,
    "node": _node,
    "script": _script,
    "python": _python,
    "cli": _cli,
}
