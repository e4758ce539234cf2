"""Snippets are right: against the real npm packages, node's own resolver and parser, and by running them.

Every registry variant is checked: its import specifiers resolve through the
package's ``exports`` (node's resolver, on the real packages), the UMD bundle a
script tag loads defines the global the snippet uses, the packages named exist
at the pinned versions, and every JavaScript snippet passes ``node --check``.
The Python and command-line snippets are run and must give the library's pixels.

Set ``UPSCALER_EXPLORER_UPDATE_GOLDEN=1`` to rewrite ``tests/codegen/golden/`` after a
deliberate change (then read the diff).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler, list_models
from explorer.cli import main
from explorer.codegen import snippets, upscalerjs
from explorer.codegen.snippets import TARGETS, SnippetError, generate, language
from explorer.engine import store
from explorer.engine.registry import ModelSpec, get_spec
from explorer.errors import ModelNotFoundError, PatchSettingsError

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"
SPECS = list_models()
IDS = [spec.id for spec in SPECS]
JS_TARGETS = ("browser", "node", "script")
UPDATE_GOLDEN = os.environ.get("UPSCALER_EXPLORER_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")

_RESOLVE_JS = """
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const describe = (value) => value && typeof value === 'object' ? {
  scale: value.scale, modelType: value.modelType, internals: value._internals,
  functions: Object.keys(value).filter((key) => typeof value[key] === 'function'),
} : typeof value;
const out = {};
for (const [specifier, mode] of JSON.parse(process.argv[2])) {
  const key = `${mode} ${specifier}`;
  try {
    if (mode === 'import') out[key] = { file: new URL(import.meta.resolve(specifier)).pathname };
    else out[key] = { file: require.resolve(specifier), value: mode === 'load' ? describe(require(specifier)) : null };
  } catch (error) {
    out[key] = { error: String(error.code || error.message) };
  }
}
console.log(JSON.stringify(out));
"""

_UMD_GLOBALS_JS = """
const vm = require('node:vm');
const fs = require('node:fs');
const out = {};
for (const file of process.argv.slice(2)) {
  const context = vm.createContext({});
  const before = new Set(Object.getOwnPropertyNames(context));
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  const describe = (value) => typeof value === 'object' ? { scale: value.scale, internals: value._internals } : typeof value;
  const added = Object.getOwnPropertyNames(context).filter((name) => !before.has(name));
  out[file] = Object.fromEntries(added.map((name) => [name, describe(context[name])]));
}
console.log(JSON.stringify(out));
"""


def _node(script: Path, *args: str, cwd: Path | None = None) -> dict:
    done = subprocess.run(["node", str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _npm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    return subprocess.run(["npm", *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=300, check=False)


def _install_line(code: str) -> list[str]:
    (line,) = re.findall(r"^// npm install (.+)$", code, flags=re.M)
    return line.split()


def _pinned_packages(words: list[str]) -> dict[str, str]:
    return dict(word.rsplit("@", 1) for word in words if not word.startswith("--"))


def _inline_script(html: str) -> str:
    (body,) = re.findall(r"<script>\n(.*?)</script>", html, flags=re.S)
    return body


def _script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"></script>', html)


# -- fixtures: the real packages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package_dirs() -> dict[str, Path]:
    """Every registry package, fetched with npm into the test cache."""
    dirs = {}
    for spec in SPECS:
        if spec.package not in dirs:
            dirs[spec.package] = store.package_dir(spec, source="npm")
            assert (dirs[spec.package] / "package.json").is_file(), f"{dirs[spec.package]} is not a whole npm package"
    return dirs


@pytest.fixture(scope="module")
def upscaler_dir(model_cache: Path) -> Path:
    """The ``upscaler`` package at the pinned version, unpacked once into the test cache."""
    target = model_cache / "snippets" / f"upscaler@{snippets.UPSCALER_VERSION}"
    if not (target / "package" / "package.json").is_file():
        target.mkdir(parents=True, exist_ok=True)
        done = _npm("pack", f"upscaler@{snippets.UPSCALER_VERSION}", "--pack-destination", str(target), cwd=target)
        assert done.returncode == 0, done.stderr
        with tarfile.open(next(target.glob("*.tgz"))) as archive:
            archive.extractall(target, filter="data")
    return target / "package"


@pytest.fixture(scope="module")
def node_project(tmp_path_factory, package_dirs, upscaler_dir) -> Path:
    """A project whose node_modules holds the real packages (links), for node's resolver."""
    root = tmp_path_factory.mktemp("project")
    modules = root / "node_modules"
    for name, directory in [*package_dirs.items(), ("upscaler", upscaler_dir)]:
        (modules / name).parent.mkdir(parents=True, exist_ok=True)
        (modules / name).symlink_to(directory, target_is_directory=True)
    (root / "resolve.mjs").write_text(_RESOLVE_JS)
    (root / "umd.cjs").write_text(_UMD_GLOBALS_JS)
    return root


