"""UpscalerJS snippets are right, for every registry variant: against the real npm packages and node itself.

Import specifiers resolve through the package's ``exports`` (node's resolver,
on the real packages), the UMD bundle a script tag loads defines the global the
snippet uses, the packages named exist at the pinned versions, every
JavaScript snippet passes ``node --check``, and settings UpscalerJS warns
about carry a comment.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from explorer.codegen import snippets, upscalerjs
from explorer.codegen.snippets import TARGETS, SnippetError, generate
from explorer.engine.registry import ModelSpec, get_spec
from tests.codegen.helpers import (
    IDS,
    SPECS,
    custom_spec,
    inline_script,
    install_line,
    npm,
    pinned_packages,
    script_sources,
)

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
    if "--legacy-peer-deps" in install_line(code):  # the snippet says the definition is plain data
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
    tfjs, model, upscaler = script_sources(html)
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
    done = npm("view", f"@tensorflow/tfjs@{snippets.TFJS_VERSION}", "jsdelivr")
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
        folder / f"{name}.script.cjs": inline_script(generate(spec, "script", **settings)),  # a classic script
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
    files += _js_files(tmp_path, custom_spec("models/it's mine/model.json", input_range=(0.0, 1.0)), {"patch_size": 32}, "")
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [message for message in pool.map(_node_check, files) if message]
    assert not failures, "\n".join(failures)


def test_node_check_catches_a_broken_snippet(tmp_path):
    broken = tmp_path / "broken.mjs"
    broken.write_text(generate("esrgan-slim/2x", "browser").replace("});", "});)"))
    assert "SyntaxError" in _node_check(broken)
    top_level_await = tmp_path / "script.cjs"  # a classic script cannot await outside a function
    top_level_await.write_text(inline_script(generate("esrgan-slim/2x", "script")).replace("  main().catch(", "  await main().catch("))
    assert "SyntaxError" in _node_check(top_level_await)


# -- npm: the named packages exist, and the install lines resolve -------------------------------------------


def test_every_package_named_exists_at_its_pinned_version():
    pinned: dict[str, str] = {}
    for spec in SPECS:
        for target in ("browser", "node"):
            pinned.update(pinned_packages(install_line(generate(spec, target))))
        for url in script_sources(generate(spec, "script")):
            name, version = url[len(snippets.CDN_BASE) + 1:].split("/dist/")[0].rsplit("@", 1)
            assert pinned.setdefault(name, version) == version
    assert {"upscaler", "@tensorflow/tfjs", "@tensorflow/tfjs-node"} <= set(pinned)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(zip(pinned, pool.map(lambda item: npm("view", f"{item[0]}@{item[1]}", "version"), pinned.items())))
    for name, done in answers.items():
        assert done.returncode == 0 and done.stdout.strip() == pinned[name], f"{name}@{pinned[name]}: {done.stderr}"


def _lock(words: list[str], folder: Path) -> subprocess.CompletedProcess:
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "snippet-check", "version": "1.0.0", "private": true}')
    return npm("install", "--package-lock-only", "--ignore-scripts", *words, cwd=folder)


@pytest.mark.parametrize("model_id", ["default-model", "pixel-upsampler/x2"])
@pytest.mark.parametrize("target", ["browser", "node"])
def test_install_line_resolves_to_one_tfjs_version(model_id, target, tmp_path):
    spec = get_spec(model_id)
    words = install_line(generate(spec, target))
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
