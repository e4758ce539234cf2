"""Find the TF.js model.json of a model the user has on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

from explorer.errors import ModelNotFoundError


def resolve_local_model(path: str | os.PathLike[str]) -> Path:
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
