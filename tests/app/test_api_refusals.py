"""Raw API requests the app refuses: each is one line in the server log, no traceback, and a message for the caller.

Sent over plain HTTP to the app started as users start it, with inputs no
page would send: server paths as the image (in every form Gradio reads), and
JSON's non-standard ``NaN``/``Infinity`` where an image, a text or a number goes.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

REQUESTS = [
    ("upscale", '["/etc/passwd", "default-model", 0, 0]'),
    ("upscale", '[{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "default-model", 0, 0]'),
    ("evaluate", '[{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "default-model", 0, 0]'),
    ("upscale", '[{"url": "file:///etc/passwd", "meta": {"_type": "gradio.FileData"}}, "default-model", 0, 0]'),
    ("upscale", '[NaN, "default-model", 0, 0]'),
    ("upscale", '[null, NaN, Infinity, 0]'),
    ("upscale", '[{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "default-model", Infinity, NaN]'),
    ("snippet", '["default-model", "python", -Infinity, NaN]'),
]


def _call(base: str, endpoint: str, data: str) -> str:
    """POST the raw JSON body, then read the event stream to its end; return what the caller was told."""
    body = ('{"data": ' + data + "}").encode()
    request = urllib.request.Request(f"{base}/gradio_api/call/{endpoint}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        event = json.load(answer)["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/call/{endpoint}/{event}", timeout=120) as stream:
        return stream.read().decode()


@pytest.mark.parametrize(("endpoint", "data"), REQUESTS)
def test_a_refused_raw_request_is_one_log_line_and_no_traceback(served_app, endpoint, data):
    before = served_app.log.stat().st_size
    told = _call(served_app.url, endpoint, data)
    with served_app.log.open(encoding="utf-8", errors="replace") as log:
        log.seek(before)
        written = log.read()
    assert "event: error" in told and '"error": null' not in told  # the caller is told why
    assert "Traceback" not in written
    lines = [line for line in written.splitlines() if line.strip() and not line.startswith("* ")]  # Gradio's start-up notes
    assert len(lines) == 1 and "Refused a request" in lines[0], written
