"""A real browser on the app started as users start it: upload, upscale, scores, settings in the address,
the card of a cached model, bad settings and bad uploads, and results cleared after a failed run.

Needs Chromium at /usr/bin/chromium (CI installs Debian's package); skipped without it.
Screenshots of every tab (1400×1000 and 390 px wide) and the measured click-to-result times go to
``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image

from tests.browser_cdn import CHROMIUM, needs_chromium

from .conftest import ARTIFACTS, broken_words

pytestmark = needs_chromium

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.locator("#app-header").wait_for(timeout=60_000)  # not a tab's element: the address may pick another tab
    page.wait_for_function("window.__explorerRestored === true", timeout=30_000)


def _summary_says(page, text: str, timeout: float = 120_000) -> None:
    page.wait_for_function(
        "t => (document.querySelector('#upscale-summary')?.innerText || '').includes(t)", arg=text, timeout=timeout
    )


def _code_says(page, text: str) -> None:
    page.wait_for_function(
        "t => (document.querySelector('#code-browser')?.innerText || '').includes(t)", arg=text, timeout=15_000
    )


def _upscale(page, expected: str) -> float:
    """Click Upscale and wait for this run's result; return the seconds from the click to the result."""
    download = page.locator("#upscale-download")
    start = time.perf_counter()
    page.locator("#upscale-button").click()
    download.wait_for(state="hidden", timeout=10_000)  # the previous result's download goes away first
    download.wait_for(state="visible", timeout=120_000)  # shown when this run's outputs are in the page
    seconds = time.perf_counter() - start
    _summary_says(page, expected, timeout=5_000)
    page.locator("#upscale-result img").first.wait_for(state="visible", timeout=5_000)
    return seconds


def test_upload_upscale_and_read_the_scores(page, app_url, tmp_path):
    from skimage import data

    photo = tmp_path / "astronaut-256.png"
    Image.fromarray(data.astronaut()[96:352, 128:384]).save(photo)  # 256×256, a real photo
    _open(page, app_url)
    page.locator("#upscale-input input[type=file]").set_input_files(str(photo))
    page.wait_for_function(
        "() => [...document.querySelectorAll('#upscale-input img')].some(i => i.naturalWidth === 256)", timeout=30_000
    )
    first = _upscale(page, "256×256 → 512×512")
    second = _upscale(page, "256×256 → 512×512")
    assert "whole image" in page.locator("#upscale-summary").inner_text()
    assert "Model calls" in page.locator("#timings").inner_text()
    assert not page.locator("#quality-table").is_visible()

    page.locator("#reference-mode input").check()
    _upscale(page, "128×128 → 256×256")  # reference mode upscales the image shrunk by 2
    assert "PSNR-Y" in page.locator("#quality-summary").inner_text()
    table = page.locator("#quality-table").inner_text()
    assert broken_words(page, "#quality-table th span.header, #quality-table [role=gridcell]") == []
    assert "bicubic" in table and "default-model" in table

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-upscale-reference.png"), full_page=True)
    report = f"default-model, 256×256 input, whole image: click to result {first:.2f} s (first run), {second:.2f} s (second run)\n"
    (ARTIFACTS / "click-to-result.txt").write_text(report)
    print(report)


def test_settings_live_in_the_address(page, app_url):
    from playwright.sync_api import expect

    _open(page, f"{app_url}/?model=esrgan-slim/2x&patch_size=48&padding=2")
    expect(page.locator("#upscale-model input")).to_have_value(re.compile("ESRGAN Slim › 2x"))
    expect(page.locator("#patch-size input")).to_have_value("48")
    expect(page.locator("#padding input")).to_have_value("2")
    expect(page.locator("#settings-status")).to_contain_text("48 px patches, 2 px padding", timeout=15_000)

    padding = page.locator("#padding input")
    padding.fill("6")
    padding.press("Enter")
    page.wait_for_function("() => window.location.search.includes('padding=6')", timeout=15_000)
    query = parse_qs(urlparse(page.url).query)
    assert query["model"] == ["esrgan-slim/2x"] and query["patch_size"] == ["48"] and query["padding"] == ["6"]
    assert "esrgan-slim/2x" in page.url  # readable: the slash is not escaped

    page.get_by_role("tab", name="Code").click()
    page.wait_for_function("() => window.location.search.includes('tab=code')", timeout=15_000)
    _code_says(page, "padding: 6")
    page.screenshot(path=str(ARTIFACTS / "app-code.png"), full_page=True)

    _open(page, page.url)  # the shared address restores the same view
    page.wait_for_function(
        "() => document.querySelector('[role=tab][data-tab-id=code]').getAttribute('aria-selected') === 'true'",
        timeout=15_000,
    )
    _code_says(page, "padding: 6")


