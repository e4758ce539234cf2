"""The browser snippets, as printed, run in Chromium and give the explorer's pixels.

For the ``browser`` target (an ES module): its ``npm install`` line and the
bundling its comment prescribes (``npm install --save-dev esbuild``, then
``npx esbuild app.js --bundle --outfile=bundle.js``) are run as printed, in a
project cached in the test cache (installed once per install line). For the
``script`` target: the HTML as printed. The page is served from a made-up
origin; CDN requests (the script tags' bundles, and the weights UpscalerJS
fetches at run time) are answered from the npm packages (see
:mod:`tests.browser_cdn`). The snippet's own code appends the result image;
the test compares it with :class:`explorer.Upscaler`'s output.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.codegen.snippets import INPUT_FILE, generate
from explorer.engine.registry import get_spec
from tests.browser_cdn import (
    CDN_PATTERNS,
    cdn_handler,
    installed,
    needs_chromium,
    package_roots,
)

pytestmark = needs_chromium

EXAMPLE = Path(__file__).resolve().parents[2] / "explorer" / "examples" / "astronaut.png"
SITE = "http://snippet.test"
CASES = {
    "default-model": ("default-model", {}),
    "esrgan-slim-4x-32-4": ("esrgan-slim/4x", {"patch_size": 32, "padding": 4, "warmup_sizes": [32], "progress": True}),
}


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / INPUT_FILE
    Image.open(EXAMPLE).convert("RGB").crop((30, 20, 94, 68)).save(path)  # 64×48 of a real photo
    return path


def _install_words(code: str) -> list[str]:
    (line,) = re.findall(r"^// npm install (.+)$", code, flags=re.MULTILINE)
    return line.split()


def _comments(code: str) -> str:
    """The text of the snippet's ``//`` comments, as one line."""
    return " ".join(line.strip()[3:] for line in code.splitlines() if line.strip().startswith("// "))


def _bundling_commands(code: str) -> list[list[str]]:
    """The commands the ES module's comment says to bundle it with, as printed."""
    commands = re.findall(r"^//   (npm install .+|npx esbuild .+)$", code, flags=re.MULTILINE)
    assert len(commands) == 2, "the browser snippet no longer says how to bundle it"
    return [shlex.split(command) for command in commands]


def _project(model_cache: Path, code: str) -> tuple[Path, list[str]]:
    """The snippet's npm project (its install line, then esbuild, as printed), cached per install line."""
    words = _install_words(code)
    install_esbuild, bundle = _bundling_commands(code)
    assert install_esbuild[:2] == ["npm", "install"] and bundle[:2] == ["npx", "esbuild"]
    key = hashlib.sha256(" ".join([*words, *install_esbuild]).encode()).hexdigest()[:16]
    modules = installed(model_cache / "snippet-projects" / key, words, install_esbuild[2:])
    return modules, bundle


def _bundle(code: str, folder: Path, modules: Path, command: list[str]) -> Path:
    (folder / "app.js").write_text(code)
    (folder / "node_modules").symlink_to(modules, target_is_directory=True)
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False, env=os.environ)
    assert done.returncode == 0, done.stderr
    return folder / re.search(r"--outfile=(\S+)", " ".join(command)).group(1)


def _serve(
    page, files: dict[str, bytes | Path], roots: dict[str, Path], *, cdn: bool = True, log: list | None = None
) -> None:
    """Answer ``SITE/<name>`` from ``files`` and the CDNs from ``roots`` (or refuse them); CDN URLs served go to ``log``."""

    def site(route) -> None:
        name = route.request.url[len(SITE) + 1 :].split("?", 1)[0] or "index.html"
        body = files.get(name)
        if body is None:
            route.fulfill(status=404, body="not found")
            return
        kind = {"html": "text/html", "js": "text/javascript", "png": "image/png", "json": "application/json"}
        data = body.read_bytes() if isinstance(body, Path) else body
        route.fulfill(
            status=200,
            body=data,
            headers={"content-type": kind.get(name.rsplit(".", 1)[-1], "application/octet-stream")},
        )

    page.route(f"{SITE}/**", site)
    for pattern in CDN_PATTERNS:
        page.route(pattern, cdn_handler(roots, log) if cdn else (lambda route: route.abort()))


