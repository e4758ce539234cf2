"""A real browser on the Recommend tab: the sentence, the table, the plot, and "Use this" filling Upscale and Code.

Needs Chromium at /usr/bin/chromium; skipped without it. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re

from explorer.app.common import model_label
from explorer.engine.registry import get_spec

from .conftest import ARTIFACTS, broken_words
from .test_browser import _open, page, pytestmark  # noqa: F401 - the shared browser page and its skip mark


def test_recommend_shows_its_answer_and_use_this_fills_upscale_and_code(page, app_url):
    from playwright.sync_api import expect

    _open(page, app_url)
    page.get_by_role("tab", name="Recommend").click()
    page.locator("#recommend-button").click()
    page.wait_for_function(
        "() => /is first|wins on your picture/.test(document.querySelector('#recommend-sentence')?.innerText || '')",
        timeout=400_000,
    )
    choice = page.locator("#recommend-choice").inner_text()
    model = re.search(r"Use (\S+) with", choice).group(1)
    assert model.startswith("esrgan-") and model.endswith("/2x")
    expect(page.locator("#recommend-table")).to_contain_text("bicubic")
    expect(page.locator("#recommend-table")).to_contain_text(model)
    assert broken_words(page, "#recommend-table th span.header, #recommend-table [role=gridcell]") == []
    expect(page.locator("#recommend-plot img").first).to_be_visible()  # matplotlib figures arrive as a picture
    expect(page.locator("#recommend-code")).to_contain_text(f"@upscalerjs/{model}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-recommend.png"), full_page=True)

    page.locator("#recommend-use").click()
    expect(page.locator("#upscale-button")).to_be_visible(timeout=15_000)  # the Upscale tab is open
    expect(page.locator("#upscale-model input")).to_have_value(model_label(get_spec(model)))
    expect(page.locator("#patch-size input[type=number]")).to_have_value("0")
    expect(page.locator("#precision input[value=exact]")).to_be_checked()
    assert "tab=upscale" in page.url and f"model={model}" in page.url
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("#code-status")).to_contain_text(model, timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "app-recommend-used.png"), full_page=True)


def test_a_damaged_or_odd_picture_is_said_on_upload(page, app_url, tmp_path):
    from .conftest import odd_uploads

    _open(page, f"{app_url}/?tab=recommend")
    for name, (path, said) in odd_uploads(tmp_path).items():
        page.locator("#recommend-input input[type=file]").set_input_files(str(path))
        page.wait_for_function(  # on upload: nothing is measured
            "t => (document.querySelector('#recommend-status')?.innerText || '').includes(t)", arg=said, timeout=20_000
        )
        assert page.locator("#recommend-sentence").inner_text().strip() == "", name
        if name == "cut.png":
            page.screenshot(path=str(ARTIFACTS / "recommend-upload-damaged.png"))