@pytest.fixture(scope="module")
def resolved(node_project) -> dict[str, dict]:
    """Node's answer for every specifier the browser (import) and node (require) snippets use, by "mode specifier"."""
    requests = []
    for spec in SPECS:
        imports = re.findall(r"^import .+ from '([^']+)';$", generate(spec, "browser"), flags=re.M)
        requests += [(specifier, "import") for specifier in imports]
        for specifier in re.findall(r"require\('([^']+)'\)", generate(spec, "node")):
            requests.append((specifier, "load" if specifier.startswith("@upscalerjs/") else "require"))
    wanted = [r for r in dict.fromkeys(requests) if not r[0].startswith(("node:", "@tensorflow/"))]
    return _node(node_project / "resolve.mjs", json.dumps(wanted), cwd=node_project)


@pytest.fixture(scope="module")
def umd_globals(node_project, package_dirs, upscaler_dir) -> dict[str, dict]:
    """The globals each UMD bundle a script-tag snippet loads defines, when run as a browser would."""
    files = [str(upscaler_dir / snippets.UPSCALER_UMD)]
    files += [str(package_dirs[spec.package] / spec.umd_path) for spec in SPECS]
    return _node(node_project / "umd.cjs", *dict.fromkeys(files))


# -- the API ------------------------------------------------------------------------------------------------


def test_targets_and_their_languages():
    assert TARGETS == ("browser", "node", "script", "python", "cli")
    assert [language(t) for t in TARGETS] == ["javascript", "javascript", "html", "python", "bash"]
    with pytest.raises(SnippetError, match="choose one of browser, node, script, python, cli"):
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
    ],
)
def test_bad_requests_say_what_to_do(model, target, settings, error, message):
    with pytest.raises(error, match=message):
        generate(model, target, **settings)


def _custom(model_id: str, **fields) -> ModelSpec:
    defaults = {"package": "", "version": "", "integrity": "", "export": "", "path": model_id, "scale": 2, "platforms": ()}
    return ModelSpec(id=model_id, **{**defaults, **fields})


def test_a_keras_model_gets_python_code_and_a_hint_for_javascript():
    keras = _custom("mine.keras", model_type="keras")
    assert 'Upscaler("mine.keras", scale=2)' in generate(keras, "python")
    for target in JS_TARGETS:
        with pytest.raises(SnippetError, match="tensorflowjs_converter"):
            generate(keras, target)


def test_a_custom_model_without_a_known_scale_is_refused():
    with pytest.raises(SnippetError, match="scale"):
        generate(_custom("mine/model.json", scale=0), "browser")


