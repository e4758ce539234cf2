"""The app's settings: limits that keep a shared server safe, with environment overrides (read in :mod:`explorer.settings`).

Every field has a default that suits a small shared host (a free Hugging Face
Space: 2 CPU cores, 16 GB) and an environment variable to change it, so a
Space can be tuned without code; ``python -m explorer serve`` has options for
the most useful ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer import settings
from explorer.engine.limits import WorkLimits
from explorer.errors import ExplorerError

__all__ = ["AppConfig"]



@dataclass(frozen=True)
class AppConfig:
    """Limits and defaults of one app instance.

    Attributes
    ----------
    max_pixels : int
        Largest input accepted, in pixels (width × height); default 2048×2048,
        ``$UPSCALER_EXPLORER_APP_MAX_PIXELS``. Lower than the library's limit,
        because a server runs many requests.
    max_output_pixels : int
        Largest output a request may produce (input pixels × scale²); default
        8192×8192 (192 MiB of RGB), ``$UPSCALER_EXPLORER_APP_MAX_OUTPUT_PIXELS``.
    concurrency : int
        Model runs (upscale, compare, evaluate) allowed at once across all
        users; the others wait in the queue (and see their place in it). Default 2,
        so one long first-time load (a MAXIM model: ~15 s) never holds up everyone;
        ``$UPSCALER_EXPLORER_APP_CONCURRENCY``.
    max_queue : int
        Requests that may wait in the queue before new ones are turned away;
        default 32, ``$UPSCALER_EXPLORER_APP_MAX_QUEUE``.
    min_patch_size : int
        Smallest patch side a request may ask for; default 16 px,
        ``$UPSCALER_EXPLORER_APP_MIN_PATCH_SIZE``.
    max_patches : int
        Most patches (model calls) in one request; default 4096,
        ``$UPSCALER_EXPLORER_APP_MAX_PATCHES``.
    max_seconds : int
        Longest one model run may take; it is stopped between patches after
        that, and its slot serves the next request. Default 600,
        ``$UPSCALER_EXPLORER_APP_MAX_SECONDS``.
    max_compare : int
        Models one Compare run may use; default 6.
    """

    max_pixels: int = field(default_factory=settings.app_max_pixels)
    max_output_pixels: int = field(default_factory=settings.app_max_output_pixels)
    concurrency: int = field(default_factory=settings.app_concurrency)
    max_queue: int = field(default_factory=settings.app_max_queue)
    min_patch_size: int = field(default_factory=settings.app_min_patch_size)
    max_patches: int = field(default_factory=settings.app_max_patches)
    max_seconds: int = field(default_factory=settings.app_max_seconds)
    max_compare: int = 6

    def __post_init__(self) -> None:
        for name in (
            "max_pixels", "max_output_pixels", "concurrency", "max_queue", "min_patch_size", "max_patches", "max_seconds",
            "max_compare",
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ExplorerError(f"AppConfig.{name} must be a whole number >= 1, got {value!r}.")

    @property
    def work_limits(self) -> WorkLimits:
        """The bounds every request of the app gets (input, patches, output, time)."""
        return WorkLimits(
            min_patch_size=self.min_patch_size, max_patches=self.max_patches, max_output_pixels=self.max_output_pixels,
            max_seconds=self.max_seconds, max_pixels=self.max_pixels,
        )  # fmt: skip
