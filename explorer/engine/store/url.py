"""Fetch a TF.js model from any http(s) URL into the cache (no pins to check: size caps only)."""

from __future__ import annotations

import hashlib
import json
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
    """``(relative path, absolute URL)`` of each weight shard, refusing paths that leave the model's folder."""
    try:
        data = json.loads(model_json.read_text(encoding="utf-8"))
        groups = check_manifest(data.get("weightsManifest", []), url)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, AttributeError, ModelFormatError) as exc:
        raise ModelFetchError(f"{url} is not a TF.js model.json ({exc}). {_URL_HINT}") from exc
    paths = [p for group in groups for p in group.get("paths", [])]
    for relative in paths:
        if urllib.parse.urlsplit(relative).scheme or escapes(relative.removeprefix("./")):
            raise IntegrityError(
                f"{url} lists the weight file {relative!r}, which is not beside the model.json; refused."
            )
    return [(relative.removeprefix("./"), urllib.parse.urljoin(url, relative)) for relative in paths]


def fetch_url_model(url: str, *, offline: bool | None = None, progress: Progress | None = None) -> Path:
    """Download a TF.js model.json and its weight shards from ``url`` into the cache.

    The model is cached under ``<cache>/urls/<hash of the URL>/`` and reused;
    with no pinned hash to check it against, only size caps apply (64 MiB for
    the JSON, 2 GiB in all), the whole download must end within
    ``$UPSCALER_EXPLORER_DOWNLOAD_SECONDS``, and shards must sit beside the model.json.

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
        raise OfflineError(
            f"The model at {url} is not cached and offline mode is on. Unset UPSCALER_EXPLORER_OFFLINE to download it."
        )
    report = progress or ignore
    deadline = deadline_after(download_seconds())
    with staging(root) as staged:
        report(f"Downloading {url}...")
        download(url, staged / name, max_bytes=_MAX_URL_MODEL_JSON_BYTES, hint=_URL_HINT, deadline=deadline)
        budget = _MAX_URL_MODEL_BYTES - (staged / name).stat().st_size
        for relative, shard_url in _shard_urls(url, staged / name):
            report(f"Downloading {shard_url}...")
            download(shard_url, staged / relative, max_bytes=budget, hint=_URL_HINT, deadline=deadline)
            budget -= (staged / relative).stat().st_size
        move_into_place(staged, final)
    return final / name
