"""Stream one file over HTTP(S) into a folder, with a size cap, a deadline and errors that say what to check.

Failures a retry may fix (no connection, HTTP 5xx or 429, a cut transfer) raise
:class:`~explorer.errors.TransientFetchError`; :mod:`.mirrors` retries those.

Only http(s) redirects are followed (urllib would also follow one to ``ftp://``).
A deadline bounds the whole download, not only each read: a server that sends
one byte every few seconds never trips a per-read timeout.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path

from explorer.engine.store.cache import CHUNK_BYTES
from explorer.errors import ModelFetchError, TransientFetchError

Progress = Callable[[str], None]
"""A callback that receives one human-readable status line at a time."""

_HTTP_TIMEOUT_SECONDS = 60
_USER_AGENT = "upscaler-explorer (python urllib)"


def ignore(message: str) -> None:
    """Progress callback that drops the message."""


class _HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) addresses only."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913 - urllib's signature
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise ModelFetchError(
                f"{req.full_url} redirects to {newurl!r}, which is not an http(s) address; only http(s) "
                "redirects are followed. Use the final http(s) address of the file."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpRedirectsOnly)


def deadline_after(seconds: float) -> float:
    """A deadline ``seconds`` from now, for :func:`download`."""
    return time.monotonic() + seconds


def download(url: str, destination: Path, *, max_bytes: int, hint: str, deadline: float | None = None) -> None:
    """Stream ``url`` into ``destination`` (at most ``max_bytes``); ``hint`` ends every error message.

    ``deadline`` (from :func:`deadline_after`) bounds the whole download; past it the download fails.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _OPENER.open(request, timeout=_read_timeout(url, deadline, hint)) as response:
            _check_response(url, response.status, response.headers.get_content_type(), hint)
            written = _copy_capped(response, destination, url, max_bytes, hint, deadline)
            _check_complete(url, written, response.headers.get("Content-Length"))
    except urllib.error.HTTPError as exc:
        error = TransientFetchError if exc.code >= 500 or exc.code == 429 else ModelFetchError
        raise error(f"{url} answered HTTP {exc.code} {exc.reason}. {hint}") from exc
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        if deadline is not None and time.monotonic() >= deadline:
            raise _too_slow(url, hint) from exc
        reason = getattr(exc, "reason", None) or exc
        raise TransientFetchError(
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


def _read_timeout(url: str, deadline: float | None, hint: str) -> float:
    if deadline is None:
        return _HTTP_TIMEOUT_SECONDS
    left = deadline - time.monotonic()
    if left <= 0:
        raise _too_slow(url, hint)
    return min(_HTTP_TIMEOUT_SECONDS, left)


def _too_slow(url: str, hint: str) -> ModelFetchError:
    return ModelFetchError(
        f"Downloading {url} took longer than the download deadline "
        f"($UPSCALER_EXPLORER_DOWNLOAD_SECONDS); nothing was installed. The server is too slow: retry later. {hint}"
    )


def _copy_capped(response, destination: Path, url: str, max_bytes: int, hint: str, deadline: float | None) -> int:
    """Copy the body into ``destination``; return how many bytes came."""
    written = 0
    with destination.open("wb") as handle:
        # read1 returns what one read of the socket gives, so a trickling server is checked against the deadline
        for chunk in iter(lambda: response.read1(CHUNK_BYTES), b""):
            if deadline is not None and time.monotonic() >= deadline:
                raise _too_slow(url, hint)
            written += len(chunk)
            if written > max_bytes:
                raise ModelFetchError(f"{url} sent more than {max_bytes} bytes, more than a model file may be. {hint}")
            handle.write(chunk)
    return written


def _check_complete(url: str, written: int, content_length: str | None) -> None:
    if content_length is not None and content_length.isdigit() and written != int(content_length):
        raise TransientFetchError(
            f"Downloading {url} failed: the connection ended after {written} of "
            f"{content_length} bytes. Nothing was installed; check your connection and retry."
        )
