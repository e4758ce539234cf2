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
runtime versions and CPU, before the model's first call (when an
:class:`~explorer.Upscaler` is made), never beside a user's calls, and its
verdict is kept in the cache folder (``runtimes.json``), so later processes
only convert the models that won.

The fast precision (:mod:`.precision`) has two bf16 runtimes:
:class:`OpenVinoFunction` compiled with a bf16 inference precision, and
:func:`tensorflow_bf16`, a second copy of a model whose convolutions run
in bf16. Their verdicts are kept the same way
(``precision.json``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
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
from explorer.engine.cpu import cores, cpu_name

__all__ = [
    "OpenVinoFunction",
    "TracedFunction",
    "choice_key",
    "interleaved_seconds",
    "openvino_installed",
    "record_choice",
    "record_verdict",
    "recorded_choice",
    "recorded_verdict",
    "tensorflow_bf16",
]

_TRACES_PER_MODEL = 8


class TracedFunction:
    """A model's forward pass traced with TensorFlow, once per model where it can be, else once per shape.

    Parameters
    ----------
    forward : callable
        Maps a float32 ``[N, H, W, 3]`` tensor to the model's output.
    polymorphic : bool
        Try one trace for every input shape first (layers and Keras models).
    name : str
        What reports call it.
    """

    def __init__(self, forward: Callable[[Any], Any], *, polymorphic: bool, name: str = "tensorflow") -> None:
        self.name = name
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
    """A traced TensorFlow function converted to OpenVINO and compiled for the CPU.

    Parameters
    ----------
    concrete : tensorflow ConcreteFunction
        The polymorphic traced function (:meth:`TracedFunction.concrete`).
    precision : {"f32", "bf16"}
        Its inference precision. ``f32`` is asked for explicitly: on CPUs with
        bf16 units OpenVINO would otherwise run in bf16, which changes pixels.
        On a CPU without them OpenVINO runs ``bf16`` in f32.
    """

    def __init__(self, concrete: Any, precision: str = "f32") -> None:
        import openvino

        self.name = "openvino" if precision == "f32" else f"openvino {precision}"
        start = time.perf_counter()
        converted = openvino.convert_model(concrete)
        self._compiled = openvino.Core().compile_model(converted, "CPU", {"INFERENCE_PRECISION_HINT": precision})
        self.convert_seconds = time.perf_counter() - start

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        """Run an ``[N, H, W, 3]`` float32 batch; return ``(raw output, False)`` (nothing is traced)."""
        request = self._compiled.create_infer_request()  # one per call: the app runs several at once
        return np.array(request.infer({0: np.ascontiguousarray(batch)})[0]), False


def tensorflow_bf16(model_path: Path) -> TracedFunction:
    """A second copy of a model whose multiply-adds run in bf16, traced like the first.

    Layers and Keras models: every ``Conv2D`` but the last computes in bf16
    (Keras's ``mixed_bfloat16``: weights kept in fp32, inputs and weights cast
    per call, so TensorFlow's oneDNN kernels use the CPU's bf16 units);
    additions, activations and the last convolution, which makes the 0–255
    output values (where a bf16 step is a whole level), stay fp32. Graph
    models (MAXIM): their convolutions run between casts to bf16 and back
    (:func:`~explorer.engine.formats.tfjs_graph.load_graph_model`).
    """
    import keras

    from explorer.engine.formats.detect import detect_format, load_model_file

    tf = import_tensorflow()
    if detect_format(Path(model_path)) == "tfjs-graph":
        from explorer.engine.formats.tfjs_graph import load_graph_model
        from explorer.engine.formats.tfjs_layers import read_model_json

        forward: Callable = load_graph_model(Path(model_path), read_model_json(Path(model_path)), bf16=True)
        return TracedFunction(forward, polymorphic=True, name="tensorflow bf16")
    file = load_model_file(model_path)
    convolutions = [layer for layer in file.keras_model.layers if isinstance(layer, keras.layers.Conv2D)]
    for layer in convolutions[:-1]:
        layer.dtype_policy = keras.DTypePolicy("mixed_bfloat16")
    forward = file.forward
    return TracedFunction(lambda batch: tf.cast(forward(batch), tf.float32), polymorphic=True, name="tensorflow bf16")


def differing_probe(candidate: Callable, reference: Callable, probes: list[np.ndarray], to_pixels: Callable) -> str | None:
    """The first probe on which ``candidate``'s rounded pixels differ from ``reference``'s, described; None if none."""
    for probe in probes:
        if not np.array_equal(to_pixels(candidate(probe)[0]), to_pixels(reference(probe)[0])):
            return f"a {probe.shape[2]}×{probe.shape[1]} crop"
    return None


def interleaved_seconds(functions: dict[str, Callable], probe: np.ndarray, repeats: int = 5) -> dict[str, float]:
    """Median seconds of each function on ``probe`` after one untimed call, calls interleaved (a busy CPU slows all)."""
    for function in functions.values():
        function(probe)
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function(probe)
            timings[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in timings.items()}


def time_ratio(candidate: Callable, reference: Callable, probe: np.ndarray, repeats: int = 5) -> float:
    """Median time of ``candidate`` over ``reference``'s on ``probe``, calls interleaved (:func:`interleaved_seconds`)."""
    seconds = interleaved_seconds({"candidate": candidate, "reference": reference}, probe, repeats)
    return seconds["candidate"] / seconds["reference"]


def choice_key(model_path: Path) -> str:
    """What a runtime verdict depends on: the model file, the runtimes' versions and the CPU."""
    stat = Path(model_path).stat()
    versions = " ".join(f"{name} {_version(name)}" for name in ("openvino", "tensorflow"))
    return f"{Path(model_path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{versions}|{cpu_name()}|{cores()} cores"


def recorded_choice(key: str) -> dict | None:
    """The runtime verdict kept for ``key`` (``{"runtime": ..., "note": ...}``), or None."""
    return _read("runtimes.json").get(key)


def record_choice(key: str, runtime: str, note: str) -> None:
    """Keep a runtime verdict in the cache folder (atomically; a failure to write only costs a later re-measurement)."""
    _write("runtimes.json", key, {"runtime": runtime, "note": note})


def recorded_verdict(key: str) -> dict | None:
    """The fast-precision verdict kept for ``key`` (:meth:`FastVerdict.as_dict`), or None."""
    return _read("precision.json").get(key)


def record_verdict(key: str, verdict: dict) -> None:
    """Keep a fast-precision verdict in the cache folder (as :func:`record_choice`)."""
    _write("precision.json", key, verdict)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _read(name: str) -> dict:
    try:
        kept = json.loads((settings.cache_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _write(name: str, key: str, value: dict) -> None:
    path = settings.cache_dir() / name
    choices = _read(name)
    choices[key] = value
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(choices, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)

