"""Models by URL from a server that breaks, is fixed, changes, or lists odd shard paths.

A real model's files (esrgan-slim/2x) are served from 127.0.0.1, and the
cache is the default one of a fresh HOME: nothing that failed is kept, a fixed
server works on the next run, a refresh fetches a changed model, and shard
paths are decoded before the "beside model.json" rule is applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.engine import store
from explorer.engine.registry import get_spec
from explorer.engine.resolve import resolve
from explorer.errors import IntegrityError, ModelFetchError, ModelFormatError
from tests.helpers import serve_handler


@pytest.fixture(scope="module")
def slim() -> dict[str, bytes]:
    """The files of esrgan-slim/2x: ``model.json`` and its one shard, as a server would hold them."""
    model_json = store.model_json_path(get_spec("esrgan-slim/2x"))
    return {"model.json": model_json.read_bytes(), **{p.name: p.read_bytes() for p in model_json.parent.glob("*.bin")}}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME with the cache in its default place there."""
    monkeypatch.delenv("UPSCALER_EXPLORER_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert store.cache_dir() == tmp_path / ".cache" / "upscaler-explorer"
    return tmp_path


@contextmanager
def _serving(files: dict[str, bytes], asked: list[str] | None = None) -> Iterator[str]:
    """Serve ``files`` (read at each request, so a test can change them) with honest lengths; record the paths asked."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if asked is not None:
                asked.append(self.path)
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format, *args):
            pass

    with serve_handler(Handler) as base:
        yield base


def _cached(home: Path) -> list[str]:
    urls = home / ".cache" / "upscaler-explorer" / "urls"
    return sorted(str(p.relative_to(urls)) for p in urls.rglob("*") if p.is_file()) if urls.exists() else []


def _with_manifest(files: dict[str, bytes], paths: list[str]) -> dict[str, bytes]:
    data = json.loads(files["model.json"])
    data["weightsManifest"][0]["paths"] = paths
    return {**files, "model.json": json.dumps(data).encode()}


def test_a_truncated_shard_is_not_kept_and_a_fixed_server_works_on_the_next_run(home, slim):
    shard = next(name for name in slim if name.endswith(".bin"))
    served = {**slim, shard: slim[shard][: len(slim[shard]) // 2]}  # honest Content-Length, half the bytes
    with _serving(served) as base:
        with pytest.raises(ModelFetchError, match="a shard is truncated.*Nothing was kept"):
            store.fetch_url_model(f"{base}/model.json")
        assert _cached(home) == []
        served[shard] = slim[shard]  # the server is fixed
        path = store.fetch_url_model(f"{base}/model.json")
        assert (path.parent / shard).read_bytes() == slim[shard]


def test_a_model_that_fails_to_load_is_not_kept(home, slim):
    data = json.loads(slim["model.json"])
    data["modelTopology"]["model_config"]["config"]["layers"][1]["class_name"] = "Lambda"  # code-running layer: refused
    served = {**slim, "model.json": json.dumps(data).encode()}
    with _serving(served) as base:
        with pytest.raises(ModelFormatError, match="Lambda"):
            resolve(f"{base}/model.json")
        assert _cached(home) == []
        served["model.json"] = slim["model.json"]
        assert resolve(f"{base}/model.json").spec.scale == 2


def test_refresh_fetches_a_changed_model_and_keeps_the_old_one_if_the_new_one_fails(home, slim, capsys):
    served = dict(slim)
    shard = next(name for name in slim if name.endswith(".bin"))
    with _serving(served) as base:
        url = f"{base}/model.json"
        first = store.fetch_url_model(url)
        changed = bytes(reversed(slim[shard]))  # same size, other weights: the remote model changed
        served[shard] = changed
        assert (store.fetch_url_model(url).parent / shard).read_bytes() == slim[shard]  # cached: not fetched again
        served[shard] = changed[:100]
        with pytest.raises(ModelFetchError, match="truncated"):
            store.fetch_url_model(url, refresh=True)
        assert (first.parent / shard).read_bytes() == slim[shard]  # a failed refresh leaves the cached copy
        served[shard] = changed
        assert main(["fetch", url, "--refresh"]) == 0
        assert f"{url}: checked, {first}" in capsys.readouterr().out
        assert (first.parent / shard).read_bytes() == changed


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("%2e%2e/%2e%2e/secret.bin", IntegrityError, "not beside the model.json"),
        ("..%2Fsecret.bin", IntegrityError, "not beside the model.json"),
        ("%2Fetc%2Fpasswd", IntegrityError, "not beside the model.json"),
        (".", ModelFetchError, "weightsManifest lists '.', which is not a file name"),
        ("./", ModelFetchError, "which is not a file name"),
        ("shard\u0000.bin", ModelFetchError, "which is not a file name"),
        ("shard%00.bin", ModelFetchError, "which is not a file name"),
    ],
)
def test_shard_paths_are_decoded_then_kept_beside_the_model_json(home, slim, path, error, message):
    asked: list[str] = []
    with _serving(_with_manifest(slim, [path]), asked) as base:
        with pytest.raises(error, match=message) as raised:
            store.fetch_url_model(f"{base}/model.json")
    assert asked == ["/model.json"] and _cached(home) == []  # only the manifest was asked for
    assert "answered" not in str(raised.value) and "connection" not in str(raised.value)


def test_an_encoded_shard_name_beside_the_model_json_is_fetched_decoded(home, slim):
    shard = next(name for name in slim if name.endswith(".bin"))
    encoded = "".join(f"%{byte:02x}" for byte in shard.encode())
    asked: list[str] = []
    with _serving(_with_manifest(slim, [encoded]), asked) as base:
        path = store.fetch_url_model(f"{base}/model.json")
    assert asked == ["/model.json", f"/{shard}"]  # decoded, as a server reads it
    assert (path.parent / encoded).read_bytes() == slim[shard]  # kept as the manifest spells it, where the loader looks


def test_refresh_is_only_for_models_given_by_url(home, tmp_path, capsys):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    assert main(["upscale", str(tmp_path / "a.png"), "--refresh", "-q"]) == 2
    assert "registry models are pinned" in capsys.readouterr().err and not (tmp_path / "a@2x.png").exists()
