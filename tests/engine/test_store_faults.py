"""Hostile servers and killed fetches: a download deadline, http(s)-only redirects, and no orphans after a kill.

The servers run on 127.0.0.1 in this process; the killed fetch is a real
``python`` process running the store, killed with SIGKILL while its ``npm pack``
child (a stand-in client that hangs, as npm does on a dead network) is running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from explorer.engine import store
from explorer.engine.store.cache import staging
from explorer.errors import ModelFetchError
from tests.helpers import serve_handler

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def _server(answer) -> Iterator[str]:
    """Serve every GET with ``answer(handler)``; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            try:
                answer(self)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
                pass

        def log_message(self, format, *args):
            pass

    with serve_handler(Handler) as base:
        yield base


def _trickle(handler) -> None:
    """Promise a 1,000-byte model.json, then send one byte every half second (at most 60)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(60):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.5)


def _silent(handler) -> None:
    """Send the headers, then nothing (for at most 30 s)."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.flush()
    time.sleep(30)


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(cache))
    return cache


@pytest.mark.parametrize("answer", [_trickle, _silent], ids=["one-byte-at-a-time", "headers-then-nothing"])
def test_a_url_download_ends_at_its_deadline(own_cache: Path, monkeypatch: pytest.MonkeyPatch, answer) -> None:
    monkeypatch.setenv("UPSCALER_EXPLORER_DOWNLOAD_SECONDS", "2")
    with _server(answer) as base, pytest.raises(ModelFetchError, match="took longer than the download deadline"):
        store.fetch_url_model(f"{base}/model.json")
    assert list((own_cache / "tmp").iterdir()) == [] and not (own_cache / "urls").exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://127.0.0.1/model.json", r"redirects to 'ftp://127.0.0.1/model.json', which is not an http\(s\) address"),
        ("file:///etc/passwd", "Redirection to url 'file:///etc/passwd' is not allowed"),  # urllib's own refusal
    ],
)
def test_only_http_redirects_are_followed(own_cache: Path, target: str, message: str) -> None:
    def redirect(handler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with _server(redirect) as base, pytest.raises(ModelFetchError, match=message):
        store.fetch_url_model(f"{base}/model.json")


def test_an_http_redirect_is_still_followed(own_cache: Path) -> None:
    model = json.dumps({"modelTopology": {"node": []}, "format": "graph-model", "weightsManifest": []}).encode()

    def answer(handler) -> None:
        if handler.path == "/old/model.json":
            handler.send_response(301)
            handler.send_header("Location", "/new/model.json")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(model)))
        handler.end_headers()
        handler.wfile.write(model)

    with _server(answer) as base:
        assert store.fetch_url_model(f"{base}/old/model.json").read_bytes() == model


@pytest.mark.parametrize("manifest", [{"a": 1}, ["x"], [{"paths": [3]}]], ids=["object", "list-of-text", "path-number"])
def test_a_malformed_manifest_by_url_is_a_fetch_error(own_cache: Path, manifest) -> None:
    body = json.dumps({"modelTopology": {}, "weightsManifest": manifest}).encode()

    def answer(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with _server(answer) as base, pytest.raises(ModelFetchError, match="is not a TF.js model.json"):
        store.fetch_url_model(f"{base}/model.json")


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to tell our child from others")
def test_a_fetch_killed_mid_download_leaves_no_orphan_and_no_partial_tarball(tmp_path: Path, own_cache: Path) -> None:
    client = tmp_path / "bin" / "npm"
    client.parent.mkdir()
    # Stands in for an npm client on a dead network: writes part of the tarball, then hangs (at most 120 s).
    client.write_text('#!/bin/sh\nprintf partial > "$5/upscalerjs-pixel-upsampler-1.0.0.tgz"\nsleep 120\n')
    client.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{client.parent}:{os.environ['PATH']}", "UPSCALER_EXPLORER_CACHE": str(own_cache)}
    fetch = subprocess.Popen(
        [sys.executable, "-c", "from explorer.engine import store; store.package_dir('pixel-upsampler/2x', source='npm')"],
        env=env,
    )
    try:
        assert _wait_for(lambda: list(own_cache.glob("tmp/stage-*/*.tgz")), 120), "the fetch never started"
        staged = next(own_cache.glob("tmp/stage-*"))
        child = int((staged / "child.pid").read_text())
        fetch.kill()  # the server dies outright: no cleanup of its own runs
        fetch.wait(timeout=30)
        assert _running(child), "the npm child should outlive its killed parent (this is the fault being fixed)"
        assert os.getpgid(child) == child  # its own process group, so the whole group can be stopped
        store.clean_stale_staging(own_cache)  # what the next start does
        assert _wait_for(lambda: not _running(child), 10)
        assert not staged.exists() and list((own_cache / "tmp").iterdir()) == []
    finally:
        if fetch.poll() is None:
            fetch.kill()
        for folder in own_cache.glob("tmp/stage-*"):
            pid_file = folder / "child.pid"
            if pid_file.exists() and _running(int(pid_file.read_text())):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
        shutil.rmtree(own_cache, ignore_errors=True)


def _ended_pid() -> int:
    """The id of a process that has ended, as a killed fetch's has."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_staging_of_ours_is_cleaned_and_the_rest_kept(own_cache: Path) -> None:
    tmp = own_cache / "tmp"
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24]
    dead_owner, old, fresh, foreign = (  # a killed owner, another host's (old), ours (in use), not ours (old)
        tmp / f"stage-{host}-{_ended_pid()}-a",
        tmp / f"stage-otherhost-{os.getpid()}-b",
        tmp / f"stage-{host}-{os.getpid()}-c",
        tmp / "someone-elses",
    )
    for folder in (dead_owner, old, fresh, foreign):
        folder.mkdir(parents=True)
        (folder / "part").write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for path in (old / "part", old, foreign / "part", foreign):
        os.utime(path, (two_hours_ago, two_hours_ago))
    with staging(own_cache) as mine:
        assert sorted(p.name for p in tmp.iterdir()) == sorted([fresh.name, foreign.name, mine.name])


def test_a_running_fetchs_staging_is_left_alone(own_cache: Path) -> None:
    with staging(own_cache) as mine:
        (mine / "child.pid").write_text(str(os.getpid()))  # a live process: never stopped, never removed
        store.clean_stale_staging(own_cache)
        assert mine.is_dir()
    assert not mine.exists()
