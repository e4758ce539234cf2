"""The "Run in my browser" panel in a real Chromium: UpscalerJS from npm, served as a CDN would, against the server's output.

The page loads TensorFlow.js, UpscalerJS and the model from jsdelivr/unpkg; here
those requests are answered from the real npm packages (installed once into
the test cache with the ``npm`` client; see :mod:`tests.browser_cdn`). Chromium has
no GPU here: WebGL runs on its software renderer (SwiftShader), and the CPU
backend is the fallback every browser has. The measured device timings are
written to ``test-artifacts/browser-run-timings.txt`` (never asserted).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler
from explorer.app.browser_run import CDNS
from explorer.codegen.snippets import TFJS_VERSION, UPSCALER_VERSION
from tests.browser_cdn import (
    CDN_PATTERNS,
    cdn_handler,
    installed,
    needs_chromium,
    package_roots,
)

from .conftest import ARTIFACTS, crop_png

pytestmark = needs_chromium
TIMINGS = ARTIFACTS / "browser-run-timings.txt"


@pytest.fixture(scope="module")
def packages(model_cache: Path) -> dict[str, Path]:
    """The npm packages the page asks CDNs for, by name: the runtime (installed once) and every model package."""
    folder = model_cache / "browser-run" / f"upscaler@{UPSCALER_VERSION}-tfjs@{TFJS_VERSION}"
    wanted = [
        f"upscaler@{UPSCALER_VERSION}",
        f"@tensorflow/tfjs@{TFJS_VERSION}",
        f"@tensorflow/tfjs-backend-wasm@{TFJS_VERSION}",
    ]
    return package_roots(installed(folder, [*wanted, "--ignore-scripts", "--legacy-peer-deps"]))


@pytest.fixture
def page(chromium, packages):
    """A fresh page (nothing loaded yet) whose CDN requests are served from the npm packages."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.served = []
    for pattern in CDN_PATTERNS:
        page.route(pattern, cdn_handler(packages, page.served))
    try:
        yield page
    finally:
        context.close()


def _open(page, url: str, image: Path) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__explorerRestored === true && Boolean(window.explorerBrowserRun)", timeout=60_000)
    page.locator("#upscale-input input[type=file]").set_input_files(str(image))
    width = Image.open(image).width
    page.wait_for_function(
        "w => [...document.querySelectorAll('#upscale-input img')].some(i => i.naturalWidth === w)",
        arg=width,
        timeout=30_000,
    )


def _status(page) -> str:
    return page.locator("#browser-run [data-part=status]").inner_text()


def _choose_backend(page, backend: str) -> None:
    page.locator("#browser-backend").get_by_label(backend, exact=True).check()


def _click_and_wait(page, button: str, timeout: float = 240_000) -> str:
    """Click a button of the panel and wait until the browser run it starts has ended; return the status line."""
    finished = page.evaluate("window.explorerBrowserRun.finished")
    page.locator(button).click()
    page.wait_for_function("n => window.explorerBrowserRun.finished > n", arg=finished, timeout=timeout)
    return _status(page)


def _run(page, backend: str, timeout: float = 240_000) -> str:
    _choose_backend(page, backend)
    return _click_and_wait(page, "#browser-run-button", timeout)