def test_a_custom_model_gets_an_upscalerjs_model_definition():
    unit = {"input_range": (0.0, 1.0), "output_range": (0.0, 1.0)}
    spec = _custom("https://example.com/m/model.json", scale=3, divisibility_factor=8, **unit)
    browser = generate(spec, "browser")
    assert "import model from" not in browser and "const model = {" in browser
    for field in ("path: 'https://example.com/m/model.json',", "scale: 3,", "modelType: 'layers',",
                  "inputRange: [0, 1],", "outputRange: [0, 1],", "divisibilityFactor: 8,"):  # fmt: skip
        assert field in browser and field in generate(spec, "script") and field in generate(spec, "node")
    assert _install_line(browser) == [f"upscaler@{snippets.UPSCALER_VERSION}", f"@tensorflow/tfjs@{snippets.TFJS_VERSION}"]
    assert len(_script_sources(generate(spec, "script"))) == 2  # tfjs and upscaler: no model bundle
    local = generate(_custom("models/mine/model.json"), "node")
    assert "path: pathToFileURL('models/mine/model.json').href," in local  # tfjs-node needs a file:// URL
    assert "serve its model.json and weight files over HTTP" in generate(_custom("models/mine/model.json"), "browser")


# -- every variant: the JavaScript is real ------------------------------------------------------------------


@pytest.mark.parametrize("model_id", IDS)
def test_browser_import_is_a_real_export(model_id, package_dirs, resolved):
    spec = get_spec(model_id)
    code = generate(spec, "browser")
    specifiers = re.findall(r"^import .+ from '([^']+)';$", code, flags=re.M)
    assert specifiers == ["upscaler", spec.id]
    exports = json.loads((package_dirs[spec.package] / "package.json").read_text())["exports"]
    entry = exports["." + spec.id[len(spec.package):]]
    assert "import" in entry
    assert resolved[f"import {spec.id}"] == {"file": str((package_dirs[spec.package] / entry["import"]).resolve())}
    esm = (package_dirs[spec.package] / entry["import"]).read_text()
    assert re.search(r"^export default |^export \{[^}]*\bdefault\b", esm, flags=re.M), "the import needs a default export"


@pytest.mark.parametrize("model_id", IDS)
def test_node_require_loads_the_model_definition(model_id, resolved):
    spec = get_spec(model_id)
    code = generate(spec, "node")
    assert re.findall(r"require\('([^']+)'\)", code) == ["node:fs", "@tensorflow/tfjs-node", "upscaler/node", spec.id]
    definition = resolved[f"load {spec.id}"]["value"]
    assert definition["internals"]["name"] == spec.package and definition["internals"]["path"] == spec.path
    assert definition["modelType"] == spec.model_type and (definition.get("scale") or 1) == spec.scale
    if "--legacy-peer-deps" in _install_line(code):  # the snippet says the definition is plain data
        assert definition["functions"] == []


def test_upscaler_entry_points_resolve(resolved, upscaler_dir):
    assert resolved["import upscaler"]["file"].startswith(str(upscaler_dir.resolve()))
    assert resolved["require upscaler/node"]["file"].startswith(str(upscaler_dir.resolve()))
    manifest = json.loads((upscaler_dir / "package.json").read_text())
    assert set(manifest["exports"]["./node"]) == {"types", "require"}  # why the node snippet is CommonJS
    assert manifest["peerDependencies"]["@tensorflow/tfjs"] == snippets.UPSCALER_TFJS_PEER
    assert upscalerjs._fits(snippets.TFJS_VERSION, snippets.UPSCALER_TFJS_PEER)


