"""Upscaler Explorer: run and compare UpscalerJS super-resolution models in Python."""

from __future__ import annotations

from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec, list_models
from explorer.engine.upscaler import Upscaler, UpscaleReport, UpscaleResult
from explorer.errors import (
    EvaluationError,
    ExplorerError,
    ImageError,
    IntegrityError,
    ModelFetchError,
    ModelFormatError,
    ModelNotFoundError,
    OfflineError,
    PatchSettingsError,
    SettingsError,
    SnippetError,
    UnsupportedLayerError,
)

__all__ = [
    "DEFAULT_MODEL",
    "EvaluationError",
    "ExplorerError",
    "ImageError",
    "IntegrityError",
    "ModelFetchError",
    "ModelFormatError",
    "ModelNotFoundError",
    "ModelSpec",
    "OfflineError",
    "PatchSettingsError",
    "SettingsError",
    "SnippetError",
    "UnsupportedLayerError",
    "UpscaleReport",
    "UpscaleResult",
    "Upscaler",
    "evaluate",
    "get_spec",
    "list_models",
    "snippets",
]

__version__ = "0.1.0"

_LAZY = {"evaluate": ("explorer.quality.evaluate", "evaluate"), "snippets": ("explorer.codegen.snippets", None)}


def __getattr__(name: str):
    """``evaluate`` and ``snippets`` load on first use: pandas and the code generator stay out of ``import explorer``."""
    if name not in _LAZY:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value
