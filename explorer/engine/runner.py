"""Loaded models and their calling contract.

Loading a model file (reading shards, building layers) and tracing it for a new
input shape are the slow steps; both happen once. :func:`get_loaded_model`
keeps the most recently used files (bounded, so a long-running app does not
grow without limit), and every :class:`~explorer.Upscaler` on the same file
shares one :class:`LoadedModel`.

A :class:`ModelRunner` is a loaded model with what its spec says about calling
it (like spandrel's model descriptor): zeros on the right and bottom up to the
model's side multiple, pixels scaled to its input range, the run itself, the
output checked against the scale, clipped, scaled to [0, 255], rounded, and
cropped back to the image.
"""

from __future__ import annotations

import collections
import importlib.resources
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer import settings
from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.detect import ModelFile, load_model_file
from explorer.engine.registry import ModelSpec
from explorer.engine.runtimes import (
    OpenVinoFunction,
    TracedFunction,
    choice_key,
    differing_probe,
    openvino_installed,
    record_choice,
    recorded_choice,
    time_ratio,
)
from explorer.engine.tiling import round_up_to_multiple
from explorer.errors import ModelFormatError, SettingsError

__all__ = ["BATCH_PIXELS", "MAX_BATCH", "LoadedModel", "ModelRunner", "clear_model_cache", "get_loaded_model", "padded_size"]

BATCH_PIXELS = 256 * 256
"""Same-size patches run together up to this many input pixels per call. Measured on 2 cores, 25 patches took
0.88 (batches of 4), 0.83 (8) and 0.83 (16) of their one-by-one time at 64² on default-model, and 0.83, 0.78
and 0.74 at 48² on esrgan-slim/4x."""

MAX_BATCH = 16
"""And at most this many patches per call (a deadline is checked between calls)."""