@pytest.mark.parametrize("model_id", IDS)
def test_script_tags_load_bundles_that_define_the_global_used(model_id, package_dirs, upscaler_dir, umd_globals):
    spec = get_spec(model_id)
    html = generate(spec, "script")
    tfjs, model, upscaler = _script_sources(html)
    assert tfjs == f"{snippets.CDN_BASE}/@tensorflow/tfjs@{snippets.TFJS_VERSION}/{snippets.TFJS_UMD}"
    assert upscaler == f"{snippets.CDN_BASE}/upscaler@{snippets.UPSCALER_VERSION}/{snippets.UPSCALER_UMD}"
    assert model == f"{snippets.CDN_BASE}/{spec.package}@{spec.version}/{spec.umd_path}"
    entry = json.loads((package_dirs[spec.package] / "package.json").read_text())["exports"][spec.export]
    assert entry.get("umd", f"./{spec.umd_path}") == f"./{spec.umd_path}"
    defined = umd_globals[str(package_dirs[spec.package] / spec.umd_path)]
    assert list(defined) == [spec.umd_global]
    assert defined[spec.umd_global]["internals"]["path"] == spec.path
    assert f"new Upscaler({{ model: {spec.umd_global} }});" in html
    assert umd_globals[str(upscaler_dir / snippets.UPSCALER_UMD)] == {"Upscaler": "function"}


def test_the_upscaler_bundle_reads_the_tf_global_the_tfjs_tag_defines(upscaler_dir):
    header = (upscaler_dir / snippets.UPSCALER_UMD).read_text()[:1000]
    assert re.search(r"\.Upscaler=\w+\((\w+)\.DefaultUpscalerJSModel,\1\.tf,\1\.tf\)", header)
    done = _npm("view", f"@tensorflow/tfjs@{snippets.TFJS_VERSION}", "jsdelivr")
    assert done.stdout.strip() == snippets.TFJS_UMD  # the file a CDN serves for the package: the tf bundle


def test_cards_record_each_package_tfjs_peer_range(package_dirs):
    for spec in SPECS:
        manifest = json.loads((package_dirs[spec.package] / "package.json").read_text())
        assert spec.tfjs_peer == manifest["peerDependencies"]["@tensorflow/tfjs"], spec.id
        facts = spec.to_dict()
        assert (facts["umd_path"], facts["umd_global"], facts["tfjs_peer"]) == (spec.umd_path, spec.umd_global, spec.tfjs_peer)


@pytest.mark.parametrize(
    ("version", "allowed", "fits"),
    [
        ("4.11.0", "~4.11.0", True), ("4.11.9", "~4.11.0", True), ("4.12.0", "~4.11.0", False),
        ("4.11.0", "~4.8.0", False), ("4.99.0", "^4.8.0", True), ("5.0.0", "^4.8.0", False),
        ("0.2.9", "^0.2.3", True), ("0.3.0", "^0.2.3", False), ("4.11.0", "4.11.0", True), ("4.11.1", "4.11.0", False),
    ],
)  # fmt: skip
def test_peer_ranges_are_read_as_npm_does(version, allowed, fits):
    assert upscalerjs._fits(version, allowed) is fits


def test_an_unreadable_peer_range_is_an_error():
    with pytest.raises(SnippetError, match="~X.Y.Z"):
        upscalerjs._fits("4.11.0", ">=4 <5")


def _node_check(path: Path) -> str:
    done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60, check=False)
    return "" if done.returncode == 0 else f"{path.name}: {done.stderr}"


def _js_files(folder: Path, spec: ModelSpec, settings: dict, tag: str) -> list[Path]:
    name = re.sub(r"\W+", "-", spec.id) + tag
    files = {
        folder / f"{name}.browser.mjs": generate(spec, "browser", **settings),
        folder / f"{name}.node.cjs": generate(spec, "node", **settings),
        folder / f"{name}.script.cjs": _inline_script(generate(spec, "script", **settings)),  # a classic script
    }
    for path, code in files.items():
        path.write_text(code)
    return list(files)


