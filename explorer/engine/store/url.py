"""Fetch a TF.js model from any http(s) URL into the cache (no pins to check: size caps only)."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from pathlib import Path, PurePosixPath

from explorer.engine.formats.tfjs_weights import check_manifest
from explorer.engine.store.cache import escapes, move_into_place, staging
from explorer.engine.store.download import Progress, deadline_after, download, ignore
from explorer.errors import IntegrityError, ModelFetchError, ModelFormatError, OfflineError
from explorer.settings import cache_dir, download_seconds, is_offline

_URL_HINT = (
    "Check that the URL points at a TF.js model.json whose weight files sit beside it and are publicly readable."
)
_MAX_URL_MODEL_JSON_BYTES = 64 << 20
_MAX_URL_MODEL_BYTES = 2 << 30


def _shard_urls(url: str, model_json: Path) -> list[tuple[str, str]]:
    """``(path in the manifest, absolute URL)`` of each weight shard, refusing paths that leave the model's folder.

    A path is %-decoded first, as a server would decode it, then checked (so
    ``%2e%2e/`` is ``../``), and requested as the checked path, quoted again:
    what is fetched is what was checked.
    """
    try:
        data = json.loads(model_json.read_text(encoding="utf-8"))
        groups = check_manifest(data.get("weightsManifest", []), url)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, AttributeError, ModelFormatError) as exc:
        raise ModelFetchError(f"{url} is not a TF.js model.json ({exc}). {_URL_HINT}") from exc
    shards = []
    for given in (p for group in groups for p in group.get("paths", [])):
        relative = urllib.parse.unquote(given).removeprefix("./")
        parts = PurePosixPath(relative).parts
        if urllib.parse.urlsplit(given).scheme or escapes(relative) or "\\" in relative:
            raise IntegrityError(f"{url} lists the weight file {given!r}, which is not beside the model.json; refused.")
        if not parts or parts[-1] == "." or relative.endswith("/") or any(ord(c) < 32 for c in relative):
            raise ModelFetchError(
                f"{url} is not a usable TF.js model.json: its weightsManifest lists {given!r}, which is not a file "
                "name. Fix the manifest's paths (shard file names beside model.json)."
            )
        # kept under the manifest's own spelling (the loader reads it so); fetched as the decoded, checked path
        shards.append((given.removeprefix("./"), urllib.parse.urljoin(url, urllib.parse.quote(relative))))
    return shards


def _check_model(url: str, model_json: Path) -> None:
    """Refuse a downloaded model whose files do not hold together (before it enters the cache)."""
    from explorer.engine.formats.tfjs_weights import read_weights

    data = json.loads(model_json.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("modelTopology"):
        raise ModelFetchError(f"{url} is not a TF.js model.json (no modelTopology). Nothing was kept. {_URL_HINT}")
    try:
        read_weights(data.get("weightsManifest", []), model_json.parent, url)
    except ModelFormatError as exc:
        raise ModelFetchError(
            f"The model at {url} is not usable: {exc} Nothing was kept: once the files on the server are fixed, "
            "the next run downloads them again."
        ) from exc


def url_model_folder(url: str) -> tuple[Path, str]:
    """Where the model at ``url`` is cached: its folder and the model.json's name in it."""
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name
    return cache_dir() / "urls" / hashlib.sha256(url.encode()).hexdigest()[:24], name


def forget_url_model(url: str) -> None:
    """Remove the cached copy of the model at ``url`` (one that failed to load, or before a refresh)."""
    final, _ = url_model_folder(_model_json_url(url))
    if final.exists():
        with staging(cache_dir()) as trash:
            try:
                os.rename(final, trash / "old")
            except OSError:
                if final.exists():
                    raise


def is_url(text: str) -> bool:
    """True if ``text`` names a model by an http(s) URL (rather than an id or a path)."""
    return text.startswith(("http://", "https://"))


def _model_json_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelFetchError(f"{url!r} is not an http(s) URL. {_URL_HINT}")
    if not parts.path.endswith(".json"):  # a folder: its model.json
        return urllib.parse.urljoin(url.rstrip("/") + "/", "model.json")
    return url


def fetch_url_model(
    url: str, *, offline: bool | None = None, progress: Progress | None = None, refresh: bool = False
) -> Path:
    """Download a TF.js model.json and its weight shards from ``url`` into the cache.

    The model is cached under ``<cache>/urls/<hash of the URL>/`` and reused
    (``refresh=True`` downloads it again and replaces the cached copy only once
    the new one checks out). With no pinned hash to check it against, only
    size caps apply (64 MiB for the JSON, 2 GiB in all), the whole download
    must end within ``$UPSCALER_EXPLORER_DOWNLOAD_SECONDS``, shards must sit
    beside the model.json, and the weights must match the manifest: a model
    that fails is not kept.

    Returns
    -------
    pathlib.Path
        The cached model.json.

    Raises
    ------
    ModelFetchError
        Bad URL, HTTP errors, HTML instead of a file, oversized downloads, a
        manifest or weights that do not hold together.
    OfflineError
        Offline and not cached, or a refresh asked for offline.
    """
    url = _model_json_url(url)
    final, name = url_model_folder(url)
    if (final / name).is_file() and not refresh:
        return final / name
    if is_offline() if offline is None else offline:
        raise OfflineError(
            f"The model at {url} is not cached (or a refresh was asked for) and offline mode is on. "
            "Unset UPSCALER_EXPLORER_OFFLINE to download it."
        )
    report = progress or ignore
    deadline = deadline_after(download_seconds())
    with staging(cache_dir()) as staged:
        report(f"Downloading {url}...")
        download(url, staged / name, max_bytes=_MAX_URL_MODEL_JSON_BYTES, hint=_URL_HINT, deadline=deadline)
        budget = _MAX_URL_MODEL_BYTES - (staged / name).stat().st_size
        for relative, shard_url in _shard_urls(url, staged / name):
            report(f"Downloading {shard_url}...")
            download(shard_url, staged / relative, max_bytes=budget, hint=_URL_HINT, deadline=deadline)
            budget -= (staged / relative).stat().st_size
        _check_model(url, staged / name)
        if refresh:
            forget_url_model(url)
        move_into_place(staged, final)
    return final / name