@dataclass
class LoadedModel:
    """A model file loaded once per process, with its traced function and the runtime chosen for it.

    Attributes
    ----------
    file : ModelFile
        The loaded file: forward function, format, parameters, summary.
    load_seconds : float
        Time spent reading and building it.
    traced : TracedFunction
        The TensorFlow function (one trace per model where the model allows, else per shape).
    runtime_note : str
        Which runtime runs it and why (OpenVINO is considered in the background).
    """

    file: ModelFile
    load_seconds: float
    traced: TracedFunction = field(init=False)
    runtime_note: str = "TensorFlow"
    _runtime: Callable = field(init=False, repr=False)
    _choice: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.traced = TracedFunction(self.file.forward, polymorphic=True)
        self._runtime = self.traced

    @property
    def runtime(self) -> str:
        """``"tensorflow"`` or ``"openvino"``: what runs the model now."""
        return self._runtime.name

    def predict(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        """Run one ``[N, H, W, 3]`` float32 batch.

        Returns
        -------
        tuple
            ``(raw output, traced)``; ``traced`` is True when this call traced
            the model (its first call, or a new shape for a graph model).
        """
        return self._runtime(batch)

    def consider_openvino(self, probes: Callable[[], list[np.ndarray]], to_pixels: Callable, *, wait: bool = False) -> None:
        """Choose between TensorFlow and OpenVINO for this model, once (see :mod:`.runtimes`).

        Nothing happens when ``$UPSCALER_EXPLORER_RUNTIME`` is ``tensorflow``,
        OpenVINO is not installed, or the model is a graph model or traced per shape. In
        ``auto`` mode a verdict kept from an earlier process is applied; else
        the measurement runs in a background thread (TensorFlow runs
        meanwhile) unless ``wait``. ``openvino`` waits and takes OpenVINO
        whenever its pixels are exact.
        """
        if self._choice is not None and not wait:
            return
        mode = settings.runtime()
        if mode == "tensorflow" or self.file.format == "tfjs-graph" or self.traced.concrete() is None:
            return  # graph models (MAXIM: 2 GB, Einsum) stay on TensorFlow
        if not openvino_installed():
            if mode == "openvino":
                raise SettingsError("UPSCALER_EXPLORER_RUNTIME=openvino needs the openvino package: pip install openvino.")
            return
        with self._lock:
            if self._choice is None:
                self._choice = threading.Thread(target=self._choose, args=(probes, to_pixels, mode == "openvino"))
                self._choice.start()
        if wait or mode == "openvino":
            self._choice.join()

    def _choose(self, probes: Callable[[], list[np.ndarray]], to_pixels: Callable, forced: bool) -> None:
        key = choice_key(self.file.path)
        kept = None if forced else recorded_choice(key)
        try:
            if kept is not None:
                if kept["runtime"] == "openvino":
                    self._runtime = OpenVinoFunction(self.traced.concrete())
                self.runtime_note = f"{kept['note']} (measured earlier on this machine)"
                return
            candidate = OpenVinoFunction(self.traced.concrete())
            samples = probes()
            differs = differing_probe(candidate, self.traced, samples, to_pixels)
            ratio = time_ratio(candidate, self.traced, max(samples, key=lambda probe: probe.size))
        except Exception as error:  # noqa: BLE001 - any failure leaves TensorFlow in charge, and says why
            self.runtime_note = f"TensorFlow (OpenVINO could not run it: {type(error).__name__})"
            return
        timing = f"OpenVINO took {ratio:.2f}× TensorFlow's time"
        if differs:
            self.runtime_note = f"TensorFlow (OpenVINO's pixels differ on {differs})"
        elif forced or ratio < 0.95:
            self._runtime = candidate
            self.runtime_note = f"OpenVINO (same pixels; {timing}; converted in {candidate.convert_seconds:.1f} s)"
        else:
            self.runtime_note = f"TensorFlow (OpenVINO gives the same pixels but is not faster here: {timing})"
        if not forced:
            record_choice(key, self._runtime.name, self.runtime_note)


def padded_size(spec: ModelSpec, height: int, width: int, patch_size: int | None) -> tuple[int, int]:
    """The ``(height, width)`` a ``height``×``width`` image is zero-padded to for ``spec`` (see :meth:`ModelRunner.pad`)."""
    factor = spec.divisibility_factor
    if not factor:
        return height, width
    if patch_size is None:
        return round_up_to_multiple(height, factor), round_up_to_multiple(width, factor)
    return max(height, patch_size), max(width, patch_size)


@dataclass(frozen=True)
class ModelRunner:
    """A loaded model and its calling contract, taken from its spec.

    Attributes
    ----------
    spec : ModelSpec
        Scale, input and output range, side multiple (``divisibility_factor``).
    model : LoadedModel
    """

    spec: ModelSpec
    model: LoadedModel

    def pad(self, rgb: np.ndarray, patch_size: int | None) -> np.ndarray:
        """Zeros on the right and bottom as the model needs: up to its side multiple, or to a whole patch.

        A whole image (``patch_size=None``) grows to multiples of the model's
        ``divisibility_factor``; with patches (whose size is already a multiple
        of it), an image smaller than a patch grows to the patch. Models
        without a factor take any size and get the image as it is.
        """
        height, width = rgb.shape[:2]
        target = padded_size(self.spec, height, width, patch_size)
        if target == (height, width):
            return rgb
        return np.pad(rgb, ((0, target[0] - height), (0, target[1] - width), (0, 0)))

    def __call__(self, pixels: np.ndarray) -> tuple[np.ndarray, bool]:
        """Upscale one H×W×3 uint8 array (a padded image or a patch of it), or a stack of N same-size ones.

        Returns
        -------
        tuple
            ``(output, traced)``: the ``(H*scale, W*scale, 3)`` uint8 output
            (``(N, H*scale, W*scale, 3)`` for a stack) and whether this call
            traced the model.

        Raises
        ------
        ModelFormatError
            The model's output does not have the spec's scale.
        """
        stack = pixels if pixels.ndim == 4 else pixels[None]
        output, traced = self.model.predict(self._to_input_range(stack))
        expected = (stack.shape[0], stack.shape[1] * self.spec.scale, stack.shape[2] * self.spec.scale, 3)
        if output.shape != expected:
            raise ModelFormatError(
                f"{self.spec.id} returned {output.shape[1:]} for a {stack.shape[1:]} input; expected {expected[1:]}. "
                "Check the model's scale."
            )
        self.model.consider_openvino(self._probes, self._to_pixels)
        output = self._to_pixels(output)
        return (output if pixels.ndim == 4 else output[0]), traced

    def batch_size(self, height: int, width: int) -> int:
        """How many ``height``×``width`` patches to run in one call: up to :data:`BATCH_PIXELS` and :data:`MAX_BATCH`."""
        return max(1, min(MAX_BATCH, BATCH_PIXELS // (height * width)))

    @property
    def runtime(self) -> str:
        """What runs the model now: ``"tensorflow"`` or ``"openvino"``."""
        return self.model.runtime

    def crop(self, output: np.ndarray, height: int, width: int) -> np.ndarray:
        """The output of an ``height``×``width`` image, without what :meth:`pad` added (contiguous)."""
        scale = self.spec.scale
        return np.ascontiguousarray(output[: height * scale, : width * scale])

    def warmup(self, shapes: Iterable[tuple[int, int]]) -> None:
        """Trace and run the model once per ``(height, width)``, so later calls of those shapes are fast."""
        for height, width in shapes:
            self.model.predict(np.zeros((1, height, width, 3), np.float32))

    def choose_runtime(self) -> str:
        """Decide now between TensorFlow and OpenVINO (normally done in the background); return the runtime's note."""
        self(np.zeros((self.spec.divisibility_factor or 8,) * 2 + (3,), np.uint8))
        self.model.consider_openvino(self._probes, self._to_pixels, wait=True)
        return self.model.runtime_note

    def _probes(self) -> list[np.ndarray]:
        """Real photo crops in the model's input range, to check another runtime's pixels against TensorFlow's."""
        from PIL import Image

        with Image.open(importlib.resources.files("explorer") / "examples" / "astronaut.png") as photo:
            rgb = np.asarray(photo.convert("RGB"))
        factor = self.spec.divisibility_factor or 1
        sides = [(round_up_to_multiple(h, factor), round_up_to_multiple(w, factor)) for h, w in ((48, 64), (96, 128))]
        return [self._to_input_range(rgb[None, :h, :w]) for h, w in sides]

    def _to_input_range(self, pixels: np.ndarray) -> np.ndarray:
        batch = pixels.astype(np.float32)
        if self.spec.input_range[1] == 1:
            batch *= np.float32(1 / 255)
        return batch

    def _to_pixels(self, output: np.ndarray) -> np.ndarray:
        high = self.spec.output_range[1]
        values = np.clip(output, 0, high)
        if high == 1:
            values = values * np.float32(255)
        return np.rint(values).astype(np.uint8)


def _load(model_path: Path) -> LoadedModel:
    import_tensorflow()
    start = time.perf_counter()
    file = load_model_file(model_path)
    return LoadedModel(file=file, load_seconds=time.perf_counter() - start)


_cache: collections.OrderedDict[Path, LoadedModel] = collections.OrderedDict()
_cache_lock = threading.Lock()
_loading: dict[Path, threading.Lock] = {}


def get_loaded_model(model_path: Path) -> LoadedModel:
    """Load the model file at ``model_path``, or return the copy already loaded.

    Concurrent first requests for the same file wait for one load instead of
    each loading a copy (MAXIM takes ~2 GB and 20 s per load).

    Parameters
    ----------
    model_path : pathlib.Path
        The verified model file on disk (TF.js model.json or Keras file).
    """
    key = Path(model_path)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        key_lock = _loading.setdefault(key, threading.Lock())
    with key_lock:
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        try:
            loaded = _load(key)
        except BaseException:
            with _cache_lock:
                _loading.pop(key, None)
            raise
        with _cache_lock:  # publish and retire the key lock together: no window for a second load
            _loading.pop(key, None)
            _cache[key] = loaded
            while len(_cache) > settings.model_cache_size():
                _cache.popitem(last=False)
    return loaded


def clear_model_cache() -> None:
    """Forget every loaded model (frees their memory once unreferenced)."""
    with _cache_lock:
        _cache.clear()
