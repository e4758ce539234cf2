"""Open Keras model files (``.keras`` and legacy ``.h5``) without running code they carry.

Before Keras deserializes anything we read the saved configuration and refuse
layers that carry Python code (``Lambda`` and friends) and classes from modules
other than Keras itself (they would be imported and run), and layers that
declare more weights than the file stores (``filters: 2e9`` would allocate
hundreds of gigabytes before any weight is read). Loading then uses Keras's
``safe_mode``.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any, Iterator

from explorer.engine._tf import import_tensorflow
from explorer.errors import ModelFormatError, UnsupportedLayerError

__all__ = ["load_keras_file", "read_keras_config"]

_CODE_RUNNING = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


def read_keras_config(path: Path) -> dict[str, Any]:
    """The model configuration stored in a ``.keras`` or ``.h5`` file.

    Raises
    ------
    ModelFormatError
        If the file is not a Keras model file.
    """
    try:
        if path.suffix.lower() == ".keras":
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        import h5py

        with h5py.File(path, "r") as h5:
            raw = h5.attrs.get("model_config")
            if raw is None:
                raise ModelFormatError(f"{path} holds no model configuration (only weights?). Save the whole model.")
            return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except RecursionError as exc:
        raise ModelFormatError(f"{path} holds a model configuration nested too deeply to be a Keras model.") from exc
    except (zipfile.BadZipFile, KeyError, OSError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path} is not a readable Keras model file ({exc}). Save it with model.save(...).") from exc


def _class_entries(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _class_entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _class_entries(value)


def _refuse_code(config: dict[str, Any], path: Path) -> None:
    for entry in _class_entries(config):
        name = entry["class_name"]
        module = entry.get("module") or ""
        if name in _CODE_RUNNING:
            raise UnsupportedLayerError(
                f"{path} has a {name!r} layer, which runs arbitrary Python code; such models are refused. "
                "Replace it with standard layers and save again."
            )
        if module and not module.startswith("keras"):
            raise UnsupportedLayerError(
                f"{path} uses the custom class {name!r} from module {module!r}; loading it would import and run "
                "that code, so it is refused. Use standard Keras layers."
            )


def _stored_weights(path: Path) -> int:
    """How many weight values the file stores (shapes only: no weight is read)."""
    import h5py

    total = 0

    def count(_: str, item: Any) -> None:
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += int(item.size)

    try:
        if path.suffix.lower() == ".keras":
            with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as stream, h5py.File(stream, "r") as h5:
                h5.visititems(count)
        else:
            with h5py.File(path, "r") as h5:
                h5.visititems(count)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelFormatError(f"{path} holds no readable weights ({exc}). Save the whole model with model.save(...).") from exc
    return total


def _refuse_oversized(config: dict[str, Any], stored: int, path: Path) -> None:
    """A layer's kernel has at least ``kernel area × filters`` (or ``units``) values, all of which the file must store."""
    for entry in _class_entries(config):
        settings = entry.get("config")
        if not isinstance(settings, dict):
            continue
        kernel = settings.get("kernel_size", 1)
        area = math.prod(kernel) if isinstance(kernel, list) else kernel
        for key in ("filters", "units"):
            declared = settings.get(key)
            if isinstance(declared, (int, float)) and isinstance(area, (int, float)) and declared * area > stored:
                raise ModelFormatError(
                    f"{path}: layer {settings.get('name', entry['class_name'])!r} declares {key}={declared:g}, more "
                    f"weights than the file stores ({stored:,} values in all); the file is damaged or hostile."
                )


def load_keras_file(path: Path):
    """Load a Keras model file safely.

    Raises
    ------
    UnsupportedLayerError
        Code-carrying layers or custom classes.
    ModelFormatError
        Unreadable files, layers that declare more weights than the file
        stores, or a model that does not take one RGB image batch.
    """
    try:
        config = read_keras_config(path)
        _refuse_code(config, path)
        _refuse_oversized(config, _stored_weights(path), path)
    except RecursionError as exc:
        raise ModelFormatError(f"{path} holds a model configuration nested too deeply to be a Keras model.") from exc
    import_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except (ValueError, TypeError, OSError) as exc:
        raise ModelFormatError(f"Keras cannot load {path} ({exc}).") from exc
    inputs = model.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[-1] != 3:
        shapes = [tuple(i.shape) for i in inputs]
        raise ModelFormatError(f"{path} must take one image batch of shape (N, H, W, 3); it takes {shapes}.")
    return model
