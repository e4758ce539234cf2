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
from explorer.engine.tiling import round_up_to_multiple
from explorer.errors import ModelFormatError

__all__ = ["LoadedModel", "ModelRunner", "clear_model_cache", "get_loaded_model", "padded_size"]

_TRACES_PER_MODEL = 8


@dataclass
class LoadedModel:
    """A model file loaded once per process, with one traced function per input shape.

    Attributes
    ----------
    file : ModelFile
        The loaded file: forward function, format, parameters, summary.
    load_seconds : float
        Time spent reading and building it.
    """

    file: ModelFile
    load_seconds: float
    _traced: collections.OrderedDict[tuple[int, int], Callable] = field(default_factory=collections.OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def predict(self, batch: np.ndarray) -> tuple[np.ndarray, bool]:
        """Run one ``[1, H, W, 3]`` float32 batch.

        Returns
        -------
        tuple
            ``(raw output, traced)``; ``traced`` is True when this call traced
            the model for a new input shape (which costs time).
        """
        function, traced = self._traced_for(batch.shape[1], batch.shape[2])
        return function(batch).numpy(), traced

    def _traced_for(self, height: int, width: int) -> tuple[Callable, bool]:
        key = (height, width)
        with self._lock:
            if key in self._traced:
                self._traced.move_to_end(key)
                return self._traced[key], False
            tf = import_tensorflow()  # only when tracing: this runs once per patch otherwise
            forward = self.file.forward

            @tf.function(input_signature=[tf.TensorSpec([1, height, width, 3], tf.float32)], reduce_retracing=False)
            def run(batch):
                return forward(batch)

            self._traced[key] = run
            while len(self._traced) > _TRACES_PER_MODEL:
                self._traced.popitem(last=False)
            return run, True


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
        """Upscale one H×W×3 uint8 array (a padded image or a patch of it).

        Returns
        -------
        tuple
            ``(output, traced)``: the ``(H*scale, W*scale, 3)`` uint8 output and
            whether this call traced the model for a new shape.

        Raises
        ------
        ModelFormatError
            The model's output does not have the spec's scale.
        """
        output, traced = self.model.predict(self._to_input_range(pixels))
        output = output[0]
        expected = (pixels.shape[0] * self.spec.scale, pixels.shape[1] * self.spec.scale)
        if output.shape[:2] != expected or output.shape[2] != 3:
            raise ModelFormatError(
                f"{self.spec.id} returned {output.shape} for a {pixels.shape} input; expected {(*expected, 3)}. "
                "Check the model's scale."
            )
        return self._to_pixels(output), traced

    def crop(self, output: np.ndarray, height: int, width: int) -> np.ndarray:
        """The output of an ``height``×``width`` image, without what :meth:`pad` added (contiguous)."""
        scale = self.spec.scale
        return np.ascontiguousarray(output[: height * scale, : width * scale])

    def warmup(self, shapes: Iterable[tuple[int, int]]) -> None:
        """Trace and run the model once per ``(height, width)``, so later calls of those shapes are fast."""
        for height, width in shapes:
            self.model.predict(np.zeros((1, height, width, 3), np.float32))

    def _to_input_range(self, pixels: np.ndarray) -> np.ndarray:
        batch = pixels.astype(np.float32)[None]
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
