"""Get one file from the first of several addresses that serves it: fall back, retry with backoff, one deadline.

UpscalerJS falls back from one CDN to another; so does :func:`fetch_first`.
Each round tries the addresses in order. A failure a retry may fix
(:class:`~explorer.errors.TransientFetchError`) keeps that address for the
next round, after a pause that doubles each time; any other failure (HTTP 404,
an HTML page, bytes unlike the pin) drops it. It stops at the first success,
when no address is left, after :data:`ROUNDS` rounds, or when the next pause
would pass the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from explorer.engine.store.download import Progress, download
from explorer.errors import IntegrityError, ModelFetchError, TransientFetchError

__all__ = ["FIRST_PAUSE_SECONDS", "ROUNDS", "fetch_first"]

ROUNDS = 3
"""How many times an address that failed transiently is tried."""

FIRST_PAUSE_SECONDS = 0.5
"""Pause before the second round; it doubles before each later one."""

Verify = Callable[[Path, str], None]
"""Checks a downloaded file (its path, the address it came from); raises IntegrityError if it is wrong."""


def fetch_first(
    urls: Sequence[str],
    destination: Path,
    *,
    max_bytes: int,
    hint: str,
    deadline: float,
    report: Progress,
    verify: Verify | None = None,
) -> str:
    """Download ``destination`` from the first of ``urls`` that serves it (and passes ``verify``); return that url.

    Raises
    ------
    ModelFetchError
        Every address failed: the error of the only address, or one listing
        each address's last error (an :class:`IntegrityError` if any served
        bytes unlike the pin).
    """
    failures: dict[str, ModelFetchError] = {}
    left = list(urls)
    stopped = f"after {ROUNDS} rounds"
    for round_number in range(ROUNDS):
        retry = []
        for url in left:
            try:
                download(url, destination, max_bytes=max_bytes, hint=hint, deadline=deadline)
                if verify is not None:
                    verify(destination, url)
                return url
            except TransientFetchError as error:
                failures[url] = error
                retry.append(url)
            except ModelFetchError as error:
                failures[url] = error
            report(f"{url} failed: {_first_sentence(failures[url])}")
        pause = FIRST_PAUSE_SECONDS * 2**round_number
        if not retry or round_number == ROUNDS - 1:
            break
        if time.monotonic() + pause >= deadline:
            stopped = "at the download deadline ($UPSCALER_EXPLORER_DOWNLOAD_SECONDS)"
            break
        report(f"Retrying {len(retry)} address{'es' if len(retry) > 1 else ''} in {pause:g} s...")
        time.sleep(pause)
        left = retry
    raise _gave_up(urls, failures, stopped)


def _first_sentence(error: Exception) -> str:
    text = str(error)
    return text.split(". ", 1)[0].rstrip(".") + "."


def _gave_up(urls: Sequence[str], failures: dict[str, ModelFetchError], stopped: str) -> ModelFetchError:
    if len(urls) == 1:
        only = failures[urls[0]]
        return TransientFetchError(f"{only} Gave up {stopped}.") if isinstance(only, TransientFetchError) else only
    kind = IntegrityError if any(isinstance(e, IntegrityError) for e in failures.values()) else ModelFetchError
    lines = "\n".join(f"- {error}" for error in failures.values())
    return kind(f"Every address failed (gave up {stopped}):\n{lines}")
