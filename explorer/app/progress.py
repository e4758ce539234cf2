"""Progress in the page for slow steps: what is happening now, and for how long.

A first use of a model can take minutes with nothing to count (downloading,
loading it into TensorFlow, tracing it for a new image size). :class:`Ticker`
shows the current step with its elapsed seconds, refreshed every second from
a helper thread, and patch counts once patches run.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable

__all__ = ["ProgressFn", "Ticker"]

ProgressFn = Callable[..., None]
"""A :class:`gradio.Progress` (or any callable taking ``(fraction or (done, total), desc=...)``)."""


class Ticker:
    """Shows ``"<step> · 12 s"`` through ``progress``, every ``interval`` seconds, until closed.

    Use as a context manager. :meth:`step` names a new step (its clock starts
    at 0); :meth:`count` reports patches done, keeping the step's clock.

    A step is shown with the steps done so far of those expected (``1/3
    steps``): Gradio's progress shows a description only next to a count or
    fraction, and a bare ``progress(None, desc=…)`` shows no text at all.

    Parameters
    ----------
    progress : callable or None
        A :class:`gradio.Progress`; None shows nothing (library use, tests).
    interval : float
        Seconds between refreshes.
    clock : callable, default :func:`time.monotonic`
        Where the elapsed seconds are read.
    steps : int
        How many steps are expected (more may be named: the count then grows).
    """

    def __init__(
        self,
        progress: ProgressFn | None,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        steps: int = 1,
    ) -> None:
        self._progress = progress
        self.expected = steps
        """How many steps the count shows as expected; a caller that learns of more may raise it."""
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._text = ""
        self._fraction: float | tuple[int, int] | None = None
        self._started = clock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.steps: list[str] = []
        """Every step named so far, in order (what the page showed)."""

    def __enter__(self) -> Ticker:
        if self._progress is not None:
            context = contextvars.copy_context()  # gr.Progress finds its request through context variables
            self._thread = threading.Thread(target=context.run, args=(self._loop,), name="progress-ticker", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * self._interval)

    def step(self, text: str) -> None:
        """Start a step: show ``text`` with a clock from 0 and no fraction."""
        with self._lock:
            self._text, self._fraction, self._started = text, None, self._clock()
            self.steps.append(text)
        self._show()

    def count(self, done: int, total: int, text: str) -> None:
        """Show ``done`` of ``total`` patches under ``text`` (the clock runs on if the text is unchanged)."""
        with self._lock:
            if text != self._text:
                self._text, self._started = text, self._clock()
                self.steps.append(text)
            self._fraction = (done, total)
        self._show()

    def _loop(self) -> None:
        while not self._done.wait(self._interval):
            self._show()

    def _show(self) -> None:
        if self._progress is None or not self.steps:
            return
        with self._lock:
            text, fraction, elapsed = self._text, self._fraction, self._clock() - self._started
        desc = f"{text} · {elapsed:.0f} s" if elapsed >= 1 else text
        if isinstance(fraction, tuple):
            self._progress(fraction, desc=desc, unit="patches")
        else:
            named = len(self.steps)
            self._progress((named - 1, max(self.expected, named)), desc=desc, unit="steps done")
