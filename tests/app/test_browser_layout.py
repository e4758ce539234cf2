"""A real browser at a desktop size (1400×1000) and a phone's (390×844): tables that sort and say when they are
empty, charts that clip nothing and overlap no label, one colour per method, every tab in sight, the result in view.

Needs Chromium at /usr/bin/chromium; skipped without it. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pytest

from explorer.app.catalog import COLUMNS, catalog_table
from explorer.app.urlstate import TABS
from tests.browser_cdn import needs_chromium

from .conftest import ARTIFACTS, broken_words

pytestmark = needs_chromium

SIZES = {"desktop": (1400, 1000), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def page(request, chromium):
    width, height = SIZES[request.param]
    view = chromium.new_page(viewport={"width": width, "height": height})
    view.size_name = request.param
    try:
        yield view
    finally:
        view.close()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.locator("#app-header").wait_for(timeout=60_000)
    page.wait_for_function("window.__explorerRestored === true", timeout=30_000)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.size_name}.png"), full_page=True)


_COLUMN_JS = (
    "i => [...document.querySelectorAll('#models-table .virtual-row')]"
    ".map(row => row.querySelectorAll('[role=gridcell]')[i].innerText.trim())"
)


def _column(page, index: int) -> list[str]:
    return page.evaluate(_COLUMN_JS, index)


def _sorted_by(page, column: str, reverse: bool = False) -> None:
    """Wait until the table's rendered rows (the top of it) are the whole table sorted by ``column``."""
    values = catalog_table()[column]
    text = column == "model"
    expected = sorted(values if text else values.astype(float), reverse=reverse)
    page.wait_for_function(
        f"""([e, i, text]) => {{
          const v = ({_COLUMN_JS})(i).map(x => text ? x : Number(x));
          return v.length > 3 && v.every((x, k) => x === e[k]);
        }}""",
        arg=[expected, list(COLUMNS).index(column), text],
        timeout=15_000,
    )


def test_a_header_click_sorts_the_models_table_and_an_empty_filter_says_so(page, app_url):
    _open(page, f"{app_url}/?tab=models")
    page.locator("#models-table .virtual-row").first.wait_for(timeout=15_000)
    assert broken_words(page, "#models-table th span.header, #models-table [role=gridcell]") == []
    headers = page.locator("#models-table thead th")
    assert [" ".join(header.inner_text().split()) for header in headers.all()] == list(COLUMNS)
    mb = headers.nth(COLUMNS.index("MB")).locator("span.header")  # the name: on a phone ⋮ fills a narrow header
    mb.click()
    _sorted_by(page, "MB")
    mb.click()  # again: the other way
    _sorted_by(page, "MB", reverse=True)
    headers.nth(0).locator("span.header").click()  # another column: by it alone, not by MB first
    _sorted_by(page, "model")

    search = page.locator("#models-search textarea")
    search.fill("no such model anywhere")
    search.press("Enter")
    page.locator("#models-none").wait_for(state="visible", timeout=15_000)
    assert "No models match" in page.locator("#models-none").inner_text()
    assert "no such model anywhere" in page.locator("#models-none").inner_text()
    _shot(page, "models-no-match")
    search.fill("slim 4x")
    search.press("Enter")
    page.locator("#models-none").wait_for(state="hidden", timeout=15_000)
    page.wait_for_function("() => document.querySelectorAll('#models-table .virtual-row').length === 1", timeout=15_000)
    assert _column(page, 0) == ["esrgan-slim/4x"]


_BARS_JS = """() => [...document.querySelectorAll('.bench-plot')].map(plot => {
  const axis = (name) => [...plot.querySelectorAll('g.role-axis')].find(g => (g.getAttribute('aria-label') || '').startsWith(name));
  const labels = [...axis('X-axis').querySelectorAll('g.role-axis-label text')];
  const bars = [...plot.querySelectorAll('g.role-mark path')];
  return {
    labels: labels.map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; }),
    bars: bars.map(b => [b.getAttribute('aria-label') || '', b.getAttribute('fill')]),
    y: axis('Y-axis').getAttribute('aria-label'),
  };
})"""


def _overlap(a: list, b: list) -> float:
    width = min(a[3], b[3]) - max(a[1], b[1])
    height = min(a[4], b[4]) - max(a[2], b[2])
    return width * height if width > 0 and height > 0 else 0.0


