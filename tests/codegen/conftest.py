"""Fixtures of the codegen tests: the real npm packages, and node's answers about them."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from explorer.codegen import snippets
from explorer.codegen.snippets import generate
from explorer.engine import store
from tests.codegen.helpers import RESOLVE_JS, SPECS, UMD_GLOBALS_JS, npm, run_node


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
        done = npm("pack", f"upscaler@{snippets.UPSCALER_VERSION}", "--pack-destination", str(target), cwd=target)
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
    (root / "resolve.mjs").write_text(RESOLVE_JS)
    (root / "umd.cjs").write_text(UMD_GLOBALS_JS)
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
    return run_node(node_project / "resolve.mjs", json.dumps(wanted), cwd=node_project)


@pytest.fixture(scope="module")
def umd_globals(node_project, package_dirs, upscaler_dir) -> dict[str, dict]:
    """The globals each UMD bundle a script-tag snippet loads defines, when run as a browser would."""
    files = [str(upscaler_dir / snippets.UPSCALER_UMD)]
    files += [str(package_dirs[spec.package] / spec.umd_path) for spec in SPECS]
    return run_node(node_project / "umd.cjs", *dict.fromkeys(files))
