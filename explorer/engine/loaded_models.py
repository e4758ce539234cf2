"""The process's loaded models, kept within a memory budget.

Loading a model file (reading shards, building layers) is slow, so it happens
once: :func:`load_model` keeps the most recently used files within
``$UPSCALER_EXPLORER_MODEL_CACHE_MB`` (a long-running app does not grow without
limit, and small models never push out a large one by their number), and every
:class:`~explorer.Upscaler` on the same file shares one
:class:`~explorer.engine.runner.LoadedModel`. A model loaded again after the
budget let it go says so (:attr:`LoadedModel.reloaded`, :func:`cache_state`).
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from explorer import settings
from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.detect import load_model_file
from explorer.engine.memory import peak_memory_mib
from explorer.engine.runner import LoadedModel

__all__ = ["CacheState", "cache_state", "clear_model_cache", "load_model", "was_evicted"]


def _load(model_path: Path) -> LoadedModel:
    import_tensorflow()
    before = peak_memory_mib("VmRSS")
    start = time.perf_counter()
    file = load_model_file(model_path)
    seconds = time.perf_counter() - start
    grown = peak_memory_mib("VmRSS") - before  # NaN where /proc is missing
    memory = max(4 * file.parameters, 0 if math.isnan(grown) else grown * 2**20)
    return LoadedModel(file=file, load_seconds=seconds, memory_bytes=int(memory))


_cache: collections.OrderedDict[Path, LoadedModel] = collections.OrderedDict()
_cache_lock = threading.Lock()
_loading: dict[Path, threading.Lock] = {}
_evicted: set[Path] = set()


@dataclass(frozen=True)
class CacheState:
    """The loaded-model cache now: how many models it holds, their memory and its budget (bytes)."""

    models: int
    memory_bytes: int
    budget_bytes: int


def cache_state() -> CacheState:
    """What the loaded-model cache holds now, against its budget (``$UPSCALER_EXPLORER_MODEL_CACHE_MB``)."""
    with _cache_lock:
        held = sum(loaded.memory_bytes for loaded in _cache.values())
        return CacheState(len(_cache), held, settings.model_cache_mb() * 2**20)


def was_evicted(model_path: Path) -> bool:
    """True when the model file at ``model_path`` was loaded in this process and let go to make room."""
    with _cache_lock:
        return Path(model_path) in _evicted and Path(model_path) not in _cache


def _make_room(budget: int) -> None:
    """Let the least recently used models go until the rest fit ``budget`` (the newest always stays). Hold the lock."""
    while len(_cache) > 1 and sum(loaded.memory_bytes for loaded in _cache.values()) > budget:
        gone, _ = _cache.popitem(last=False)
        _evicted.add(gone)


def load_model(model_path: Path) -> tuple[LoadedModel, bool]:
    """Load the model file at ``model_path``, or return the copy already loaded, and say which.

    Concurrent first requests for the same file wait for one load instead of
    each loading a copy (MAXIM takes ~2 GB and 20 s per load).

    Parameters
    ----------
    model_path : pathlib.Path
        The verified model file on disk (TF.js model.json or Keras file).

    Returns
    -------
    tuple
        ``(model, loaded_now)``: ``loaded_now`` is True when this call loaded
        the file, False when it was loaded already (by an earlier call, or by
        a concurrent one this call waited for).
    """
    key = Path(model_path)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key], False
        key_lock = _loading.setdefault(key, threading.Lock())
    with key_lock:
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key], False
        try:
            loaded = _load(key)
        except BaseException:
            with _cache_lock:
                _loading.pop(key, None)
            raise
        with _cache_lock:  # publish and retire the key lock together: no window for a second load
            _loading.pop(key, None)
            loaded.reloaded = key in _evicted
            _evicted.discard(key)
            _cache[key] = loaded
            _make_room(settings.model_cache_mb() * 2**20)
    return loaded, True


def clear_model_cache() -> None:
    """Forget every loaded model (frees their memory once unreferenced); a later load is a first load again."""
    with _cache_lock:
        _cache.clear()
        _evicted.clear()
