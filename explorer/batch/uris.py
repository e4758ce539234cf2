"""Inputs and outputs given as URIs (``s3://bucket/photos``, ``gs://…``, ``file:///…``), through pyarrow's filesystems.

A URI is any name with a scheme (``scheme://``); everything else is a local
path. pyarrow (a dependency of Ray Data) opens the filesystem a URI names, with
that filesystem's own credentials (for S3, the usual AWS environment, config
files or instance role), so a bucket works wherever the workers can reach it.
"""

from __future__ import annotations

import fnmatch
import glob
import posixpath
import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from explorer.engine.output import save_image
from explorer.errors import ExplorerError, ImageError

__all__ = ["is_uri", "join", "list_images", "read_bytes", "save_image_to", "write_bytes"]


def is_uri(name: str) -> bool:
    """True for ``scheme://…`` names (S3, GCS, HDFS, ``file://``); False for local paths."""
    head, sep, _ = str(name).partition("://")
    return bool(sep) and head.isidentifier() and len(head) > 1  # "C:\\" is a drive, not a scheme


def join(folder: str, name: str) -> str:
    """``name`` inside the URI folder ``folder``."""
    return folder.rstrip("/") + "/" + name


def _filesystem(uri: str) -> tuple[Any, str]:
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(uri)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for a scheme or bucket it cannot open
        raise ExplorerError(f"Cannot open {uri} ({error}): check the address and the credentials for it.") from None


def list_images(uri: str, suffixes: frozenset[str]) -> list[tuple[str, str]]:
    """The images a URI names: a file, a folder's files with these suffixes, or a glob on file names.

    Returns
    -------
    list of (str, str)
        ``(uri, "")`` per image, sorted, or one ``(uri, why not)`` when there is none.
    """
    from pyarrow import fs

    filesystem, path = _filesystem(uri)
    prefix = uri[: len(uri) - len(path)] if uri.endswith(path) else uri.split("://")[0] + "://"
    if glob.has_magic(path):
        folder, pattern = posixpath.split(path)
        names = _files(filesystem, folder)
        found = [prefix + p for p in names if fnmatch.fnmatch(posixpath.basename(p), pattern)]
        return [(u, "") for u in found] or [(uri, f"no file matches {pattern!r}")]
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.Directory:
        found = [prefix + p for p in _files(filesystem, path) if PurePosixPath(p).suffix.lower() in suffixes]
        return [(u, "") for u in found] or [(uri, f"no images ({', '.join(sorted(suffixes))}) in this folder")]
    if info.type == fs.FileType.NotFound:
        return [(uri, "no such file or folder")]
    return [(uri, "")]


def _files(filesystem: Any, folder: str) -> list[str]:
    from pyarrow import fs

    try:
        infos = filesystem.get_file_info(fs.FileSelector(folder, allow_not_found=True))
    except OSError as error:
        raise ExplorerError(f"Cannot list {folder} ({error}).") from None
    return sorted(i.path for i in infos if i.type == fs.FileType.File)


def read_bytes(uri: str) -> bytes:
    """The bytes of the file at ``uri``.

    Raises
    ------
    ImageError
        It cannot be read.
    """
    filesystem, path = _filesystem(uri)
    try:
        with filesystem.open_input_stream(path) as stream:
            return stream.read()
    except OSError as error:
        raise ImageError(f"Cannot read {uri} ({error}).") from None


def save_image_to(image: Any, uri: str, *, format: str | None, quality: int | None) -> str:
    """Write an image to ``uri``: encoded as :func:`~explorer.engine.output.save_image` does, then stored whole
    (:func:`write_bytes`)."""
    with tempfile.TemporaryDirectory(prefix="upscaler-explorer-") as scratch:
        local = save_image(image, Path(scratch) / posixpath.basename(uri), format=format, quality=quality)
        return write_bytes(uri, local.read_bytes())


def write_bytes(uri: str, data: bytes) -> str:
    """Store ``data`` at ``uri`` whole: under a temporary name beside it, then moved over it.

    On object stores, where a move is a copy, the object appears only when
    complete, so readers never see a half-written file.

    Raises
    ------
    ImageError
        It cannot be written.
    """
    filesystem, path = _filesystem(uri)
    temporary = posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        filesystem.create_dir(posixpath.dirname(path), recursive=True)
        with filesystem.open_output_stream(temporary) as target:
            target.write(data)
        filesystem.move(temporary, path)
    except OSError as error:
        _remove(filesystem, temporary)
        raise ImageError(f"Cannot write {uri} ({error}): check the address and that you may write there.") from None
    return uri


def _remove(filesystem: Any, path: str) -> None:
    try:
        filesystem.delete_file(path)
    except OSError:
        pass  # never written, or already gone