def test_benchmark_charts_keep_one_colour_per_method_start_at_zero_and_overlap_no_label(page, app_url):
    _open(page, f"{app_url}/?tab=benchmarks")
    page.wait_for_function(
        "() => document.querySelectorAll('.bench-plot svg g.role-mark path').length > 10", timeout=30_000
    )
    charts = page.evaluate(_BARS_JS)
    assert len(charts) >= 2
    colour_of: dict[str, str] = {}
    for chart in charts:
        labels = chart["labels"]
        assert labels and all(_overlap(a, b) == 0 for a, b in zip(labels, labels[1:]))  # readable side by side
        assert "values from 0 " in chart["y"]  # bars start at 0
        names = [label[0] for label in labels]
        fills = [fill for _, fill in chart["bars"]]
        assert len(set(fills)) == len(fills) == len(names)  # every bar of a chart its own colour
        for name, bar in zip(names, chart["bars"], strict=True):
            assert name in bar[0]  # the bar of that label (Vega's aria-label names its x value)
            assert colour_of.setdefault(name, bar[1]) == bar[1], f"{name} changes colour between charts"
    assert {"bicubic", "default-model"} <= set(colour_of)
    _shot(page, "tab-benchmarks")


def test_every_tab_is_in_sight_without_a_menu(page, app_url):
    _open(page, app_url)
    tabs = page.locator("[role=tab]")
    names = [tab.inner_text() for tab in tabs.all() if tab.is_visible()]
    assert names == [tab.capitalize() for tab in TABS]
    assert page.locator(".overflow-menu").count() == 0
    for tab in tabs.all():
        box = tab.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


_POINTS_JS = """() => {
  const svg = document.querySelector('#compare-plot svg');
  const grid = [...svg.querySelectorAll('g.role-axis-grid line, g.role-axis-grid path')].map(l => l.getBoundingClientRect());
  const area = [Math.min(...grid.map(r => r.left)), Math.min(...grid.map(r => r.top)),
                Math.max(...grid.map(r => r.right)), Math.max(...grid.map(r => r.bottom))];
  const points = [...svg.querySelectorAll('g.role-mark path')].map(p => p.getBoundingClientRect())
    .map(r => [r.left, r.top, r.right, r.bottom]);
  const axis = [...svg.querySelectorAll('g.role-axis')].find(g => (g.getAttribute('aria-label') || '').startsWith('X-axis'));
  const ticks = [...axis.querySelectorAll('g.role-axis-label text')].map(t => { const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.top, r.right, r.bottom]; });
  const keys = [...document.querySelectorAll('#compare-legend .key')].map(k => { const r = k.getBoundingClientRect();
    return [k.innerText, r.left, r.right]; });
  return {area, points, ticks, keys};
}"""

_CAPTIONS_JS = """() => [...document.querySelectorAll('#compare-crops .caption-label, #compare-gallery .caption-label')].map(c => {
  const r = c.getBoundingClientRect(), t = c.closest('.thumbnail-item').getBoundingClientRect();
  return [c.innerText, c.scrollWidth <= c.clientWidth && c.scrollHeight <= c.clientHeight,
          r.left >= t.left && r.right <= t.right && r.top >= t.top && r.bottom <= t.bottom];
})"""


def test_compare_plot_clips_no_point_and_crop_captions_are_whole(page, app_url):
    _open(page, f"{app_url}/?tab=compare")
    page.locator("#compare-button").click()
    page.wait_for_function("() => document.querySelectorAll('#compare-plot svg g.role-mark path').length >= 4", timeout=300_000)
    page.locator("#compare-crops img").first.wait_for(state="visible", timeout=60_000)
    page.wait_for_timeout(500)  # the galleries lay out their captions after the pictures load
    shape = page.evaluate(_POINTS_JS)
    left, top, right, bottom = shape["area"]
    assert len(shape["points"]) == 4  # three models and bicubic
    for x0, y0, x1, y1 in shape["points"]:
        assert left <= x0 and x1 <= right and top <= y0 and y1 <= bottom, (shape["area"], (x0, y0, x1, y1))
    ticks = shape["ticks"]
    assert len(ticks) > 2 and all(_overlap(a, b) == 0 for a, b in zip(ticks, ticks[1:]))
    width = page.viewport_size["width"]
    assert [key[0] for key in shape["keys"]] == ["default-model", "esrgan-medium/2x", "pixel-upsampler/x2", "bicubic ×2"]
    assert all(0 <= key_left and key_right <= width for _, key_left, key_right in shape["keys"])
    captions = page.evaluate(_CAPTIONS_JS)
    assert any(text.startswith("esrgan-medium/2x") for text, *_ in captions)
    for text, whole, inside in captions:
        assert whole and inside, f"caption cut: {text!r}"
    _shot(page, "tab-compare-after-run")