def test_every_javascript_snippet_parses(tmp_path):
    rich = {"patch_size": 64, "padding": 4, "warmup_sizes": [64, 128], "progress": True, "output": "tensor"}
    files = []
    for spec in SPECS:
        files += _js_files(tmp_path, spec, {}, "")
    for spec in {spec.package: spec for spec in SPECS}.values():  # the settings' code is the same for every variant
        files += _js_files(tmp_path, spec, rich, "-rich")
    files += _js_files(tmp_path, _custom("models/it's mine/model.json", input_range=(0.0, 1.0)), {"patch_size": 32}, "")
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [message for message in pool.map(_node_check, files) if message]
    assert not failures, "\n".join(failures)


def test_node_check_catches_a_broken_snippet(tmp_path):
    broken = tmp_path / "broken.mjs"
    broken.write_text(generate("esrgan-slim/2x", "browser").replace("});", "});)"))
    assert "SyntaxError" in _node_check(broken)
    top_level_await = tmp_path / "script.cjs"  # a classic script cannot await outside a function
    top_level_await.write_text(_inline_script(generate("esrgan-slim/2x", "script")).replace("  main().catch(", "  await main().catch("))
    assert "SyntaxError" in _node_check(top_level_await)


# -- npm: the named packages exist, and the install lines resolve -------------------------------------------


def test_every_package_named_exists_at_its_pinned_version():
    pinned: dict[str, str] = {}
    for spec in SPECS:
        for target in ("browser", "node"):
            pinned.update(_pinned_packages(_install_line(generate(spec, target))))
        for url in _script_sources(generate(spec, "script")):
            name, version = url[len(snippets.CDN_BASE) + 1:].split("/dist/")[0].rsplit("@", 1)
            assert pinned.setdefault(name, version) == version
    assert {"upscaler", "@tensorflow/tfjs", "@tensorflow/tfjs-node"} <= set(pinned)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(zip(pinned, pool.map(lambda item: _npm("view", f"{item[0]}@{item[1]}", "version"), pinned.items())))
    for name, done in answers.items():
        assert done.returncode == 0 and done.stdout.strip() == pinned[name], f"{name}@{pinned[name]}: {done.stderr}"


def _lock(words: list[str], folder: Path) -> subprocess.CompletedProcess:
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "snippet-check", "version": "1.0.0", "private": true}')
    return _npm("install", "--package-lock-only", "--ignore-scripts", *words, cwd=folder)


@pytest.mark.parametrize("model_id", ["default-model", "pixel-upsampler/x2"])
@pytest.mark.parametrize("target", ["browser", "node"])
def test_install_line_resolves_to_one_tfjs_version(model_id, target, tmp_path):
    spec = get_spec(model_id)
    words = _install_line(generate(spec, target))
    done = _lock(words, tmp_path / "project")
    assert done.returncode == 0, done.stderr
    installed = json.loads((tmp_path / "project" / "package-lock.json").read_text())["packages"]
    assert installed["node_modules/upscaler"]["version"] == snippets.UPSCALER_VERSION
    assert installed[f"node_modules/{spec.package}"]["version"] == spec.version
    tfjs = {path: v["version"] for path, v in installed.items() if re.fullmatch(r"node_modules/@tensorflow/tfjs(-\w+)*", path)}
    assert {"node_modules/@tensorflow/tfjs", "node_modules/@tensorflow/tfjs-core"} <= set(tfjs)
    assert set(tfjs.values()) == {snippets.TFJS_VERSION}  # what upscaler and the app load: one tfjs
    if "--legacy-peer-deps" in words:  # and the flag is needed: without it npm refuses
        refused = _lock([w for w in words if w != "--legacy-peer-deps"], tmp_path / "strict")
        assert refused.returncode != 0 and "ERESOLVE" in refused.stderr


# -- comments for settings UpscalerJS warns about, and platforms ----------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_a_patch_size_without_padding_carries_a_comment(target):
    assert "seams may show" in generate("esrgan-slim/4x", target, patch_size=64)
    assert "seams may show" not in generate("esrgan-slim/4x", target, patch_size=64, padding=4)
    assert "seams may show" not in generate("esrgan-slim/4x", target, patch_size=64, padding=0)  # explicit: no warning