def _toast_says(page, text: str) -> None:
    page.wait_for_function(
        "t => [...document.querySelectorAll('.toast-body')].some(e => e.innerText.includes(t))", arg=text, timeout=20_000
    )


def _close_toasts(page) -> None:
    page.evaluate("() => document.querySelectorAll('.toast-close').forEach(b => b.click())")


def _no_error_pill(page) -> None:
    """Gradio marks a component whose event failed with a bare "Error" label; toasts say "Error" too, so skip them."""
    pills = page.evaluate(
        "() => [...document.querySelectorAll('*')].filter(e => e.children.length === 0 && e.innerText === 'Error'"
        " && !e.closest('.toast-body') && e.offsetParent !== null).length"
    )
    assert pills == 0


def test_the_card_of_a_cached_model_shows_its_samples_and_tries_the_labelled_model(page, app_url):
    from playwright.sync_api import expect

    _open(page, f"{app_url}/?tab=models")
    picker = page.locator("#card-model input")
    picker.click()
    page.locator("[role=option]", has_text="ESRGAN Slim › 2x").first.click()  # in the served app's cache
    expect(page.locator("#card-use")).to_have_text("Try esrgan-slim/2x in Upscale →", timeout=20_000)
    expect(page.locator("#card-samples")).to_contain_text("UpscalerJS input", timeout=20_000)
    expect(page.locator("#card-samples img").first).to_be_visible()
    page.wait_for_function(  # every sample picture loads (none is a broken link)
        "() => [...document.querySelectorAll('#card-samples img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=20_000,
    )
    _no_error_pill(page)
    assert page.locator(".toast-body").count() == 0
    page.locator("#card-use").click()
    expect(page.locator("#upscale-model input")).to_have_value(re.compile("ESRGAN Slim › 2x"), timeout=15_000)
    page.wait_for_function("() => window.location.search.includes('tab=upscale')", timeout=15_000)
    assert parse_qs(urlparse(page.url).query)["model"] == ["esrgan-slim/2x"]  # a shared link keeps the model


BAD_SETTINGS = [
    # (patch size, padding, the project's message); NaN and infinity cannot be typed in a number box: see the URL test
    ("100000", "4", "out of range"),
    ("64", "200", "twice the padding"),
    ("64", "-5", "cannot be negative"),
    ("-10", "200", "cannot be negative"),
    ("3.5", "0", "use 3 or 4"),
    ("1e300", "4", "out of range"),
    ("8", "2", "below this server's smallest, 16 px"),  # a server limit: the live status knows it too
]


def _set_settings(page, patch: str, padding: str) -> None:
    for name, value in (("#patch-size", patch), ("#padding", padding)):
        box = page.locator(f"{name} input")
        box.fill(value)
        box.press("Enter")
        box.blur()


def test_bad_settings_typed_in_the_boxes_are_explained_and_run_nothing(page, app_url):
    _open(page, app_url)
    for patch, padding, message in BAD_SETTINGS:
        _close_toasts(page)
        _set_settings(page, patch, padding)
        page.wait_for_function(
            "t => document.querySelector('#settings-status').innerText.includes(t)", arg=message, timeout=15_000
        )
        page.locator("#upscale-button").click()
        _toast_says(page, message)
        assert page.locator("#patch-size input").input_value() == patch  # never clamped or rounded
        assert page.locator("#padding input").input_value() == padding
        assert page.locator("#upscale-summary").inner_text().strip() == ""  # nothing ran
        assert not page.locator("#upscale-download").is_visible()
        _no_error_pill(page)


