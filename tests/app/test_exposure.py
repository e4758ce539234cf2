"""What the server shows: no server paths to web users, one log line per refused request, no traceback for them.

Against the app started as users start it (``python -m explorer serve``, see
conftest), whose output goes to its log file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from explorer.settings import cards_dir

from .conftest import REPO, ServedApp, crop_png


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def _install_paths() -> list[str]:
    return [str(REPO), str(cards_dir().resolve()), sysconfig.get_paths()["purelib"], sys.prefix]


def _server_paths(served_app: ServedApp) -> list[str]:
    """Folders whose names must not reach a web user: the install, Python's, the server's home and temp folders."""
    return [*_install_paths(), str(served_app.log.parent), tempfile.gettempdir()]


def test_the_page_config_names_no_install_path_and_cards_are_served_without_one(app_url):
    config = urllib.request.urlopen(f"{app_url}/config").read().decode()
    assert [path for path in _install_paths() if path in config] == []
    assert "/model-cards/results/quality.csv" in config  # the benchmark's links, served from the cards route
    served = urllib.request.urlopen(f"{app_url}/model-cards/results/quality.csv").read()
    assert served == (cards_dir() / "results" / "quality.csv").read_bytes()


def _hostile_uploads(folder: Path) -> list[Path]:
    ok = crop_png(folder, 64, 48, "ok.png")
    files = {
        "notes.png": b"hello, not an image",
        "empty.png": b"",
        "page.png": b"<!doctype html><html><body>Sign in</body></html>",
        "cut.png": ok.read_bytes()[:80],
        "..%2f..%2fetc%2fpasswd.png": b"GIF89a",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    Image.new("1", (30_000, 30_000)).save(folder / "bomb.png")  # 900 M pixels declared in a small file
    return [folder / name for name in (*files, "bomb.png")]


def _new_log(served_app: ServedApp, start: int) -> str:
    return served_app.log.read_text(errors="replace")[start:]


@pytest.mark.parametrize("api", ["/upscale", "/evaluate"])
def test_errors_about_uploads_name_no_server_path_and_log_one_line(client, served_app, tmp_path, api):
    uploads = _hostile_uploads(tmp_path)
    start = len(served_app.log.read_text(errors="replace"))
    for path in uploads:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - every kind of refusal is checked below
            client.predict(handle_file(str(path)), "default-model", 0, 0, api_name=api)
        message = str(caught.value)
        assert message and not [p for p in _server_paths(served_app) if p in message], (path.name, message)
        assert "\n" not in message.strip() and "Traceback" not in message, (path.name, message)
    log = _new_log(served_app, start)
    assert log.count("Refused a request") == len(uploads) and "Traceback" not in log


def test_settings_and_limits_refusals_are_one_log_line_each(client, served_app, photo):
    requests = [("nope", 0, 0), ("default-model", 1, 0), ("default-model", 32, 16), ("default-model", "NaN", 0)]
    start = len(served_app.log.read_text(errors="replace"))
    for model, patch_size, padding in requests:
        with pytest.raises(Exception):  # noqa: PT011 - the messages are tested where each rule lives
            client.predict(handle_file(str(photo)), model, patch_size, padding, api_name="/upscale")
    log = _new_log(served_app, start)
    assert log.count("Refused a request") == len(requests) and "Traceback" not in log
    assert "Refused a request: WorkLimitError: Patch size 1 is below" in log


def test_the_server_logs_to_stderr_when_nothing_else_is_set_up():
    script = (
        "from explorer.app import _log_to_stderr\n"
        "from explorer.app.common import refuse\n"
        "_log_to_stderr(); refuse('Choose a model first.')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    lines = [line for line in run.stderr.splitlines() if "Refused a request" in line]
    assert run.returncode == 0 and len(lines) == 1 and lines[0].endswith("INFO Refused a request: Choose a model first.")
