"""Shared fixtures: a persistent model cache (real packages fetched with npm) and test images."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Where OpenVINO is installed, "auto" measures it against TensorFlow per model in the background; the suite
# does that in tests/engine/test_runtimes.py only, so the other tests don't each convert their models.
os.environ.setdefault("UPSCALER_EXPLORER_RUNTIME", "tensorflow")

_DEFAULT_TEST_CACHE = Path(os.environ.get("UPSCALER_EXPLORER_TEST_CACHE", Path.home() / ".cache" / "upscaler-explorer-tests"))
# Set for the whole session too, so module- and session-scoped fixtures never touch a user's real cache.
os.environ["UPSCALER_EXPLORER_CACHE"] = str(_DEFAULT_TEST_CACHE)


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """A cache shared by the whole session so each real package is fetched once.

    Set ``UPSCALER_EXPLORER_TEST_CACHE`` to move it. Tests that damage a cache
    must use their own ``tmp_path`` instead.
    """
    _DEFAULT_TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return _DEFAULT_TEST_CACHE


@pytest.fixture(autouse=True)
def _isolated_cache_env(monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> None:
    """Point the library at the shared test cache, online, unless a test says otherwise."""
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(model_cache))
    monkeypatch.delenv("UPSCALER_EXPLORER_OFFLINE", raising=False)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, once per session (see tests/installed.py)."""
    from tests.installed import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium with software WebGL (:data:`tests.browser_cdn.CHROMIUM_ARGS`), shared by a module's pages."""
    from playwright.sync_api import sync_playwright

    from tests.browser_cdn import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class CliRun:
    """What a command printed and its exit status, like :class:`subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliRun]:
    """Run the command line in this process: ``cli("upscale", "a.png", cwd=folder)``, through ``explorer.cli.main``.

    The same parsing, checks, handlers and exit statuses as ``python -m explorer``, without starting Python and
    TensorFlow again for each case; argparse's usage errors come back as status 2 with their message.
    """
    from explorer.cli import main

    def run(*args: str, cwd: Path | None = None) -> CliRun:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()  # only what this command prints
        shown = warnings.showwarning  # main() prints warnings its own way; the test's warnings stay pytest's
        try:
            status = main(list(args), prog="python -m explorer")
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 2
        finally:
            warnings.showwarning = shown
        out, err = capsys.readouterr()
        return CliRun(status, out, err)

    return run


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for every Ray test of the session: 2 CPUs, a small object store, no dashboard.

    Its workers import this checkout's ``explorer``; other processes join it through ``RAY_ADDRESS``
    (``ray.get_runtime_context().gcs_address``). Stopped at the end of the session.
    """
    import ray

    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), before]))
    try:
        ray.init(num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False, log_to_driver=False)
    finally:  # the Ray processes have it now
        os.environ.pop("PYTHONPATH") if before is None else os.environ.__setitem__("PYTHONPATH", before)
    try:
        yield ray
    finally:
        ray.shutdown()
