"""Tests of explorer.engine.store against real packages, real npm and a real local HTTP server."""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import io
import shutil
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import platformdirs
import pytest

from explorer.engine import store
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.store import npm
from explorer.errors import (
    IntegrityError,
    ModelFetchError,
    OfflineError,
)

PIXEL = get_spec("pixel-upsampler/2x")
DEFAULT = get_spec("@upscalerjs/default-model")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sri(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _leftovers(cache: Path) -> list[str]:
    """Every file or folder our store wrote under the cache, npm's own cache aside."""
    return sorted(
        str(p.relative_to(cache))
        for folder in ("packages", "files", "tmp")
        if (cache / folder).exists()
        for p in (cache / folder).rglob("*")
    )


def _assert_verified(directory: Path, spec: ModelSpec) -> None:
    for name, sha256 in spec.files.items():
        assert _sha256(directory / name) == sha256, name


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache for tests that damage or inspect one."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(cache))
    return cache


@pytest.fixture
def no_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which there is no npm client, and no npm registry setting."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)


def _fetch_into(cache: Path, spec: ModelSpec) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UPSCALER_EXPLORER_CACHE", str(cache))
        return store.package_dir(spec, source="npm")


@pytest.fixture(scope="session")
def default_package(model_cache: Path) -> Path:
    """The real default-model package, verified, in the shared test cache."""
    return _fetch_into(model_cache, DEFAULT)


@pytest.fixture(scope="session")
def pixel_package(model_cache: Path) -> Path:
    """The real pixel-upsampler package, verified, in the shared test cache."""
    return _fetch_into(model_cache, PIXEL)


@pytest.fixture(scope="session")
def pixel_tarball(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real pixel-upsampler tarball, as ``npm pack`` gives it."""
    return npm.pack(PIXEL, tmp_path_factory.mktemp("pack"), model_cache / "npm")


# --- settings -----------------------------------------------------------------


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path))
    assert store.cache_dir() == tmp_path
    monkeypatch.delenv("UPSCALER_EXPLORER_CACHE")
    assert store.cache_dir() == Path(platformdirs.user_cache_dir("upscaler-explorer"))


@pytest.mark.parametrize(
    ("value", "offline"),
    [("1", True), ("TRUE", True), ("yes", True), ("On", True), ("0", False), ("no", False), ("", False)],
)
def test_is_offline_reads_the_switch(monkeypatch: pytest.MonkeyPatch, value: str, offline: bool) -> None:
    monkeypatch.setenv("UPSCALER_EXPLORER_OFFLINE", value)
    assert store.is_offline() is offline


def test_unknown_source_is_a_clear_error(own_cache: Path) -> None:
    with pytest.raises(ModelFetchError, match="'auto', 'npm' or 'cdn'"):
        store.package_dir(PIXEL, source="ftp")


# --- npm --------------------------------------------------------------------------


def test_npm_fetch_verifies_caches_and_writes_only_to_the_cache(
    own_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    messages: list[str] = []

    path = store.model_json_path(PIXEL.id, source="npm", progress=messages.append)

    package = own_cache / "packages" / "@upscalerjs+pixel-upsampler@1.0.0-beta.11"
    assert path == package / "models/x2/x2.json"
    _assert_verified(package, PIXEL)
    assert (package / "package.json").is_file()  # the whole package, not only the variant's files
    assert any("with npm" in m for m in messages)
    assert list((own_cache / "tmp").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "home"]
    assert list(home.iterdir()) == []


def test_a_cached_package_needs_neither_npm_nor_network(
    pixel_package: Path, no_npm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSCALER_EXPLORER_OFFLINE", "1")
    assert store.model_json_path("pixel-upsampler/2x", source="npm") == pixel_package / PIXEL.path


def test_wrong_pinned_hash_refuses_the_npm_package(own_cache: Path) -> None:
    wrong = dataclasses.replace(PIXEL, integrity="sha512-" + base64.b64encode(bytes(64)).decode())
    with pytest.raises(IntegrityError, match="pins sha512-AAAA"):
        store.package_dir(wrong, source="npm")
    assert _leftovers(own_cache) == []


def test_missing_npm_suggests_the_cdn(own_cache: Path, no_npm: None) -> None:
    with pytest.raises(ModelFetchError, match="UPSCALER_EXPLORER_SOURCE=cdn"):
        store.package_dir(PIXEL, source="npm")


def test_failing_npm_reports_its_stderr(own_cache: Path) -> None:
    absent = dataclasses.replace(PIXEL, version="0.0.0-no-such-version")
    with pytest.raises(ModelFetchError, match=r"(?s)failed \(exit \d+\):\n.*(ETARGET|E404|No matching)"):
        store.package_dir(absent, source="npm")
    assert _leftovers(own_cache) == []


def test_offline_without_cache_says_how_to_fetch(own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSCALER_EXPLORER_OFFLINE", "yes")
    expected = r"python -m explorer fetch @upscalerjs/default-model`.*UPSCALER_EXPLORER_OFFLINE"
    with pytest.raises(OfflineError, match=expected):
        store.package_dir("default")
    assert _leftovers(own_cache) == []


# --- tarballs -----------------------------------------------------------------------


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


def _variant_members(package: Path, spec: ModelSpec) -> list[tuple[tarfile.TarInfo, bytes]]:
    return [_file(f"package/{name}", (package / name).read_bytes()) for name in spec.files]


def _pinned_tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], spec: ModelSpec) -> ModelSpec:
    """Write a tarball of ``members`` and return ``spec`` pinned to it."""
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return dataclasses.replace(spec, integrity=_sri(path))


def test_a_crafted_tarball_of_the_right_files_installs(pixel_package: Path, tmp_path: Path) -> None:
    spec = _pinned_tarball(tmp_path / "ok.tgz", _variant_members(pixel_package, PIXEL), PIXEL)
    installed = npm.install_tarball(tmp_path / "ok.tgz", spec, tmp_path / "cache")
    _assert_verified(installed, PIXEL)
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("member", "complaint"),
    [
        (_file("../evil", b"x"), "points outside the package"),
        (_file("/tmp/evil", b"x"), "points outside the package"),
        (_file("package/../../evil", b"x"), "points outside the package"),
        (_special("package/evil", tarfile.SYMTYPE, "/etc/passwd"), "link or special file"),
        (_special("package/evil", tarfile.SYMTYPE, "../../evil"), "link or special file"),
        (_special("package/evil", tarfile.LNKTYPE, "package/models/x2/x2.json"), "link or special file"),
        (_special("package/evil", tarfile.CHRTYPE), "link or special file"),
        (_special("package/evil", tarfile.FIFOTYPE), "link or special file"),
        (_file("evil", b"x"), "not under 'package/'"),
    ],
    ids=[
        "dotdot", "absolute", "nested-dotdot", "symlink-abs", "symlink-rel",
        "hardlink", "device", "fifo", "outside-package",
    ],
)
def test_unsafe_members_refuse_the_whole_package(
    pixel_package: Path, tmp_path: Path, member: tuple[tarfile.TarInfo, bytes], complaint: str
) -> None:
    good = _variant_members(pixel_package, PIXEL)
    spec = _pinned_tarball(tmp_path / "bad.tgz", [good[0], member, *good[1:]], PIXEL)
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError, match=complaint) as caught:
        npm.install_tarball(tmp_path / "bad.tgz", spec, cache)
    assert repr(member[0].name) in str(caught.value)
    assert _leftovers(cache) == []
    assert not list(tmp_path.rglob("evil")) and not Path("/tmp/evil").exists()


def test_unpacked_files_lose_setuid_and_shared_write_bits(pixel_package: Path, tmp_path: Path) -> None:
    members = _variant_members(pixel_package, PIXEL)
    for info, _ in members:
        info.mode = 0o6777
    spec = _pinned_tarball(tmp_path / "modes.tgz", members, PIXEL)
    installed = npm.install_tarball(tmp_path / "modes.tgz", spec, tmp_path / "cache")
    modes = {name: (installed / name).stat().st_mode & 0o7777 for name in PIXEL.files}
    assert all(mode & 0o6022 == 0 and mode & 0o600 == 0o600 for mode in modes.values()), modes


def test_a_corrupted_tarball_is_refused_before_unpacking(pixel_tarball: Path, tmp_path: Path) -> None:
    corrupted = tmp_path / "corrupted.tgz"
    data = bytearray(pixel_tarball.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="but the model card pins"):
        npm.install_tarball(corrupted, PIXEL, tmp_path / "cache")
    assert _leftovers(tmp_path / "cache") == []


def test_a_package_file_unlike_its_pin_is_refused(pixel_tarball: Path, tmp_path: Path) -> None:
    files = {**PIXEL.files, PIXEL.path: "0" * 64}
    with pytest.raises(IntegrityError, match="models/x2/x2.json from .* has sha256"):
        npm.install_tarball(pixel_tarball, dataclasses.replace(PIXEL, files=files), tmp_path / "cache")
    assert _leftovers(tmp_path / "cache") == []


def test_a_package_lacking_a_pinned_file_is_refused(pixel_tarball: Path, tmp_path: Path) -> None:
    files = {**PIXEL.files, "models/x2/missing.bin": "0" * 64}
    with pytest.raises(IntegrityError, match="has no file models/x2/missing.bin"):
        npm.install_tarball(pixel_tarball, dataclasses.replace(PIXEL, files=files), tmp_path / "cache")
    assert _leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize("cap", ["MAX_UNPACKED_BYTES", "MAX_MEMBERS"])
def test_a_tar_bomb_is_refused(pixel_tarball: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: str) -> None:
    with tarfile.open(pixel_tarball) as archive:
        members = archive.getmembers()
    total = sum(member.size for member in members) if cap == "MAX_UNPACKED_BYTES" else len(members)
    monkeypatch.setattr(npm, cap, total - 1)  # the real package, one byte or one file over
    with pytest.raises(IntegrityError, match="archive bomb"):
        npm.install_tarball(pixel_tarball, PIXEL, tmp_path / "cache")
    assert _leftovers(tmp_path / "cache") == []
    monkeypatch.setattr(npm, cap, total)
    _assert_verified(npm.install_tarball(pixel_tarball, PIXEL, tmp_path / "cache"), PIXEL)


def test_when_another_process_installed_first_its_copy_is_kept(pixel_tarball: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    theirs = cache / "packages" / "@upscalerjs+pixel-upsampler@1.0.0-beta.11"
    theirs.mkdir(parents=True)
    (theirs / "theirs.txt").write_text("first")
    assert npm.install_tarball(pixel_tarball, PIXEL, cache) == theirs
    assert [p.name for p in theirs.iterdir()] == ["theirs.txt"]
    assert list((cache / "tmp").iterdir()) == []


# --- CDN ----------------------------------------------------------------------------


class _CdnHandler(SimpleHTTPRequestHandler):
    """Serves files like a CDN, or misbehaves for the URL paths in ``server.faults``."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        fault = self.server.faults.get(self.path)
        if fault is None:
            super().do_GET()
        elif fault == "missing":
            self.send_error(404, "Not Found")
        elif fault == "html":
            self._send(b"<!doctype html><html><body>Please sign in</body></html>", "text/html")
        else:
            data = Path(self.translate_path(self.path)).read_bytes()
            half = data[: len(data) // 2]
            self._send(half, length=len(data) if fault == "drop" else len(half))

    def _send(self, body: bytes, content_type: str = "application/octet-stream", length: int | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="session")
def cdn_server(default_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server holding default-model's files as ``{name}@{version}/{path}``."""
    root = tmp_path_factory.mktemp("cdn")
    for name in DEFAULT.files:
        target = root / f"{DEFAULT.package}@{DEFAULT.version}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(default_package / name, target)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_CdnHandler, directory=str(root)))
    server.faults = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def cdn(cdn_server: ThreadingHTTPServer, own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the store at the local CDN with an empty cache; returns its faults, to fill."""
    host, port = cdn_server.server_address[:2]
    monkeypatch.setenv("UPSCALER_EXPLORER_CDN", f"http://{host}:{port}/")
    monkeypatch.delenv("UPSCALER_EXPLORER_SOURCE", raising=False)
    cdn_server.faults.clear()
    return cdn_server.faults


def _url_path(spec: ModelSpec, name: str) -> str:
    return f"/{spec.package}@{spec.version}/{name}"


def test_cdn_fetch_gives_the_same_files_as_npm(cdn: dict[str, str], own_cache: Path, default_package: Path) -> None:
    messages: list[str] = []
    directory = store.package_dir(DEFAULT, source="cdn", progress=messages.append)
    assert directory == own_cache / "files" / "@upscalerjs+default-model@1.0.0"
    for name in DEFAULT.files:
        assert (directory / name).read_bytes() == (default_package / name).read_bytes(), name
    assert len(messages) == len(DEFAULT.files)
    assert list((own_cache / "tmp").iterdir()) == []
    assert store.model_json_path(DEFAULT, offline=True) == directory / DEFAULT.path


def test_without_npm_auto_uses_the_cdn(cdn: dict[str, str], own_cache: Path, no_npm: None) -> None:
    assert store.model_json_path(DEFAULT) == own_cache / "files" / "@upscalerjs+default-model@1.0.0" / DEFAULT.path


SHARD = "models/group1-shard1of1.bin"


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("truncated", IntegrityError, f"{SHARD} from http://.* has sha256"),
        ("missing", ModelFetchError, "answered HTTP 404"),
        ("html", ModelFetchError, "returned an HTML page"),
        ("drop", ModelFetchError, r"failed: the connection ended after \d+ of \d+ bytes"),
    ],
)
def test_cdn_faults_are_clear_errors_and_leave_no_trace(
    cdn: dict[str, str], own_cache: Path, fault: str, error: type[Exception], message: str
) -> None:
    cdn[_url_path(DEFAULT, SHARD)] = fault
    with pytest.raises(error, match=message) as caught:
        store.package_dir(DEFAULT, source="cdn")
    assert f"{DEFAULT.package}@{DEFAULT.version}/{SHARD}" in str(caught.value)
    assert _leftovers(own_cache) == []


def test_cdn_refuses_card_paths_that_leave_the_package(cdn: dict[str, str], own_cache: Path) -> None:
    escaping = dataclasses.replace(DEFAULT, files={**DEFAULT.files, "../../evil.bin": "0" * 64})
    with pytest.raises(ModelFetchError, match="'../../evil.bin', which is not a path inside the package"):
        store.package_dir(escaping, source="cdn")
    assert _leftovers(own_cache) == []
