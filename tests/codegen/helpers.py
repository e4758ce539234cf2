"""Shared by the codegen tests: node and npm runners, snippet readers, and a spec for your own model."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from explorer import list_models
from explorer.engine.registry import ModelSpec

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"
SPECS = list_models()
IDS = [spec.id for spec in SPECS]
JS_TARGETS = ("browser", "node", "script")
UPDATE_GOLDEN = os.environ.get("UPSCALER_EXPLORER_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")

RESOLVE_JS = """
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

UMD_GLOBALS_JS = """
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


def run_node(script: Path, *args: str, cwd: Path | None = None) -> dict:
    done = subprocess.run(["node", str(script), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def npm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    return subprocess.run(["npm", *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=300, check=False)


def install_line(code: str) -> list[str]:
    (line,) = re.findall(r"^// npm install (.+)$", code, flags=re.M)
    return line.split()


def pinned_packages(words: list[str]) -> dict[str, str]:
    return dict(word.rsplit("@", 1) for word in words if not word.startswith("--"))


def inline_script(html: str) -> str:
    (body,) = re.findall(r"<script>\n(.*?)</script>", html, flags=re.S)
    return body


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"></script>', html)


def custom_spec(model_id: str, **fields) -> ModelSpec:
    defaults = {"package": "", "version": "", "integrity": "", "export": "", "path": model_id, "scale": 2, "platforms": ()}
    return ModelSpec(id=model_id, **{**defaults, **fields})