def test_bad_settings_carried_to_the_compare_tab_stay_as_typed_and_run_nothing(page, app_url):
    _open(page, app_url)
    _set_settings(page, "3.5", "0")
    page.get_by_role("tab", name="Compare").click()
    page.wait_for_function("() => document.querySelector('#compare-patch-size input').value === '3.5'", timeout=15_000)
    page.locator("#compare-button").click()
    _toast_says(page, "use 3 or 4")  # not rounded to 4 on the way
    assert page.locator("#upscale-patch-size, #patch-size input").first.input_value() == "3.5"
    _no_error_pill(page)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("patch_size=100000&padding=4", "out of range"),
        ("patch_size=64&padding=200", "twice the padding"),
        ("patch_size=64&padding=-5", "cannot be negative"),
        ("patch_size=-10&padding=200", "cannot be negative"),
        ("patch_size=NaN&padding=4", "not a number"),
        ("patch_size=inf&padding=4", "out of range"),
        ("patch_size=3.5", "use 3 or 4"),
        ("patch_size=1e300&padding=4", "out of range"),
    ],
)
def test_bad_settings_in_the_address_are_explained_and_not_used(page, app_url, query, message):
    from playwright.sync_api import expect

    _open(page, f"{app_url}/?{query}")
    _toast_says(page, message)
    expect(page.locator("#patch-size input")).to_have_value("0")  # the defaults, said so: nothing runs on load
    assert page.locator("#upscale-summary").inner_text().strip() == ""
    _no_error_pill(page)


def test_a_failed_run_clears_the_previous_results(page, app_url, tmp_path):
    _open(page, app_url)
    _set_settings(page, "48", "4")
    _upscale(page, "128×128 → 256×256")
    page.locator("#seams").click()  # open the seams view: the grid is there
    page.locator("#plan-view img").wait_for(state="visible", timeout=30_000)
    page.locator("#heatmap img").wait_for(state="visible", timeout=60_000)
    assert "Model calls" in page.locator("#timings").inner_text()
    assert page.locator("#patch-times").is_visible() and page.locator("#heat-legend").is_visible()
    page.screenshot(path=str(ARTIFACTS / "app-upscale-tiled.png"), full_page=True)

    _set_settings(page, "48", "24")  # breaks the padding rule
    page.locator("#upscale-button").click()
    _toast_says(page, "twice the padding")
    page.wait_for_function("() => document.querySelector('#upscale-summary').innerText.trim() === ''", timeout=15_000)
    assert "Model calls" not in page.locator("#timings").inner_text()
    assert not page.locator("#upscale-download").is_visible() and not page.locator("#plan-view").is_visible()
    assert page.locator("#upscale-result img").count() == 0
    _close_toasts(page)

    html = tmp_path / "page.png"  # an upload that is not an image: one line, no server path
    html.write_text("<!doctype html><html><body>not a picture</body></html>")
    _set_settings(page, "0", "0")
    page.locator("#upscale-input input[type=file]").set_input_files(str(html))
    page.locator("#upscale-button").click()
    _toast_says(page, "This file is not an image the app can read.")
    toast = page.locator(".toast-body").last.inner_text()
    assert "preprocess" not in toast and "/" not in toast and "\\" not in toast
    _no_error_pill(page)


TABS_SHOWN = ("upscale", "recommend", "models", "compare", "code", "benchmarks")


@pytest.mark.parametrize("width", [1400, 390])
def test_screenshots_of_every_tab(page, app_url, width):
    """Every tab at a desktop size (1400×1000) and a phone width (390 px); the Upscale button is above the fold."""
    ARTIFACTS.mkdir(exist_ok=True)
    view = page.context.browser.new_page(viewport={"width": width, "height": 1000 if width > 500 else 844})
    try:
        for tab in TABS_SHOWN:
            _open(view, f"{app_url}/?tab={tab}")
            view.wait_for_timeout(1500)  # plots and galleries draw after the page is ready
            view.screenshot(path=str(ARTIFACTS / f"tab-{tab}-{width}.png"))
            assert view.evaluate("() => document.documentElement.scrollWidth") <= width  # the page never scrolls sideways
            if tab == "upscale" and width == 1400:
                box = view.locator("#upscale-button").bounding_box()
                assert box is not None and box["y"] + box["height"] <= 1000  # no scrolling to find it
    finally:
        view.close()
