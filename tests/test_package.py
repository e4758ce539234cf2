"""The package's shape: its public API, its layers, and modules small enough to read."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import explorer

PACKAGE = Path(explorer.__file__).parent
LAYERS = ("errors", "settings", "engine", "quality", "display", "reports", "batch", "codegen", "recommend", "app", "cli")
"""The subpackages and root modules, lowest first: each imports only those before it."""
ENTRY_POINTS = ("__init__", "__main__")
"""Root modules above every layer: the public API (lazy where heavy) and ``python -m explorer``."""


def test_the_documented_public_api_imports_from_the_top():
    from explorer import Upscaler, evaluate, list_models, snippets  # noqa: F401

    assert evaluate.__module__ == "explorer.quality.evaluate"
    assert snippets.generate("esrgan-slim/4x", "python").startswith("#")
    assert set(explorer.__all__) <= set(dir(explorer)) | {"evaluate", "snippets"}


def test_import_explorer_stays_light():
    code = "import sys, explorer; print(sorted(m for m in ('pandas', 'gradio', 'tensorflow') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, check=True)
    assert done.stdout.strip() == "[]"


def test_no_module_is_over_450_lines_and_the_root_holds_few():
    sizes = {path.relative_to(PACKAGE): len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.rglob("*.py")}
    assert {name: lines for name, lines in sizes.items() if lines > 450} == {}
    root = [path.name for path in PACKAGE.glob("*.py") if path.name not in ("__init__.py", "__main__.py")]
    assert len(root) <= 8, root


def test_exceptions_are_defined_only_in_errors_py():
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
                assert not any(b.endswith(("Error", "Exception")) for b in bases), f"{path}: {node.name}"


def _layer_of(path: Path) -> str:
    """The layer a file belongs to: its subpackage, or its own name for a root module."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _explorer_imports(tree: ast.AST) -> list[str]:
    """Every ``explorer.X`` a module imports, at any depth (imports inside functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "explorer":
            found += [f"explorer.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return [name for name in found if name.startswith("explorer.")]


def test_every_module_has_a_layer():
    tops = {_layer_of(path) for path in PACKAGE.rglob("*.py")}
    assert tops - set(LAYERS) - set(ENTRY_POINTS) == set()


def test_lower_layers_never_import_higher_ones():
    breaks = []
    for path in PACKAGE.rglob("*.py"):
        layer = _layer_of(path)
        if layer in ENTRY_POINTS:
            continue
        higher = LAYERS[LAYERS.index(layer) + 1 :]
        for name in _explorer_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if name.split(".")[1] in higher:
                breaks.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert breaks == []


def test_no_module_is_named_like_a_layer():
    # A layer's own modules (and the root's) sit one step from the layer packages, where a shared name reads as
    # that package; deeper folders name their own kinds (reports/bench/quality.py is the quality benchmark).
    layers = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    modules = [*PACKAGE.glob("*.py"), *(path for layer in layers for path in (PACKAGE / layer).glob("*.py"))]
    clashes = [str(path.relative_to(PACKAGE)) for path in modules if path.stem in layers]
    assert clashes == [], f"{clashes}: named like a package beside it; name what the module does"


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _distribution_of(module: str, providers: dict[str, list[str]]) -> str:
    """The installed distribution that provides ``module`` (``google.protobuf`` -> ``protobuf``)."""
    candidates = providers.get(module.split(".")[0], [])
    if len(candidates) > 1:  # a namespace package shared by several distributions
        folder = module.replace(".", "/") + "/"
        candidates = [
            name for name in candidates if any(str(f).startswith(folder) for f in importlib.metadata.files(name) or ())
        ]
    assert len(set(candidates)) == 1, f"{module} comes from {candidates or 'no installed distribution'}"
    return _normalized(candidates[0])


def test_every_third_party_import_is_declared_and_pinned():
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module)
    third_party = {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names | {"explorer"}}
    providers = importlib.metadata.packages_distributions()
    needed = {_distribution_of(name, providers) for name in third_party}
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [d for extra, deps in project["optional-dependencies"].items() if extra != "test" for d in deps]
    required = {_requirement_name(requirement) for requirement in project["dependencies"]}
    pins = (PACKAGE.parent / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert needed - required - {_requirement_name(requirement) for requirement in extras} == set(), (
        "imported but not in pyproject.toml's dependencies"
    )
    assert required - {_normalized(line.split("==")[0]) for line in pins if "==" in line} == set(), (
        "a runtime dependency without its pin in requirements.txt"
    )


def _requirement_name(requirement: str) -> str:
    return _normalized(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
