"""How a loaded model runs: traced TensorFlow, or OpenVINO where it is installed, exact and faster.

Tracing (and TensorFlow's graph optimisation on the first call) is the slow
part of a first call, so it happens once per model where the model allows:
the function is traced with height, width and batch unknown
(``[None, None, None, 3]``), and every later image size and batch size runs
the same function. The layers models (convolutions, additions,
concatenations, upsampling, pixel shuffles) and the MAXIM graphs allow it. A
model whose shape-free trace fails is traced once per input shape instead.

OpenVINO (``pip install openvino``, optional) runs the same traced function
after converting it, at fp32. It is used only when it gives exactly the
TensorFlow pixels (after rounding) on real photo crops and is measurably faster
on this machine; ``$UPSCALER_EXPLORER_RUNTIME`` (:func:`explorer.settings.runtime`)
can also force either runtime. The measurement runs once per model file,
OpenVINO version and CPU, in the background, and its verdict is kept in the
cache folder (``runtimes.json``), so later processes only convert the models
that won.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from explorer import settings
from explorer.engine._tf import import_tensorflow

__all__ = ["OpenVinoFunction", "TracedFunction", "choice_key", "openvino_installed", "record_choice", "recorded_choice"]

_TRACES_PER_MODEL = 8


class TracedFunction:
    """A model's forward pass traced with TensorFlow, once per model where it can be, else once per shape.

    Parameters
    ----------
    forward : callable
        Maps a float32 ``[N, H, W, 3]`` tensor to the model's output.
    polymorphic : bool
        Try one trace for every input shape first (layers and Keras models).
    """

    name = "tensorflow"

    def __init__(self, forward: Callable[[Any], Any], *, polymorphic: bool) -> None:
        self._forward = forward
        self._polymorphic: Callable | None = None
        self._try_polymorphic = polymorphic
        self._per_shape: dict[tuple[int, int], Callable] = {}
        self._lock = threading.Lock()

    @property
    def traces(self) -> int:
        """How many functions have been traced so far (0 before the first call)."""
        return len(self._per_shape) + (self._polymorphic is not None)

    @property
    def polymorphic(self) -> bool:
        """True while one traced function serves every size (False: one per shape)."""
        return self._try_polymorphic

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        """Run an ``[N, H, W, 3]`` float32 batch; return ``(raw output, traced)``.

        ``traced`` is True when this call traced (the model's first call, or a
        new shape for a model traced per shape).
        """
        if self._try_polymorphic:
            function, new = self._polymorphic_function()
            try:
                return function(batch).numpy(), new
            except Exception:  # noqa: BLE001 - not polymorphic after all? Try this shape alone; if that works, stay so
                output, _ = self._per_shape_call(batch)
                with self._lock:
                    self._polymorphic, self._try_polymorphic = None, False
                return output, True
        return self._per_shape_call(batch)

    def concrete(self) -> Any:
        """The polymorphic concrete function (for conversion), or None when the model has none."""
        with self._lock:
            return self._polymorphic.get_concrete_function() if self._polymorphic is not None else None

    def _polymorphic_function(self) -> tuple[Callable, bool]:
        with self._lock:
            if self._polymorphic is not None:
                return self._polymorphic, False
            tf = import_tensorflow()
            self._polymorphic = tf.function(self._forward, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
            return self._polymorphic, True

    def _per_shape_call(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        key = (batch.shape[1], batch.shape[2])
        with self._lock:
            function = self._per_shape.get(key)
            new = function is None
            if new:
                tf = import_tensorflow()
                function = tf.function(self._forward, input_signature=[tf.TensorSpec([None, *key, 3], tf.float32)])
                self._per_shape[key] = function
                while len(self._per_shape) > _TRACES_PER_MODEL:
                    self._per_shape.pop(next(iter(self._per_shape)))
        return function(batch).numpy(), new


def openvino_installed() -> bool:
    """True when the optional ``openvino`` package can be imported."""
    return importlib.util.find_spec("openvino") is not None


class OpenVinoFunction:
    """A traced TensorFlow function converted to OpenVINO and compiled for the CPU at fp32.

    Parameters
    ----------
    concrete : tensorflow ConcreteFunction
        The polymorphic traced function (:meth:`TracedFunction.concrete`).
    """

    name = "openvino"

    def __init__(self, concrete: Any) -> None:
        import openvino

        start = time.perf_counter()
        converted = openvino.convert_model(concrete)
        # fp32: on CPUs with bf16 units OpenVINO would otherwise run in bf16, which changes pixels.
        self._compiled = openvino.Core().compile_model(converted, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        self.convert_seconds = time.perf_counter() - start

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        """Run an ``[N, H, W, 3]`` float32 batch; return ``(raw output, False)`` (nothing is traced)."""
        request = self._compiled.create_infer_request()  # one per call: the app runs several at once
        return np.array(request.infer({0: np.ascontiguousarray(batch)})[0]), False


def differing_probe(candidate: Callable, reference: Callable, probes: list[np.ndarray], to_pixels: Callable) -> str | None:
    """The first probe on which ``candidate``'s rounded pixels differ from ``reference``'s, described; None if none."""
    for probe in probes:
        if not np.array_equal(to_pixels(candidate(probe)[0]), to_pixels(reference(probe)[0])):
            return f"a {probe.shape[2]}×{probe.shape[1]} crop"
    return None


def time_ratio(candidate: Callable, reference: Callable, probe: np.ndarray, repeats: int = 5) -> float:
    """Median time of ``candidate`` over ``reference``'s on ``probe``, calls interleaved (a busy CPU slows both)."""
    candidate(probe), reference(probe)
    timings: dict[Callable, list[float]] = {candidate: [], reference: []}
    for _ in range(repeats):
        for function, seconds in timings.items():
            start = time.perf_counter()
            function(probe)
            seconds.append(time.perf_counter() - start)
    return statistics.median(timings[candidate]) / statistics.median(timings[reference])


def choice_key(model_path: Path) -> str:
    """What a runtime verdict depends on: the model file, OpenVINO's version and the CPU."""
    stat = Path(model_path).stat()
    version = importlib.metadata.version("openvino")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{Path(model_path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|openvino {version}|{_cpu_name()}|{cores} cores"


def recorded_choice(key: str) -> dict | None:
    """The verdict kept for ``key`` (``{"runtime": ..., "note": ...}``), or None."""
    try:
        return json.loads(_choices_path().read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError):
        return None


def record_choice(key: str, runtime: str, note: str) -> None:
    """Keep a verdict in the cache folder (atomically; a failure to write only costs a later re-measurement)."""
    path = _choices_path()
    try:
        choices = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        choices = {}
    choices[key] = {"runtime": runtime, "note": note}
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(choices, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def _choices_path() -> Path:
    return settings.cache_dir() / "runtimes.json"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
