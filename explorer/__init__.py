"""Upscaler Explorer: run and compare UpscalerJS super-resolution models in Python."""

from __future__ import annotations

from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec, list_models
from explorer.engine.upscaler import Upscaler, UpscaleReport, UpscaleResult
from explorer.errors import (
    ExplorerError,
    ImageError,
    IntegrityError,
    ModelFetchError,
    ModelFormatError,
    ModelNotFoundError,
    OfflineError,
    PatchSettingsError,
    UnsupportedLayerError,
)

__all__ = [
    "DEFAULT_MODEL",
    "ExplorerError",
    "ImageError",
    "IntegrityError",
    "ModelFetchError",
    "ModelFormatError",
    "ModelNotFoundError",
    "ModelSpec",
    "OfflineError",
    "PatchSettingsError",
    "UnsupportedLayerError",
    "UpscaleReport",
    "UpscaleResult",
    "Upscaler",
    "get_spec",
    "list_models",
]

__version__ = "0.1.0"
