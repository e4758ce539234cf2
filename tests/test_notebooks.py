"""The notebooks run top to bottom on a fresh kernel, as users run them, and the committed copies carry their outputs.

Each notebook is copied into a temporary folder outside the checkout and
executed there (nothing is written into ``notebooks/``) by a kernel in a new
virtual environment made from the installed wheel (tests/installed.py), with
no import path pointing at the checkout, and with
``UPSCALER_EXPLORER_NOTEBOOK_QUICK=1`` so the notebooks use small images and
few settings. Their first cell installs what is missing (a no-op there); one
test runs the quick start in an environment without the package, from a copy
of a clone, where that first cell installs it. Any cell error fails the test.
Real models, real images, real TensorFlow: nothing is mocked.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from tests.installed import REPO, copy_source, make_env

NOTEBOOKS = REPO / "notebooks"
NAMES = ("01_quickstart.ipynb", "02_patch_size_and_padding.ipynb", "03_choosing_a_model.ipynb")
MAX_BYTES = 1_500_000
"""Committed notebooks stay small enough to open and diff (embedded pictures are kept small)."""
CELL_TIMEOUT_S = 600
KERNEL_NAME = "upscaler-explorer-tests"


def kernel_specs(python: Path, folder: Path) -> KernelSpecManager:
    """A kernelspec that starts ipykernel with ``python`` (a made environment's), whatever else is installed."""
    spec_dir = folder / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Upscaler Explorer tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(folder)])


@pytest.fixture(scope="module")
def installed_kernel(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """A kernel in an environment made from the installed wheel."""
    folder = tmp_path_factory.mktemp("installed")
    return kernel_specs(make_env(folder / "venv", wheel), folder / "kernels")


@pytest.fixture
def quick_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the kernel inherits: quick mode, and nothing that points imports at the checkout."""
    monkeypatch.setenv("UPSCALER_EXPLORER_NOTEBOOK_QUICK", "1")
    monkeypatch.delenv("PYTHONPATH", raising=False)


def _execute(source: Path, workdir: Path, kernel_specs: KernelSpecManager) -> nbformat.NotebookNode:
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / source.name
    shutil.copy(source, copy)
    notebook = nbformat.read(copy, as_version=4)
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs)
    resources = {"metadata": {"path": str(workdir)}}  # the kernel's working folder
    client = NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT_S, resources=resources)
    client.execute()  # raises CellExecutionError on the first failing cell
    nbformat.write(notebook, copy)
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def _has_image(notebook: nbformat.NotebookNode) -> bool:
    return any("image/png" in output.get("data", {}) for output in _outputs(notebook))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom_from_the_installed_package(
    name: str, tmp_path: Path, installed_kernel: KernelSpecManager, quick_env: None
):
    before = (NOTEBOOKS / name).read_bytes()
    executed = _execute(NOTEBOOKS / name, tmp_path / "notebooks", installed_kernel)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    assert not [o for o in _outputs(executed) if o.output_type == "error"]
    assert _has_image(executed), "every notebook shows pictures or plots"
    assert (NOTEBOOKS / name).read_bytes() == before, "the test must not write into notebooks/"


def test_first_cell_installs_the_package_from_a_clone(tmp_path: Path, quick_env: None):
    """No package in the environment: the quick start's first cell installs the clone it sits in, then runs."""
    clone = copy_source(tmp_path / "clone")
    python = make_env(tmp_path / "venv")
    missing = subprocess.run([str(python), "-c", "import explorer"], capture_output=True, cwd=tmp_path)
    assert missing.returncode != 0  # the environment starts without it
    executed = _execute(NOTEBOOKS / NAMES[0], clone / "notebooks", kernel_specs(python, tmp_path / "kernels"))
    assert not [o for o in _outputs(executed) if o.output_type == "error"] and _has_image(executed)
    where = "import explorer, sys; print(explorer.__file__)"
    installed = subprocess.run([str(python), "-c", where], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert Path(installed.stdout.strip()).is_relative_to(tmp_path / "venv")  # installed, not imported from the clone


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_have_a_setup_cell_and_no_import_path_hack(name: str):
    code = [cell.source for cell in nbformat.read(NOTEBOOKS / name, as_version=4).cells if cell.cell_type == "code"]
    assert 'importlib.util.find_spec("explorer") is None' in code[0] and "pip" in code[0]
    assert not any("sys.path" in source for source in code)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_carries_outputs_and_stays_small(name: str):
    path = NOTEBOOKS / name
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert path.stat().st_size < MAX_BYTES, f"{name} is {path.stat().st_size:,} bytes; shrink its pictures"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count is not None for cell in code_cells), "run it, then save it"
    counts = [cell.execution_count for cell in code_cells]
    assert counts == list(range(1, len(counts) + 1)), "outputs must come from one run, top to bottom, on a fresh kernel"
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.output_type == "error"]
    assert _has_image(notebook)
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "quick run" not in streams, "the committed outputs must come from a full run, not quick mode"


def test_readme_links_every_notebook():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Notebooks", 1)[1].split("\n## ", 1)[0]
    linked = set(re.findall(r"\]\((notebooks/[^)]+\.ipynb)\)", section))
    assert linked == {f"notebooks/{name}" for name in NAMES}
