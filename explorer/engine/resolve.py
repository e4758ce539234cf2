"""Turn any model reference into a spec and a verified file on disk: the one place a front end asks.

A reference is a registry id (``"@upscalerjs/esrgan-slim/4x"``), an alias
(``"esrgan-slim/4x"``), a :class:`~explorer.engine.registry.ModelSpec`, or your
own model: a TF.js ``model.json`` (its path, its folder, or an ``http(s)://``
URL) or a Keras ``.keras``/``.h5`` file. Registry models come verified from
:mod:`explorer.engine.store`; your own files are found, loaded once (shared
with the runner) and their scale is probed unless given
(:mod:`explorer.engine.custom`). The library, the CLI (``upscale``,
``inspect``, ``snippet``), the app (through :class:`~explorer.Upscaler`) and
the code generator all ask here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from explorer.engine import custom, store
from explorer.engine.formats.detect import KERAS_SUFFIXES
from explorer.engine.loaded_models import load_model
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec
from explorer.errors import ExplorerError, ModelFormatError, ModelNotFoundError

__all__ = ["ModelReference", "ResolvedModel", "find_model_json", "is_model_file", "resolve"]

ModelReference = str | os.PathLike | ModelSpec
"""What :func:`resolve` accepts."""


@dataclass(frozen=True)
class ResolvedModel:
    """A model reference made concrete.

    Attributes
    ----------
    spec : ModelSpec
        Complete: a registry card's, or your file's with its scale known.
    path : pathlib.Path or None
        The verified model file on disk (None only when a registry model was
        resolved with ``fetch=False``).
    loaded_now : bool
        True when resolving loaded the file (your own files are loaded to
        learn their scale); registry models are loaded later, by :class:`~explorer.Upscaler`.
        Not part of equality: two resolutions of one reference are the same
        model, whichever of them loaded it.
    """

    spec: ModelSpec
    path: Path | None
    loaded_now: bool = field(default=False, compare=False)


def is_model_file(reference: ModelReference) -> bool:
    """True if ``reference`` names your own model (a file, folder or URL) rather than a registry model."""
    if isinstance(reference, ModelSpec):
        return reference.is_custom
    text = os.fspath(reference)
    return store.is_url(text) or text.lower().endswith((".json", *KERAS_SUFFIXES)) or Path(text).exists()


def resolve(
    reference: ModelReference = DEFAULT_MODEL,
    *,
    scale: int | None = None,
    input_range: str | Sequence[float] | None = None,
    divisibility_factor: int | None = None,
    source: str | None = None,
    offline: bool | None = None,
    status: Callable[[str], None] | None = None,
    fetch: bool = True,
) -> ResolvedModel:
    """Find the spec and the verified file of any model reference.

    Parameters
    ----------
    reference : str, path or ModelSpec, default ``"@upscalerjs/default-model"``
        A registry id or alias, a :class:`ModelSpec`, or your own model file,
        folder or URL.
    scale, input_range, divisibility_factor : optional
        What your own model file does not say (see :class:`~explorer.Upscaler`);
        refused for registry models, whose card says it.
    source : {"auto", "npm", "cdn"}, optional
        Where to fetch a registry package from if it is not cached.
    offline : bool, optional
        Never download.
    status : callable, optional
        Receives one-line status messages while a model is fetched.
    fetch : bool, default True
        False: give a registry model's spec without fetching its files
        (``path`` is then None). Your own files are always found and loaded,
        since their scale comes from the file.

    Returns
    -------
    ResolvedModel

    Raises
    ------
    ModelNotFoundError
        Unknown id, or no model at the path.
    ExplorerError
        Overrides given for a registry model, or out of range.
    ModelFetchError, ModelFormatError
        From fetching or loading the file.
    """
    if isinstance(reference, ModelSpec) and reference.is_custom:
        return ResolvedModel(reference, Path(reference.path))
    if not is_model_file(reference):
        if (scale, input_range, divisibility_factor) != (None, None, None):
            name = reference.id if isinstance(reference, ModelSpec) else os.fspath(reference)
            raise ExplorerError(
                "scale, input_range and divisibility_factor (--scale, --input-range, --divisibility) are for "
                f"your own model files; {name} takes them from its model card."
            )
        spec = get_spec(reference)
        if not fetch:
            return ResolvedModel(spec, None)
        return ResolvedModel(spec, store.model_json_path(spec, source=source, offline=offline, progress=status))
    custom.check_overrides(scale, input_range, divisibility_factor)  # before any download or load
    path = _locate(os.fspath(reference), offline=offline, status=status)
    provisional = custom.custom_spec(reference, path, input_range=input_range, divisibility_factor=divisibility_factor)
    try:
        model, loaded_now = load_model(path)
    except ModelFormatError:
        if store.is_url(os.fspath(reference)):  # keep no download that failed: the next run fetches it again
            store.forget_url_model(os.fspath(reference))
        raise
    return ResolvedModel(custom.with_file_facts(provisional, model, scale), path, loaded_now)


def _locate(text: str, *, offline: bool | None, status: Callable[[str], None] | None) -> Path:
    """The local model file for a path, folder or URL (URLs are downloaded into the cache)."""
    if store.is_url(text):
        return store.fetch_url_model(text, offline=offline, progress=status)
    path = Path(text).expanduser()
    if path.suffix.lower() in KERAS_SUFFIXES:
        if not path.is_file():
            raise ModelNotFoundError(f"No Keras model file at {path}.")
        return path
    return find_model_json(path)


def find_model_json(path: str | os.PathLike[str]) -> Path:
    """Find the TF.js ``model.json`` of a model the user has on disk.

    Parameters
    ----------
    path : str or path-like
        A ``.json`` model file, or a folder holding exactly one
        ``model.json`` (searched in subfolders too) or, failing that,
        exactly one ``*.json`` file with a ``modelTopology`` key.

    Returns
    -------
    pathlib.Path
        The absolute path of the model's JSON file.

    Raises
    ------
    ModelNotFoundError
        Nothing exists at ``path``, the folder holds no model, or it holds
        several and the choice would be a guess.
    """
    given = Path(path).expanduser()
    if given.is_file():
        if given.suffix.lower() != ".json":
            raise ModelNotFoundError(
                f"{given} is not a .json file. Give the model.json of a TF.js model or the folder that holds it."
            )
        return given.resolve()
    if not given.is_dir():
        raise ModelNotFoundError(
            f"No file or folder at {given}. Check the path; give the model.json of a "
            "TF.js model or the folder that holds it."
        )
    candidates = sorted(given.rglob("model.json")) or sorted(p for p in given.rglob("*.json") if _has_model_topology(p))
    if not candidates:
        raise ModelNotFoundError(
            f"No model.json (nor any .json file with a modelTopology) in {given}. "
            "Give the folder of a TF.js model, or the path of its .json file."
        )
    if len(candidates) > 1:
        listed = ", ".join(str(p.relative_to(given)) for p in candidates)
        raise ModelNotFoundError(f"{given} holds several models ({listed}). Pass the path of the one you want.")
    return candidates[0].resolve()


def _has_model_topology(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and "modelTopology" in data
