"""The package's shape: its public API, its layers, and modules small enough to read."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import explorer

PACKAGE = Path(explorer.__file__).parent
LAYERS = ("engine", "quality", "reports", "codegen", "app", "cli")  # each imports only those before it, or errors/settings


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


def test_lower_layers_never_import_higher_ones():
    for rank, layer in enumerate(LAYERS):
        higher = LAYERS[rank + 1 :]
        for path in (PACKAGE / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    parts = name.split(".")
                    assert not (parts[0] == "explorer" and len(parts) > 1 and parts[1] in higher), f"{path} imports {name}"


def test_no_module_is_named_like_a_layer():
    # A layer's own modules (and the root's) sit one step from the layer packages, where a shared name reads as
    # that package; deeper folders name their own kinds (reports/bench/quality.py is the quality benchmark).
    layers = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    modules = [*PACKAGE.glob("*.py"), *(path for layer in layers for path in (PACKAGE / layer).glob("*.py"))]
    clashes = [str(path.relative_to(PACKAGE)) for path in modules if path.stem in layers]
    assert clashes == [], f"{clashes}: named like a package beside it; name what the module does"