def test_the_result_is_brought_into_view_after_upscale(page, app_url):
    _open(page, app_url)
    page.locator("#upscale-button").click()
    page.locator("#upscale-download").wait_for(state="visible", timeout=300_000)
    page.locator("#upscale-result img").first.wait_for(state="visible", timeout=15_000)
    page.wait_for_function(
        "() => { const r = document.querySelector('#upscale-result').getBoundingClientRect();"
        " return r.top >= -2 && r.top < window.innerHeight * 0.6; }",  # sub-pixel layout
        timeout=10_000,
    )
    page.screenshot(path=str(ARTIFACTS / f"upscale-result-in-view-{page.size_name}.png"))


_WATCH_JS = """() => {
  window.__shown = [];
  const result = document.querySelector('#upscale-result');
  new MutationObserver(() => { window.__shown.push(result.innerText); })
    .observe(result, {subtree: true, childList: true, characterData: true});
}"""


def test_upscale_names_its_steps_with_sizes_and_elapsed_time_in_the_page(page, app_url):
    model = {"desktop": "esrgan-slim/8x", "phone": "esrgan-slim/3x"}[page.size_name]  # a first use at each size
    _open(page, f"{app_url}/?model={model}")
    page.evaluate(_WATCH_JS)
    page.locator("#upscale-button").click()
    page.locator("#upscale-download").wait_for(state="visible", timeout=300_000)
    shown = "\n".join(page.evaluate("() => window.__shown"))
    assert f"Upscaling with {model} on 128×128 px, whole image" in shown  # the step, with the image's size
    assert re.search(r"\d+/\d+ steps done", shown)  # Gradio shows a description only beside a count
    assert f"Running {model} once more, warm" in shown
    timings = page.locator("#timings").inner_text()
    assert "One-off in this run" in timings and "Warm run" in timings


def test_the_address_holds_every_setting_that_shapes_the_result_and_only_valid_ones(page, app_url):
    from playwright.sync_api import expect

    _open(page, f"{app_url}/?model=esrgan-slim/2x&patch_size=48&padding=2&reference=1")
    expect(page.locator("#reference-mode input")).to_be_checked()  # a shared link restores reference mode
    page.evaluate(
        "() => { window.__urls = []; const write = history.replaceState.bind(history);"
        " history.replaceState = (state, title, url) => { window.__urls.push(String(url)); return write(state, title, url); }; }"
    )
    patch = page.locator("#patch-size input")
    for bad, says in (("3.5", "use 3 or 4"), ("99999", "out of range"), ("8", "smallest, 16 px"), ("-1", "negative")):
        patch.fill(bad)
        patch.press("Enter")
        expect(page.locator("#settings-status")).to_contain_text(says, timeout=15_000)
    patch.fill("64")
    patch.press("Enter")
    page.wait_for_function("() => window.location.search.includes('patch_size=64')", timeout=15_000)
    page.locator("#reference-mode input").uncheck()
    page.wait_for_function("() => !window.location.search.includes('reference')", timeout=15_000)
    page.locator("#reference-mode input").check()
    page.wait_for_function("() => window.location.search.includes('reference=1')", timeout=15_000)
    written = page.evaluate("() => window.__urls")
    assert written and not any(re.search(r"patch_size=(3\.5|99999|8&|-1)", url) for url in written), written

    _open(page, page.url)  # the address restores what it holds
    expect(page.locator("#patch-size input")).to_have_value("64")
    expect(page.locator("#padding input")).to_have_value("2")
    expect(page.locator("#reference-mode input")).to_be_checked()


def test_odd_and_damaged_uploads_are_said_on_upload_and_noted_once_at_the_run(page, app_url, tmp_path):
    from .conftest import odd_uploads

    _open(page, app_url)
    status = page.locator("#settings-status")
    for name, (path, said) in odd_uploads(tmp_path).items():
        page.locator("#upscale-input input[type=file]").set_input_files(str(path))
        page.wait_for_function(  # on upload, before any click
            "t => (document.querySelector('#settings-status')?.innerText || '').includes(t)", arg=said, timeout=20_000
        )
        assert page.locator(".toast-body").count() == 0, name
        if name == "cut.png":
            status.scroll_into_view_if_needed()
            _shot(page, "upload-damaged")
    page.locator("#upscale-button").click()  # the last one (16-bit) runs: its note is shown once, not twice
    page.locator("#upscale-download").wait_for(state="visible", timeout=120_000)
    page.wait_for_timeout(500)
    toasts = page.locator(".toast-body").all_inner_texts()
    assert len(toasts) == 1 and "16 bits per sample" in toasts[0], toasts
    _shot(page, "upload-note-at-run")
    assert page.locator("#timings td").count() >= 10 and broken_words(page, "#timings td") == []  # on a phone too
    table, box = page.locator("#timings table").bounding_box(), page.locator("#timings").bounding_box()
    assert table["x"] + table["width"] <= box["x"] + box["width"] + 1  # the table fits its panel
