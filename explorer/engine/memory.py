"""Peak memory of a model run, measured in a fresh process.

TensorFlow's CPU allocator keeps no statistics and memory a run frees stays
with the process, so the honest figure is the one a clean process reports:
:func:`run_memory_mib` loads the model in a spawned child, resets the peak
resident memory to what the loaded model holds (Linux's ``clear_refs``; where
that is missing the peak also counts loading, an overestimate), runs each
input shape once in increasing size and reports how far each run raised the
peak. Sizes run in increasing order, so
each figure is what that size needs with the smaller ones already done (an
upper bound, which is what a budget wants). Results are kept for the process.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import resource
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from explorer.engine.registry import ModelSpec
from explorer.errors import ExplorerError

__all__ = ["is_out_of_memory", "peak_memory_mib", "run_memory_mib"]

Shape = tuple[int, int]

_measured: dict[tuple[ModelSpec, Shape], float] = {}
_lock = threading.Lock()


def is_out_of_memory(error: BaseException) -> bool:
    """True when ``error`` says a run ran out of memory (Python's ``MemoryError`` or TensorFlow's ``ResourceExhaustedError``).

    Out of memory is expected on big images, so front ends turn it into
    advice (a patch size, a smaller image or model) instead of a traceback.
    """
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


def peak_memory_mib(field: str = "VmHWM") -> float:
    """This process's peak resident memory (``VmHWM``) in MiB; NaN where ``/proc`` is missing.

    Unlike ``getrusage``'s ``ru_maxrss``, ``VmHWM`` belongs to the process's
    own address space, so a freshly started child does not inherit the peak of
    a large parent, and :func:`_reset_peak` can restart it. ``field="VmRSS"``
    gives the current resident memory.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mib() -> float:
    peak = peak_memory_mib()
    if not math.isnan(peak):
        return peak
    rusage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rusage / 1024 if sys.platform != "darwin" else rusage / 2**20  # KiB on Linux, bytes on macOS


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # Linux: the peak restarts from the current resident size


def _reference(spec: ModelSpec) -> tuple[str, dict]:
    """What a child process needs to load the same model (specs hold mapping proxies, which do not pickle)."""
    if not spec.is_custom:
        return spec.id, {}
    low, high = spec.input_range
    settings = {
        "scale": spec.scale,
        "input_range": f"{low:g},{high:g}",
        "divisibility_factor": spec.divisibility_factor,
    }
    return spec.path, {key: value for key, value in settings.items() if value is not None}


def _measure_in_child(
    model: str, settings: dict, shapes: Sequence[Shape], stop_above_mib: float | None
) -> dict[Shape, float]:
    from explorer.engine.upscaler import Upscaler

    upscaler = Upscaler(model, offline=True, **settings)
    _reset_peak()
    base = _peak_mib()
    grown: dict[Shape, float] = {}
    for shape in shapes:
        upscaler.warmup([shape])
        grown[shape] = _peak_mib() - base
        if stop_above_mib is not None and grown[shape] > stop_above_mib:
            break  # larger shapes only need more
    return grown


def run_memory_mib(
    spec: ModelSpec, shapes: Sequence[Shape], *, stop_above_mib: float | None = None
) -> dict[Shape, float]:
    """Extra peak memory (MiB above the loaded model) that one model call on each input shape needs.

    Parameters
    ----------
    spec : ModelSpec
        The model (already in the cache: the child never downloads).
    shapes : sequence of (height, width)
        Input shapes of the model calls, e.g. patch shapes.
    stop_above_mib : float, optional
        Stop measuring once a shape needs more than this; larger shapes are
        left out of the result.

    Returns
    -------
    dict
        ``{shape: MiB}`` for every shape measured, kept for the process.

    Raises
    ------
    ExplorerError
        If the measuring process dies (out of memory, say).
    """
    wanted = sorted(set(shapes), key=lambda shape: (shape[0] * shape[1], shape))
    with _lock:
        missing = [shape for shape in wanted if (spec, shape) not in _measured]
    if missing:
        context = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                grown = pool.submit(_measure_in_child, *_reference(spec), missing, stop_above_mib).result()
        except BrokenProcessPool:
            raise ExplorerError(
                f"Measuring the memory of {spec.id} failed: the measuring process died (out of memory?). "
                "Give a time budget instead, or free some memory."
            ) from None
        with _lock:
            _measured.update({(spec, shape): mib for shape, mib in grown.items()})
    with _lock:
        return {shape: _measured[(spec, shape)] for shape in wanted if (spec, shape) in _measured}
