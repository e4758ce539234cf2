"""Exception classes: one per kind of failure, all under :class:`ExplorerError`.

Every message says what went wrong and what the user can do about it, so the
CLI and the app can show ``str(error)`` as it is.
"""

from __future__ import annotations

__all__ = [
    "ExplorerError",
    "ModelNotFoundError",
    "ModelFetchError",
    "TransientFetchError",
    "IntegrityError",
    "OfflineError",
    "ModelFormatError",
    "UnsupportedLayerError",
    "ImageError",
    "PatchSettingsError",
    "WorkLimitError",
    "SettingsError",
    "MetricsInputError",
    "EvaluationError",
    "SnippetError",
]


class ExplorerError(Exception):
    """Base class of every error this package raises on purpose."""


class ModelNotFoundError(ExplorerError, KeyError):
    """No registry variant has the given id or alias."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelFetchError(ExplorerError):
    """A model package could not be downloaded or unpacked."""


class TransientFetchError(ModelFetchError):
    """A download failed in a way a retry may fix: no connection, a server error (5xx, 429), a cut transfer."""


class IntegrityError(ModelFetchError):
    """Downloaded bytes do not match the pinned hash, or an archive is unsafe."""


class OfflineError(ModelFetchError):
    """Offline mode is on and the model is not in the cache."""


class ModelFormatError(ExplorerError):
    """A model file (topology, weights manifest or shard) is malformed."""


class UnsupportedLayerError(ModelFormatError):
    """The topology uses a layer type this loader does not (or will not) build."""


class ImageError(ExplorerError, ValueError):
    """An input image cannot be read or is outside what we accept."""


class PatchSettingsError(ExplorerError, ValueError):
    """``patch_size``/``padding`` break UpscalerJS's rules."""


class SettingsError(ExplorerError, ValueError):
    """An ``UPSCALER_EXPLORER_*`` environment variable has a value we cannot use."""


class MetricsInputError(ExplorerError, ValueError):
    """The images given to a metric cannot be compared as they are."""


class EvaluationError(ExplorerError, ValueError):
    """A reference-mode evaluation cannot be run with these inputs."""


class SnippetError(ExplorerError, ValueError):
    """No snippet can be made for this model, target or settings."""


class WorkLimitError(ExplorerError, ValueError):
    """A request asks for more work than the limits allow (patches, output size, time)."""
