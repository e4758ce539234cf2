"""The cache folder: where it is, its layout, and staging that only moves verified files into place.

Layout under :func:`explorer.settings.cache_dir`::

    packages/<name>@<version>/   a whole npm package (exists => complete)
    files/<name>@<version>/      files fetched one by one from the CDN
    urls/<hash of the URL>/      a model downloaded from a URL
    tmp/stage-<host>-<pid>-<unique>/   staging; moved into place only once verified
    npm/                         npm's own cache

(``<name>`` with ``/`` written as ``+``.) Nothing is written outside the cache.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
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


CHILD_PID_FILE = "child.pid"
"""A staging folder's record of the child process (``npm pack``) filling it, for cleaning up after a crash."""

_STAGING_NAME = re.compile(r"stage-([A-Za-z0-9]+)-(\d+)-")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"


@contextlib.contextmanager
def staging(root: Path) -> Iterator[Path]:
    """Yield a fresh folder under ``<root>/tmp``, removed on exit whatever happens.

    Its name records this host and process, so that a later process can tell
    a folder left by a killed one from a folder still in use.
    """
    tmp_root = root / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(root)
    folder = Path(tempfile.mkdtemp(prefix=f"stage-{_host()}-{os.getpid()}-", dir=tmp_root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_stale_staging(root: Path) -> None:
    """Remove the staging folders that killed processes left under ``<root>/tmp``, and stop their ``npm pack``.

    Only our own folders are touched (named by :func:`staging`): those of a
    process of this host that no longer runs, and any older than an hour. A
    child recorded in a folder is stopped only if it still runs with that
    folder on its command line, so an unrelated process that got its id is safe.
    """
    tmp_root = root / "tmp"
    if not tmp_root.is_dir():
        return
    cutoff = time.time() - _STALE_STAGING_SECONDS
    for entry in tmp_root.iterdir():
        owner = _STAGING_NAME.match(entry.name)
        if owner is None or not entry.is_dir() or entry.is_symlink():
            continue
        orphaned = owner.group(1) == _host() and not _running(int(owner.group(2)))
        if orphaned or _last_modified(entry) < cutoff:
            _stop_recorded_child(entry)
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _stop_recorded_child(folder: Path) -> None:
    try:
        pid = int((folder / CHILD_PID_FILE).read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):  # no child recorded, it is gone, or no /proc to check it against
        return
    if os.fsencode(str(folder.absolute())) in command:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # its own process group: npm and anything it started


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