def _result(page, timeout: float = 240_000) -> np.ndarray:
    """The image the snippet appended (a PNG data URL), or the error it showed."""
    page.wait_for_function(
        "() => [...document.images].some(i => i.src.startsWith('data:image/png')) || document.body.innerText.includes('Upscaling failed')",
        timeout=timeout,
    )
    failure = page.evaluate("document.body.innerText")
    assert "Upscaling failed" not in failure, failure
    url = page.evaluate("[...document.images].find(i => i.src.startsWith('data:image/png')).src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _expected(model: str, settings: dict, photo: Path) -> np.ndarray:
    tiling = {"patch_size": settings.get("patch_size"), "padding": settings.get("padding")}
    return np.asarray(Upscaler(model).upscale(photo, **tiling))


def _assert_same_but_rounding(browser: np.ndarray, expected: np.ndarray) -> None:
    assert browser.shape == expected.shape
    # tfjs (float32, other kernels and order of operations) vs TensorFlow: a rounding may land one level off.
    assert np.abs(browser.astype(int) - expected.astype(int)).max() <= 1


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("case", CASES)
def test_the_es_module_bundled_as_printed_gives_our_pixels(case, page, model_cache, tmp_path, photo):
    model, settings = CASES[case]
    code = generate(model, "browser", **settings)
    modules, command = _project(model_cache, code)
    bundle = _bundle(code, tmp_path, modules, command)
    page_html = b'<!doctype html><html><body><script src="bundle.js"></script></body></html>'
    served = []
    _serve(page, {"index.html": page_html, "bundle.js": bundle, INPUT_FILE: photo}, package_roots(modules), log=served)
    page.goto(f"{SITE}/")
    _assert_same_but_rounding(_result(page), _expected(model, settings, photo))
    assert any(url.endswith("model.json") for url in served)  # the weights came from the CDN, as the comment says


@pytest.mark.parametrize("case", CASES)
def test_the_script_tags_as_printed_give_our_pixels(case, page, model_cache, tmp_path, photo):
    model, settings = CASES[case]
    html = generate(model, "script", **settings)
    modules, _ = _project(model_cache, generate(model, "browser"))  # the same packages a CDN serves
    _serve(page, {"index.html": html.encode(), INPUT_FILE: photo}, package_roots(modules))
    page.goto(f"{SITE}/")
    _assert_same_but_rounding(_result(page), _expected(model, settings, photo))


def test_self_hosted_weights_as_the_comment_says_need_no_cdn(page, model_cache, tmp_path, photo):
    spec = get_spec("esrgan-slim/4x")
    code = generate(spec, "browser", patch_size=32, padding=4)
    modules, command = _project(model_cache, code)
    (advice,) = re.findall(r"^//   (new Upscaler\(.+\))$", code, flags=re.MULTILINE)
    copy_from, site_folder = re.search(
        r"copy (node_modules/\S+/) to your site's (/\S+/) and", _comments(code)
    ).groups()
    self_hosted = code.replace("new Upscaler({ model })", advice)
    assert self_hosted != code
    bundle = _bundle(self_hosted, tmp_path, modules, command)
    weights = tmp_path / copy_from
    files = {f"{site_folder[1:]}{path.name}": path for path in weights.iterdir()}
    files.update({"index.html": b'<script src="bundle.js"></script>', "bundle.js": bundle, INPUT_FILE: photo})
    _serve(page, files, {}, cdn=False)  # every CDN refused
    page.goto(f"{SITE}/")
    _assert_same_but_rounding(_result(page), _expected("esrgan-slim/4x", {"patch_size": 32, "padding": 4}, photo))


def test_a_failure_is_shown_on_the_page(page, model_cache, tmp_path):
    code = generate("default-model", "browser")
    modules, command = _project(model_cache, code)
    bundle = _bundle(code, tmp_path, modules, command)
    _serve(page, {"index.html": b'<script src="bundle.js"></script>', "bundle.js": bundle}, package_roots(modules))
    page.goto(f"{SITE}/")  # no photo.png on this site
    page.wait_for_function("() => document.body.innerText.includes('Upscaling failed')", timeout=120_000)
    assert "Upscaling failed: " in page.evaluate("document.body.innerText")
