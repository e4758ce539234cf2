"""Small helpers shared by the tests (no fixtures here: see conftest.py)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

FULL = os.environ.get("UPSCALER_EXPLORER_FULL_TESTS", "").lower() in ("1", "true", "yes")

full_only = pytest.mark.skipif(not FULL, reason="heavy; set UPSCALER_EXPLORER_FULL_TESTS=1 to run")


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR in dB of two uint8 images (inf when identical)."""
    mse = np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def rgba_with_hard_edge() -> np.ndarray:
    """16×16 RGBA: transparent left half (x < 8), opaque right half."""
    from skimage.data import astronaut

    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., :3] = astronaut()[200:216, 200:216]
    rgba[:, 8:, 3] = 255
    return rgba


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


@contextlib.contextmanager
def serve_folder(folder: Path, overrides: dict[str, tuple[bytes, str]] | None = None) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yield the base URL.

    ``overrides`` maps a URL path (``"/x.json"``) to a ``(body, content type)`` answered instead.
    """
    special = overrides or {}

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path in special:
                body, content_type = special[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, format, *args):  # quiet
            pass

    with serve_handler(Handler) as base:
        yield base


@contextlib.contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run an HTTP server with ``handler`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def assert_equal_but_rounding(ours: np.ndarray, levels: np.ndarray, tolerance: float) -> None:
    """Assert that uint8 ``ours`` is ``levels`` (floats in 0..255, before rounding) rounded, up to float noise.

    Two correct float32 computations of the same model (eager Keras against a
    traced function, or another CPU's kernels) agree to a few units in the last
    place, not exactly; after rounding, that noise can only flip a value that
    sits within ``tolerance`` levels of a half level, and only by one level.
    So: every pixel equals ``rint(levels)``, except pixels whose ``levels`` lie
    that close to ``k + 0.5``, which may be one level off.
    """
    expected = np.rint(levels).astype(np.int16)
    difference = np.abs(ours.astype(np.int16) - expected)
    near_half = np.abs(levels - np.floor(levels) - 0.5) < tolerance
    assert difference.max() <= 1, f"off by {difference.max()} levels"
    assert near_half[difference > 0].all(), "a pixel away from a rounding boundary differs"


class SteppedClock:
    """A monotonic clock for code under test: it moves only when told, or a fixed step at each reading.

    Give it to a module in place of :mod:`time` (``monkeypatch.setattr(module, "time", clock)``): the module's
    ``time.monotonic()`` reads this clock and everything else is the real :mod:`time`, so a time limit is reached
    exactly where the test says instead of after a real wait. The clock counts per thread, so that concurrent
    requests each see their own time pass.

    Parameters
    ----------
    step : float
        Seconds the clock moves at each reading (0: only :meth:`advance` moves it).
    """

    def __init__(self, step: float = 0.0) -> None:
        self.step = step
        self._now = threading.local()

    def monotonic(self) -> float:
        now = getattr(self._now, "value", 0.0) + self.step
        self._now.value = now
        return now

    def advance(self, seconds: float) -> None:
        """Move this thread's clock on by ``seconds``."""
        self._now.value = getattr(self._now, "value", 0.0) + seconds

    def __getattr__(self, name: str):
        return getattr(time, name)
