"""Stream one file over HTTP(S) into a folder, with a size cap and errors that say what to check."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path
from typing import BinaryIO

from explorer.engine.store.cache import CHUNK_BYTES
from explorer.errors import ModelFetchError

Progress = Callable[[str], None]
"""A callback that receives one human-readable status line at a time."""

_HTTP_TIMEOUT_SECONDS = 60
_USER_AGENT = "upscaler-explorer (python urllib)"


def ignore(message: str) -> None:
    """Progress callback that drops the message."""


def download(url: str, destination: Path, *, max_bytes: int, hint: str) -> None:
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
        for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
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
