"""A shared link cannot put page content into the app: every user-controlled string reaches the page as text.

The payload is tags, not only ``<script>``: a link, an image pointing at a
local server that records whether the browser fetched it, and a form with a
password field. Each is put in the address's parameters, in a real browser on
the app started as users start it. (Every toast goes through
``explorer.app.common.refuse``/``warn``; tests/app/test_common.py checks that.)

Needs Chromium at /usr/bin/chromium; skipped without it.
"""

from __future__ import annotations

import http.server
import threading
from urllib.parse import quote

import pytest

from tests.browser_cdn import needs_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def tracker():
    """A local server that records every path a browser asks it for."""
    asked: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def _payload(base: str, tag: str, space: str = " ") -> str:
    """Tags that would show a phishing link, fetch a tracking image and ask for a password."""
    return (
        f'<a{space}id="phish-{tag}"{space}href="{base}/login">Session_expired:_log_in_again</a>'
        f'<img{space}id="pixel-{tag}"{space}src="{base}/pixel-{tag}.gif">'
        f'<form{space}id="steal-{tag}"{space}action="{base}/steal"><input{space}type="password"{space}name="pw"></form>'
    )


@pytest.fixture(scope="module")
def page(chromium):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.locator("#app-header").wait_for(timeout=60_000)
    page.wait_for_function("window.__explorerRestored === true", timeout=30_000)


def _toast_text(page, says: str) -> str:
    """The text of the toasts, once one that ``says`` this has appeared."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('.toast-body')].some(e => e.innerText.includes(t))", arg=says, timeout=30_000
    )
    return "\n".join(page.locator(".toast-body").all_inner_texts())


def _injected(page, tag: str) -> list[str]:
    """The payload's elements (or any password field) the page holds."""
    return page.evaluate(
        """tag => [...document.querySelectorAll(
             `#phish-${tag}, #pixel-${tag}, #steal-${tag}, input[type=password], a[href*="/login"], form[action*="/steal"]`
           )].map(e => e.outerHTML)""",
        tag,
    )


@pytest.mark.parametrize("parameter", ["model", "tab", "patch_size", "padding"])
def test_address_parameters_are_shown_as_text(page, app_url, tracker, parameter):
    base, asked = tracker
    payload = _payload(base, parameter)
    query = f"{parameter}={quote(payload)}" + ("&patch_size=64" if parameter == "padding" else "")
    _open(page, f"{app_url}/?{query}")
    shown = _toast_text(page, "Session_expired:_log_in_again")
    page.evaluate("() => fetch('/config')")  # a round trip after the toasts, before we look at what was fetched
    assert _injected(page, parameter) == [] and not [path for path in asked if parameter in path]
    assert "Session_expired:_log_in_again</a><img" in shown  # the tags, as characters
