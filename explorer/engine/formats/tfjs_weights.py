"""Read TF.js weights: the ``weightsManifest`` of a model.json and its binary shards.

The shards of a manifest group are one byte stream cut into files; the weights
of the group are stored back to back in that stream, in manifest order.
Quantized weights are stored as ``uint8``/``uint16`` codes (value =
``code * scale + min``) or as ``float16``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from explorer.errors import ModelFormatError

__all__ = ["check_manifest", "read_weights"]

_STORED_DTYPES: Mapping[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "float16": np.dtype("<f2"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
}
_OUTPUT_DTYPES: Mapping[str, np.dtype] = {
    "float32": np.dtype("float32"),
    "int32": np.dtype("int32"),
    "bool": np.dtype("bool"),
}


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value)


def check_manifest(manifest: Any, model_name: str = "model.json") -> list[Mapping[str, Any]]:
    """Check the structure of a ``weightsManifest`` before anything is read or fetched.

    A list of groups, each with ``paths`` (shard file names) and ``weights``
    (entries with a ``name``, a ``shape`` of whole numbers >= 0 and a ``dtype``).

    Returns
    -------
    list
        The manifest's groups.

    Raises
    ------
    ModelFormatError
        Saying which part is malformed.
    """
    if not isinstance(manifest, list):
        raise ModelFormatError(f"{model_name}: 'weightsManifest' must be a list of groups, not {type(manifest).__name__}.")
    for number, group in enumerate(manifest, 1):
        where = f"{model_name}: weightsManifest group {number}"
        if not isinstance(group, dict):
            raise ModelFormatError(f"{where} is a {type(group).__name__}, not an object with 'paths' and 'weights'.")
        paths, entries = group.get("paths", []), group.get("weights", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise ModelFormatError(f"{where}: 'paths' must be a list of shard file names.")
        if not isinstance(entries, list):
            raise ModelFormatError(f"{where}: 'weights' must be a list of weight entries.")
        for entry in entries:
            if not (isinstance(entry, dict) and isinstance(entry.get("name"), str) and _is_shape(entry.get("shape"))):
                raise ModelFormatError(f"{where}: malformed weight entry {str(entry)[:120]} (needs a name and a shape).")
            quantization = entry.get("quantization")
            if not isinstance(entry.get("dtype"), str) or (quantization is not None and not isinstance(quantization, dict)):
                raise ModelFormatError(f"{where}: weight {entry['name']!r} has a malformed dtype or quantization.")
    return manifest


def _stored_dtype(entry: Mapping[str, Any]) -> np.dtype:
    quantization = entry.get("quantization")
    name = quantization["dtype"] if quantization else entry["dtype"]
    if name not in _STORED_DTYPES:
        raise ModelFormatError(
            f"Weight {entry['name']!r} is stored as {name!r}, which this loader does not read "
            f"(supported: {', '.join(sorted(_STORED_DTYPES))})."
        )
    return _STORED_DTYPES[name]


def _decode(entry: Mapping[str, Any], raw: bytes) -> np.ndarray:
    shape = tuple(int(d) for d in entry["shape"])
    stored = np.frombuffer(raw, dtype=_stored_dtype(entry)).reshape(shape)
    quantization = entry.get("quantization")
    if quantization and quantization["dtype"] in ("uint8", "uint16"):
        values = stored.astype(np.float32) * np.float32(quantization["scale"]) + np.float32(quantization["min"])
    else:
        values = stored
    target = _OUTPUT_DTYPES.get(entry["dtype"])
    if target is None:
        raise ModelFormatError(f"Weight {entry['name']!r} has dtype {entry['dtype']!r}; only float32, int32 and bool are read.")
    if target.kind in "iub" and values.dtype.kind == "f":
        values = np.rint(values)
    return values.astype(target, order="C")  # ascontiguousarray would turn scalars into shape (1,)


def _read_group(group: Mapping[str, Any], folder: Path, model_name: str) -> dict[str, np.ndarray]:
    paths = group.get("paths") or []
    chunks = []
    for relative in paths:
        shard = (folder / relative).resolve()
        if folder.resolve() not in shard.parents:
            raise ModelFormatError(f"Weight shard path {relative!r} in {model_name} points outside the model folder.")
        if not shard.is_file():
            raise ModelFormatError(
                f"Weight shard {relative!r} listed in {model_name} is missing from {folder}. "
                "Fetch the model again (`python -m explorer fetch ID`) or copy the missing .bin file next to model.json."
            )
        chunks.append(shard.read_bytes())
    stream = b"".join(chunks)
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for entry in group.get("weights", []):
        nbytes = math.prod(int(d) for d in entry["shape"]) * _stored_dtype(entry).itemsize
        if offset + nbytes > len(stream):
            raise ModelFormatError(
                f"The weight shards of {model_name} hold {len(stream)} bytes but the manifest needs at least "
                f"{offset + nbytes} (weight {entry['name']!r}): a shard is truncated. Fetch the model again."
            )
        if entry["name"] in weights:
            raise ModelFormatError(f"Weight {entry['name']!r} appears twice in the manifest of {model_name}.")
        weights[entry["name"]] = _decode(entry, stream[offset : offset + nbytes])
        offset += nbytes
    if offset != len(stream):
        raise ModelFormatError(
            f"The weight shards of {model_name} hold {len(stream)} bytes but the manifest describes {offset}: "
            "the files do not belong together. Fetch the model again."
        )
    return weights


def read_weights(manifest: Any, folder: Path, model_name: str = "model.json") -> dict[str, np.ndarray]:
    """Read every weight a TF.js ``weightsManifest`` lists.

    Parameters
    ----------
    manifest : list
        The ``weightsManifest`` of a model.json.
    folder : pathlib.Path
        Folder the shard paths are relative to (the model.json's folder).
    model_name : str
        Name used in error messages.

    Returns
    -------
    dict
        ``{weight name: ndarray}``; quantized weights are dequantized to float32.

    Raises
    ------
    ModelFormatError
        If the manifest is malformed, a shard is missing, short or too long,
        or a dtype is not supported.
    """
    weights: dict[str, np.ndarray] = {}
    for group in check_manifest(manifest, model_name):
        try:
            group_weights = _read_group(group, folder, model_name)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{model_name}: malformed weights manifest entry ({exc!r}).") from exc
        clash = weights.keys() & group_weights.keys()
        if clash:
            raise ModelFormatError(f"{model_name}: weights {sorted(clash)} appear in two manifest groups.")
        weights.update(group_weights)
    return weights
