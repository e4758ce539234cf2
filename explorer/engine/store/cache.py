"""The cache folder: where it is, its layout, and staging that only moves verified files into place.

Layout under :func:`explorer.settings.cache_dir`::

    packages/<name>@<version>/   a whole npm package (exists => complete)
    files/<name>@<version>/      files fetched one by one from the CDN
    urls/<hash of the URL>/      a model downloaded from a URL
    tmp/<unique>/                staging; moved into place only once verified
    npm/                         npm's own cache

(``<name>`` with ``/`` written as ``+``.) Nothing is written outside the cache.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from explorer.engine.registry import ModelSpec

CHUNK_BYTES = 1 << 20
"""Read and write files this many bytes at a time."""

_STALE_STAGING_SECONDS = 3600


def cache_key(spec: ModelSpec) -> str:
    """``<name>@<version>`` with ``/`` written as ``+``: one folder name per package version."""
    return f"{spec.package.replace('/', '+')}@{spec.version}"


def package_root(spec: ModelSpec, root: Path) -> Path:
    """Where a whole npm package of ``spec`` lives under the cache ``root``."""
    return root / "packages" / cache_key(spec)


def files_root(spec: ModelSpec, root: Path) -> Path:
    """Where files of ``spec`` fetched one by one from the CDN live under the cache ``root``."""
    return root / "files" / cache_key(spec)


def _has_all_files(directory: Path, spec: ModelSpec) -> bool:
    return all((directory / name).is_file() for name in spec.files)


def cached_dir(spec: ModelSpec, root: Path) -> Path | None:
    """The cached folder holding every file of ``spec``, or None when the cache lacks some."""
    for directory in (package_root(spec, root), files_root(spec, root)):
        if directory.is_dir() and _has_all_files(directory, spec):
            return directory
    return None


@contextlib.contextmanager
def staging(root: Path) -> Iterator[Path]:
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


def move_into_place(staged: Path, final: Path) -> None:
    """Rename ``staged`` to ``final``; if another process got there first, keep theirs."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staged, final)
    except OSError:
        if not final.exists():
            raise


def escapes(name: str) -> bool:
    """True for an absolute path, a drive path or one with a ``..`` part."""
    parts = PurePosixPath(name).parts
    return name.startswith(("/", "\\")) or ".." in parts or bool(parts and parts[0].endswith(":"))