def _canvas_pixels(page) -> np.ndarray:
    url = page.locator("#browser-run [data-part=output]").evaluate("c => c.toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _timings(page) -> dict[str, str]:
    rows = page.locator("#browser-run [data-part=timings] tr").all_inner_texts()
    return dict(row.split("\t", 1) for row in rows[1:])


@pytest.mark.parametrize(
    ("model", "patch_size", "padding", "size"),
    [("default-model", 0, 0, (96, 64)), ("esrgan-slim/4x", 32, 4, (80, 56))],
    ids=["default-model-whole", "esrgan-slim-4x-32-4"],
)
@pytest.mark.parametrize("backend", ["webgl", "wasm", "cpu"])
def test_run_in_my_browser_matches_the_server(page, app_url, tmp_path, model, patch_size, padding, size, backend):
    photo = crop_png(tmp_path, *size)
    _open(page, f"{app_url}/?model={model}&patch_size={patch_size}&padding={padding}", photo)
    status = _run(page, backend)
    assert status.startswith("Done"), status
    device = page.locator("#browser-run [data-part=device]").inner_text()
    assert f"backend {backend}" in device and "GPU:" in device
    timings = _timings(page)
    for step in ("Model load (bundle + weights)", "Warm-up (first call compiles)", "Upscale", "Per patch"):
        assert timings[step].endswith(" ms") or " ms " in timings[step], timings
    if patch_size:
        assert "patches" in timings["Per patch"]

    browser = _canvas_pixels(page)
    settings = {"patch_size": patch_size, "padding": padding} if patch_size else {}
    server = np.asarray(Upscaler(model).upscale(photo, **settings))
    assert browser.shape == server.shape
    # tfjs (float32 in another order of operations, on another backend) vs TensorFlow: rounding may differ by one level.
    assert np.abs(browser.astype(int) - server.astype(int)).max() <= 1
    agreement = page.locator("#browser-run [data-part=agreement]")
    assert "agree" in agreement.inner_text() and int(agreement.get_attribute("data-max")) <= 1

    served = page.served
    assert any("/upscaler@1.0.0/" in url for url in served) and any(url.endswith("model.json") for url in served)
    assert any(url.endswith(".wasm") for url in served) == (backend == "wasm")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#browser-run-panel").screenshot(path=str(ARTIFACTS / f"app-browser-run-{backend}.png"))
    line = {"model": model, "patch": patch_size, "padding": padding, "size": size, "device": device, **timings}
    with TIMINGS.open("a") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(line)


def test_a_blocked_cdn_gets_a_clear_message_not_a_hang(page, app_url, tmp_path):
    photo = crop_png(tmp_path, 48, 40)
    _open(page, f"{app_url}/?model=default-model", photo)
    page.unroute_all()
    for pattern in CDN_PATTERNS:
        page.route(pattern, lambda route: route.abort())
    status = _run(page, "cpu", timeout=60_000)
    assert status.startswith("Could not load @tensorflow/tfjs@4.11.0 from a CDN"), status
    assert all(host in status for host, _ in CDNS) and "Content-Security-Policy" in status

    page.unroute_all()  # a CDN that never answers: the timeout speaks
    page.route(CDN_PATTERNS[0], lambda route: None)
    page.route(CDN_PATTERNS[1], lambda route: route.abort())
    page.evaluate("window.explorerBrowserRun.config.timeoutMs = 1500")
    status = _click_and_wait(page, "#browser-run-button", timeout=60_000)
    assert "cdn.jsdelivr.net: no answer in 2 s" in status and "unpkg.com: the request failed" in status, status


def test_blocked_weights_get_a_clear_message(page, app_url, packages, tmp_path):
    photo = crop_png(tmp_path, 48, 40)
    _open(page, f"{app_url}/?model=esrgan-slim/2x", photo)
    page.unroute_all()
    handler = cdn_handler(packages)
    for pattern in CDN_PATTERNS:
        page.route(
            pattern,
            lambda route: route.abort() if route.request.url.endswith(("model.json", ".bin")) else handler(route),
        )
    status = _run(page, "cpu", timeout=120_000)
    assert status.startswith("Could not fetch the weights of esrgan-slim/2x from a CDN"), status
    assert "jsdelivr" in status and "unpkg" in status


def test_cancel_stops_a_run(page, app_url, tmp_path):
    photo = crop_png(tmp_path, 128, 96)  # 32/4 patches: 5 × 4 = 20 of them
    _open(page, f"{app_url}/?model=esrgan-slim/4x&patch_size=32&padding=4", photo)
    _choose_backend(page, "cpu")
    finished = page.evaluate("window.explorerBrowserRun.finished")
    page.locator("#browser-run-button").click()
    page.wait_for_function(
        "() => /patch [2-9] of 20/.test(document.querySelector('#browser-run [data-part=status]').innerText)",
        timeout=180_000,
    )
    page.locator("#browser-run [data-part=cancel]").click()
    page.wait_for_function("n => window.explorerBrowserRun.finished > n", arg=finished, timeout=30_000)
    assert _status(page) == "Cancelled: the browser run stopped."
    done = page.locator("#browser-run [data-part=progress]").evaluate("p => p.value")
    page.wait_for_timeout(3000)
    assert (
        _status(page) == "Cancelled: the browser run stopped."
        and page.locator("#browser-run [data-part=pictures]").is_hidden()
    )
    assert done < 20


def test_compare_in_my_browser_makes_a_table_and_a_csv(page, app_url, tmp_path):
    photo = crop_png(tmp_path, 48, 40)
    _open(page, app_url, photo)
    _choose_backend(page, "cpu")
    page.get_by_text("Compare in my browser: several models").click()
    models = page.locator("#browser-compare-models input")
    models.click()
    models.fill("ESRGAN Slim › 4x")
    page.get_by_role("option", name="Upscaling › ESRGAN Slim › 4x").click()
    page.locator("body").press("Escape")
    settings = page.locator("#browser-compare-settings textarea, #browser-compare-settings input").first
    settings.fill("0, 32/4")
    status = _click_and_wait(page, "#browser-compare-button")
    assert status == "Compared 4 runs in this browser.", status

    with page.expect_download() as download:
        page.locator("#browser-run [data-part=csv]").click()
    assert download.value.suggested_filename == "browser-timings.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["model"], r["patch size"], r["padding"]) for r in rows] == [
        ("default-model", "whole", ""), ("default-model", "32", "4"), ("esrgan-slim/4x", "whole", ""), ("esrgan-slim/4x", "32", "4"),
    ]  # fmt: skip
    assert {r["backend"] for r in rows} == {"cpu"}
    assert [r["output"] for r in rows] == ["96×80", "96×80", "192×160", "192×160"]
    assert [int(r["patches"]) for r in rows] == [1, 4, 1, 4]  # 48×40 in 32/4 patches: 2 × 2
    for row in rows:
        assert all(float(row[c]) > 0 for c in ("model load ms", "warm-up ms", "upscale ms", "per patch ms (median)"))
    table = page.locator("#browser-run [data-part=compare] tr").all_inner_texts()
    assert len(table) == 5 and "esrgan-slim/4x" in table[-1]
    (ARTIFACTS / "browser-compare.csv").write_text(Path(download.value.path()).read_text())
    page.locator("#browser-run-panel").screenshot(path=str(ARTIFACTS / "app-browser-compare.png"))
