"""What the server shows: no server paths to web users, one log line per refused request, no traceback for them."""

from __future__ import annotations

import logging
import os
import sys
import sysconfig
import tempfile
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from explorer.settings import cards_dir

from .conftest import REPO, crop_png


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def _server_paths() -> list[str]:
    """Folders whose names must not reach a web user: the install, Python's, the home and temporary folders."""
    return [str(REPO), str(cards_dir().resolve()), sysconfig.get_paths()["purelib"], sys.prefix, str(Path.home()), tempfile.gettempdir()]


def test_the_page_config_names_no_install_path_and_cards_are_served_without_one(app_url):
    config = urllib.request.urlopen(f"{app_url}/config").read().decode()
    install = [str(REPO), str(cards_dir().resolve()), sysconfig.get_paths()["purelib"], sys.prefix, str(Path.home())]
    assert [path for path in install if path in config] == []
    assert "/model-cards/results/quality.csv" in config  # the benchmark's links, served from the cards route
    served = urllib.request.urlopen(f"{app_url}/model-cards/results/quality.csv").read()
    assert served == (cards_dir() / "results" / "quality.csv").read_bytes()


def _hostile_uploads(folder: Path) -> dict[str, Path]:
    ok = crop_png(folder, 64, 48, "ok.png")
    files = {
        "text": ("notes.png", b"hello, not an image"),
        "empty": ("empty.png", b""),
        "html": ("page.png", b"<!doctype html><html><body>Sign in</body></html>"),
        "truncated": ("cut.png", ok.read_bytes()[:80]),
        "path-like-name": ("..%2f..%2fetc%2fpasswd.png", b"GIF89a"),
    }
    paths = {}
    for key, (name, data) in files.items():
        paths[key] = folder / name
        paths[key].write_bytes(data)
    bomb = folder / "bomb.png"
    Image.new("1", (30_000, 30_000)).save(bomb)  # 900 M pixels declared in a small file
    paths["bomb"] = bomb
    return paths


@pytest.mark.parametrize("api", ["/upscale", "/evaluate"])
def test_errors_about_uploads_name_no_server_path_and_log_one_line(client, tmp_path, caplog, capfd, api):
    caplog.set_level(logging.INFO, logger="explorer")
    uploads = _hostile_uploads(tmp_path)
    messages = {}
    for key, path in uploads.items():
        with pytest.raises(Exception) as caught:  # noqa: PT011 - every kind of refusal is checked below
            client.predict(handle_file(str(path)), "default-model", 0, 0, api_name=api)
        messages[key] = str(caught.value)
    for key, message in messages.items():
        assert message and not [path for path in _server_paths() if path in message], (key, message)
        assert "\n" not in message.strip() and "Traceback" not in message, (key, message)
    refusals = [r for r in caplog.records if r.getMessage().startswith("Refused a request")]
    assert len(refusals) == len(uploads)  # one line each
    assert "Traceback" not in capfd.readouterr().err


def test_settings_and_limits_refusals_are_one_log_line_each(client, photo, caplog, capfd):
    caplog.set_level(logging.INFO, logger="explorer")
    requests = [("nope", 0, 0), ("default-model", 1, 0), ("default-model", 32, 16), ("default-model", "NaN", 0)]
    for model, patch_size, padding in requests:
        with pytest.raises(Exception):  # noqa: PT011 - the messages are tested where each rule lives
            client.predict(handle_file(str(photo)), model, patch_size, padding, api_name="/upscale")
    refusals = [r for r in caplog.records if r.getMessage().startswith("Refused a request")]
    assert len(refusals) == len(requests) and all("\n" not in r.getMessage() for r in refusals)
    assert "Traceback" not in capfd.readouterr().err


def test_the_server_logs_to_stderr_when_nothing_else_is_set_up(tmp_path):
    import subprocess

    script = (
        "import logging\n"
        "from explorer.app import _log_to_stderr\n"
        "from explorer.app.common import refuse\n"
        "_log_to_stderr(); refuse('Choose a model first.')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    lines = [line for line in run.stderr.splitlines() if "Refused a request" in line]
    assert run.returncode == 0 and len(lines) == 1 and lines[0].endswith("INFO Refused a request: Choose a model first.")
