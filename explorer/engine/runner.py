"""Loaded models: a Keras model plus one traced function per input shape, cached per process.

Loading a model (reading shards, building layers) and tracing it for a new
input shape are the slow steps; both happen once. ``get_loaded_model`` keeps
the most recently used models (bounded, so a long-running app does not grow
without limit) and every :class:`~explorer.Upscaler` on the same spec shares
one :class:`LoadedModel`.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from explorer import settings
from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.detect import ModelFile, load_model_file
from explorer.engine.registry import ModelSpec

__all__ = ["LoadedModel", "clear_model_cache", "get_loaded_model"]

_TRACES_PER_MODEL = 8


@dataclass
class LoadedModel:
    """A model ready to run.

    Attributes
    ----------
    spec : ModelSpec
    file : ModelFile
        The loaded file: forward function, format, parameters, summary.
    load_seconds : float
        Time spent reading and building it.
    """

    spec: ModelSpec
    file: ModelFile
    load_seconds: float
    _traced: "collections.OrderedDict[tuple[int, int], Callable]" = field(default_factory=collections.OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def traced_for(self, height: int, width: int) -> tuple[Callable, bool]:
        """The traced function for ``[1, height, width, 3]`` inputs.

        Returns
        -------
        tuple
            ``(function, is_new)``; ``is_new`` is True when this call created it
            (its first run will trace, which costs time).
        """
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

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Run one ``[1, H, W, 3]`` float32 batch and return the raw output."""
        function, _ = self.traced_for(batch.shape[1], batch.shape[2])
        return function(batch).numpy()


def _load(spec: ModelSpec, model_path: Path) -> LoadedModel:
    import_tensorflow()
    start = time.perf_counter()
    file = load_model_file(model_path)
    return LoadedModel(spec=spec, file=file, load_seconds=time.perf_counter() - start)


_cache: "collections.OrderedDict[tuple[ModelSpec, Path], LoadedModel]" = collections.OrderedDict()
_cache_lock = threading.Lock()
_loading: dict[tuple[ModelSpec, Path], threading.Lock] = {}


def get_loaded_model(spec: ModelSpec, model_path: Path) -> LoadedModel:
    """Load ``spec`` from ``model_path``, or return the copy already loaded.

    Concurrent first requests for the same model wait for one load instead of
    each loading a copy (MAXIM takes ~2 GB and 20 s per load).

    Parameters
    ----------
    spec : ModelSpec
    model_path : pathlib.Path
        The verified model file on disk (TF.js model.json or Keras file).
    """
    key = (spec, model_path)
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
            loaded = _load(spec, model_path)
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
