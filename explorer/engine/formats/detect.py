"""Open any supported model file: TF.js layers or graph ``model.json``, or a Keras ``.keras``/``.h5`` file.

``detect_format`` is cheap (reads the JSON or the suffix); ``load_model_file``
builds the model and returns a :class:`ModelFile`: a forward function plus
what the file says about itself (for ``python -m explorer inspect``).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from explorer.errors import ModelFormatError

__all__ = ["FORMATS", "KERAS_SUFFIXES", "ModelFile", "detect_format", "load_model_file"]

FORMATS = ("tfjs-layers", "tfjs-graph", "keras")
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
"""File name endings read as Keras model files."""


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file.

    Attributes
    ----------
    path : pathlib.Path
        The file it was loaded from.
    format : str
        One of :data:`FORMATS`.
    forward : callable
        Maps a float32 ``[1, H, W, 3]`` batch to the model's output tensor.
    parameters : int
        Number of (float) weights.
    summary : mapping
        Layer types (layers and Keras models) or op types (graphs) with counts.
    size_bytes : int
        Bytes on disk: the file and, for TF.js, its weight shards.
    keras_model : keras.Model or None
        The Keras model that runs (layers models and Keras files); None for graphs.
    """

    path: Path
    format: str
    forward: Callable[[Any], Any]
    parameters: int
    summary: Mapping[str, int]
    size_bytes: int
    keras_model: Any = None


def detect_format(path: Path, data: Mapping[str, Any] | None = None) -> str:
    """Tell a model file's format from its suffix or its JSON."""
    if path.suffix.lower() in KERAS_SUFFIXES:
        return "keras"
    from explorer.engine.formats.tfjs_layers import read_model_json

    data = read_model_json(path) if data is None else data
    topology = data["modelTopology"]
    if data.get("format") == "graph-model" or (isinstance(topology, Mapping) and "node" in topology):
        return "tfjs-graph"
    return "tfjs-layers"


def _shard_bytes(path: Path, data: Mapping[str, Any]) -> int:
    from explorer.engine.formats.tfjs_weights import check_manifest

    groups = check_manifest(data.get("weightsManifest", []), str(path))
    shards = {path.parent / p for group in groups for p in group.get("paths", [])}
    return path.stat().st_size + sum(s.stat().st_size for s in shards if s.is_file())


def _keras_summary(model) -> dict[str, int]:
    return dict(collections.Counter(type(layer).__name__ for layer in model.layers))


def load_model_file(path: Path) -> ModelFile:
    """Load a model file of any supported format.

    Raises
    ------
    ModelFormatError
        If the file is malformed or not a model.
    UnsupportedLayerError
        If it uses a layer type we do not build (or that runs code).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"No model file at {path}.")
    if path.suffix.lower() in KERAS_SUFFIXES:
        from explorer.engine.formats.keras_files import load_keras_file

        model = load_keras_file(path)
        return ModelFile(
            path, "keras", lambda batch: model(batch, training=False), int(model.count_params()), _keras_summary(model), path.stat().st_size, model
        )
    try:
        return _load_tfjs(path)
    except (RecursionError, AttributeError, TypeError, KeyError, IndexError) as exc:  # a hostile or broken JSON structure
        raise ModelFormatError(f"{path} is not a well-formed TF.js model.json ({type(exc).__name__}: {str(exc)[:160]}).") from exc


def _load_tfjs(path: Path) -> ModelFile:
    from explorer.engine.formats.tfjs_layers import load_layers_model, read_model_json

    data = read_model_json(path)
    size = _shard_bytes(path, data)
    if detect_format(path, data) == "tfjs-graph":
        from explorer.engine.formats.tfjs_graph import load_graph_model

        graph = load_graph_model(path, data)
        return ModelFile(path, "tfjs-graph", graph, graph.parameters, graph.op_counts, size)
    model = load_layers_model(path, data)
    return ModelFile(
        path, "tfjs-layers", lambda batch: model(batch, training=False), int(model.count_params()), _keras_summary(model), size, model
    )