@pytest.mark.parametrize("model_id", IDS)
def test_node_only_models_say_so_in_browser_snippets(model_id):
    spec = get_spec(model_id)
    node_only = spec.platforms == ("node",)
    for target in ("browser", "script"):
        assert (f"UpscalerJS supports {spec.id} in Node only" in generate(spec, target)) == node_only
    assert "UpscalerJS supports" not in generate(spec, "node")


def test_the_8x_variants_are_the_node_only_ones():
    assert sorted(s.short_id for s in SPECS if s.platforms == ("node",)) == [
        "esrgan-medium/8x", "esrgan-slim/8x", "esrgan-thick/8x",
    ]  # fmt: skip


def test_other_settings_upscalerjs_warns_about():
    progress_alone = generate("esrgan-slim/2x", "browser", progress=True)
    assert "without patchSize it is never called" in progress_alone
    assert "never called" not in generate("esrgan-slim/2x", "python", progress=True)  # ours reports once
    assert "padding is ignored without patchSize" in generate("esrgan-slim/2x", "browser", padding=4)
    assert "--padding is ignored without --patch-size" in generate("esrgan-slim/2x", "cli", padding=4)
    maxim = generate("maxim-deraining", "python", patch_size=100, padding=8)
    assert "multiples of 64: patch_size 100 becomes 128" in maxim
    assert "multiples of 64" not in generate("maxim-deraining", "python", patch_size=128, padding=8)


# -- python and cli: run them -------------------------------------------------------------------------------


@pytest.fixture()
def photo_dir(tmp_path: Path) -> Path:
    Image.open(EXAMPLE).convert("RGB").crop((100, 60, 148, 100)).save(tmp_path / snippets.INPUT_FILE)  # 48x40
    return tmp_path


def _run_snippet(target: str, code: str, folder: Path) -> list[Path]:
    script = folder / ("snippet.py" if target == "python" else "snippet.sh")
    script.write_text(code)
    command = [sys.executable, script.name] if target == "python" else ["bash", script.name]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return sorted(p for p in folder.glob("*.png") if p.name != snippets.INPUT_FILE)


@pytest.mark.filterwarnings("ignore:patch_size without padding")  # the cli snippet's comment says so
@pytest.mark.parametrize(
    ("target", "model_id", "settings"),
    [
        ("python", "esrgan-slim/2x", {"patch_size": 32, "padding": 4, "warmup_sizes": [32], "progress": True}),
        ("cli", "default-model", {"patch_size": 24}),
    ],
)
def test_python_and_cli_snippets_give_the_library_output(target, model_id, settings, photo_dir):
    (written,) = _run_snippet(target, generate(model_id, target, **settings), photo_dir)
    tiling = {"patch_size": settings["patch_size"], "padding": settings.get("padding")}
    expected = Upscaler(model_id).upscale(photo_dir / snippets.INPUT_FILE, **tiling)
    assert written.name == f"photo@{get_spec(model_id).scale}x.png"
    np.testing.assert_array_equal(np.asarray(Image.open(written)), np.asarray(expected))


def test_a_custom_model_cli_snippet_gives_the_library_output(photo_dir):
    model_json = store.model_json_path(get_spec("esrgan-slim/2x"))
    spec = Upscaler(str(model_json)).spec
    code = generate(spec, "cli", patch_size=32, padding=2)
    assert f"--model {model_json} --scale 2" in code.replace(" \\\n  ", " ")
    (written,) = _run_snippet("cli", code, photo_dir)
    expected = Upscaler(str(model_json)).upscale(photo_dir / snippets.INPUT_FILE, patch_size=32, padding=2)
    np.testing.assert_array_equal(np.asarray(Image.open(written)), np.asarray(expected))


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
        _custom("https://example.com/models/mine/model.json", input_range=(0.0, 1.0), output_range=(0.0, 1.0)),
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
