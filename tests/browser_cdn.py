"""A CDN for browser tests: requests to jsdelivr and unpkg answered from real npm packages on disk.

Chromium's requests to the CDNs are routed (Playwright's ``page.route``) to
packages installed with the ``npm`` client into the test cache, so the page
loads the very files a CDN would serve, and no test depends on the network.
"""

from __future__ import annotations

import json
import mimetypes
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from explorer.app.browser_run import CDNS
from explorer.engine import store
from explorer.engine.registry import list_models

CDN_PATTERNS = [f"{base}/**" for _, base in CDNS]
"""Playwright URL patterns of every CDN the app and the snippets use."""

CHROMIUM = Path("/usr/bin/chromium")
"""The browser the tests drive (Debian's package; CI installs it)."""

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]  # fmt: skip
"""No GPU here: WebGL goes through SwiftShader, Chromium's software renderer (it must be allowed explicitly)."""

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
)


def npm(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the ``npm`` client quietly (no audit, funding or update notices)."""
    quiet = {"npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}
    return subprocess.run(
        ["npm", *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **quiet}, timeout=600, check=False
    )


def installed(folder: Path, *installs: list[str]) -> Path:
    """``folder/node_modules`` after ``npm install <words>`` for each of ``installs``, in order; done once, then reused.

    A ``.done`` file holding the commands marks a complete install, so an
    interrupted one is redone.
    """
    done = folder / ".done"
    wanted = json.dumps(installs)
    if done.is_file() and done.read_text() == wanted:
        return folder / "node_modules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "explorer-browser-test", "version": "1.0.0", "private": true}')
    for words in installs:
        answer = npm("install", *words, cwd=folder)
        assert answer.returncode == 0, answer.stderr
    done.write_text(wanted)
    return folder / "node_modules"


def package_roots(node_modules: Path) -> dict[str, Path]:
    """Every npm package the page may ask a CDN for: those in ``node_modules`` and every registry model package."""
    roots = {}
    for manifest in [*node_modules.glob("*/package.json"), *node_modules.glob("@*/*/package.json")]:
        roots[json.loads(manifest.read_text())["name"]] = manifest.parent
    for spec in list_models():
        roots.setdefault(spec.package, store.package_dir(spec, source="npm"))
    return roots


def _split(rest: str) -> tuple[str, str, str]:
    """``@scope/name@1.0.0/dist/x.js`` → ``("@scope/name", "1.0.0", "dist/x.js")``."""
    parts = rest.split("/")
    count = 2 if rest.startswith("@") else 1
    name, _, version = "/".join(parts[:count]).rpartition("@")
    return name, version, "/".join(parts[count:])


def cdn_handler(roots: dict[str, Path], log: list[str] | None = None) -> Callable:
    """A ``page.route`` handler that serves ``<cdn>/<package>@<version>/<path>`` from ``roots``.

    A package or version that is not installed, or a missing file, gets a 404,
    as from a CDN. Every URL served is appended to ``log``.
    """

    def handle(route) -> None:
        url = route.request.url.split("?", 1)[0]
        rest = next(url[len(base) + 1 :] for _, base in CDNS if url.startswith(base + "/"))
        name, version, path = _split(rest)
        root = roots.get(name)
        file = (root / path).resolve() if root else None
        ok = (
            root is not None
            and json.loads((root / "package.json").read_text())["version"] == version
            and file.is_file()
            and file.is_relative_to(root.resolve())
        )
        if not ok:
            route.fulfill(status=404, body=f"not found: {rest}", headers={"access-control-allow-origin": "*"})
            return
        if log is not None:
            log.append(url)
        kind = (
            "application/wasm"
            if file.suffix == ".wasm"
            else mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        route.fulfill(
            status=200, body=file.read_bytes(), headers={"content-type": kind, "access-control-allow-origin": "*"}
        )

    return handle
