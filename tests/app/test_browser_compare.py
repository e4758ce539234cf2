"""A real browser on the Compare tab's crop view and A/B slider, and on the Advise button.

Needs Chromium at /usr/bin/chromium; skipped without it. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re

from .conftest import ARTIFACTS
from .test_browser import _close_toasts, _no_error_pill, _open, _toast_says, page, pytestmark  # noqa: F401 - the shared page


def _note(page) -> str:
    return page.locator("#compare-crop-note").inner_text()


def test_compare_crops_pick_a_region_and_slide_between_two_outputs(page, app_url):
    from playwright.sync_api import expect

    _open(page, app_url)
    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#compare-patch-size input")).to_have_value("0")  # the Upscale tab's settings, in place
    page.locator("#compare-button").click()
    page.wait_for_function(
        "() => (document.querySelector('#compare-crop-note')?.innerText || '').includes('px of the original at')",
        timeout=240_000,
    )
    # original, default-model, esrgan-medium/2x, pixel-upsampler/x2 and bicubic ×2: five crops of one region
    page.wait_for_function("() => document.querySelectorAll('#compare-crops img').length >= 5", timeout=30_000)
    captions = page.locator("#compare-crops").inner_text()
    for label in ("original", "default-model", "esrgan-medium/2x", "bicubic ×2"):
        assert label in captions
    before = re.search(r"at \((\d+), (\d+)\)", _note(page)).groups()
    assert before == ("40", "40")  # a 48 px region centred on the 128 px example

    picture = page.locator("#compare-picker img").first
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.25})  # upper left: the helmet
    page.wait_for_function(
        "() => !(document.querySelector('#compare-crop-note')?.innerText || '').includes('at (40, 40)')", timeout=15_000
    )
    x, y = map(int, re.search(r"at \((\d+), (\d+)\)", _note(page)).groups())
    assert x < 40 and y < 40
    expect(page.locator("#compare-x input")).to_have_value(str(x))

    slider_images = page.locator("#compare-ab img")
    expect(slider_images).to_have_count(2, timeout=15_000)  # the first model against the original
    expect(page.locator("#compare-b input")).to_have_value("original")
    page.locator("#compare-b input").click()
    page.get_by_role("option", name="bicubic ×2").click()
    expect(page.locator("#compare-b input")).to_have_value("bicubic ×2")
    expect(slider_images).to_have_count(2, timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-compare-crops.png"), full_page=True)


def test_advise_fills_in_the_patch_settings(page, app_url):
    from playwright.sync_api import expect

    _open(page, app_url)
    for name, value in (("patch-size", "64"), ("padding", "2")):  # something else than any advice keeps as it is
        field = page.locator(f"#{name} input[type=number]")
        field.fill(value)
        field.press("Enter")
    expect(page.locator("#settings-status")).to_contain_text("64 px patches, 2 px padding", timeout=15_000)
    page.locator("#advise-button").click()
    page.wait_for_function(
        "() => (document.querySelector('#advise-line')?.innerText || '').includes('Advice for')", timeout=240_000
    )
    line = page.locator("#advise-line").inner_text()
    found = re.search(r"(whole image|(\d+)/(\d+)): .*≈[\d.]+ s", line)
    assert found, line
    patch, padding = (found.group(2) or "0"), (found.group(3) or "0")
    expect(page.locator("#patch-size input[type=number]")).to_have_value(patch)
    expect(page.locator("#padding input[type=number]")).to_have_value(padding)
    page.screenshot(path=str(ARTIFACTS / "app-advise.png"), full_page=True)


def test_the_compare_tab_says_as_you_type_what_its_run_would_refuse(page, app_url):
    _open(page, app_url)
    page.get_by_role("tab", name="Compare").click()
    _close_toasts(page)
    for name, value in (("#compare-patch-size", "8"), ("#compare-padding", "2")):
        box = page.locator(f"{name} input")
        box.fill(value)
        box.press("Enter")
        box.blur()
    message = "Patch size 8 is below this server's smallest, 16 px"
    page.wait_for_function(
        "t => (document.querySelector('#compare-settings-status')?.innerText || '').includes(t)", arg=message, timeout=15_000
    )
    page.locator("#compare-button").click()
    _toast_says(page, message)  # the check before the run: the same sentence
    assert page.locator("#compare-summary").inner_text().strip() == ""  # nothing ran
    _no_error_pill(page)
