"""Every ``UPSCALER_EXPLORER_*`` environment variable, read and validated in one place.

Each function reads its variable when called, never at import, so a bad value
cannot break ``import explorer`` and a test, a notebook or a Space can change a
setting at run time. An empty or unset variable means the default. A bad value
raises an error that names the variable, the value and what it expects:
:class:`~explorer.errors.SettingsError` unless said otherwise.

=========================================  ==========================================================
Variable                                   Meaning (default)
=========================================  ==========================================================
``UPSCALER_EXPLORER_CACHE``                cache folder (the platform's user cache folder)
``UPSCALER_EXPLORER_OFFLINE``              ``1/true/yes/on`` never downloads (``0/false/no/off``)
``UPSCALER_EXPLORER_SOURCE``               ``auto``, ``npm`` or ``cdn`` (``auto``)
``UPSCALER_EXPLORER_CDN``                  CDN base addresses, comma-separated, tried in order (:data:`DEFAULT_CDNS`)
``UPSCALER_EXPLORER_CARDS``                folder of the model cards (those the package carries)
``UPSCALER_EXPLORER_DOWNLOAD_SECONDS``     longest one model download may take, all files (600)
``UPSCALER_EXPLORER_DATASETS``             folder holding ``Set5/`` and ``Set14/`` (``../shared/datasets``
                                           beside the repository)
``UPSCALER_EXPLORER_MAX_PIXELS``           largest input image, in pixels (:data:`DEFAULT_MAX_PIXELS`)
``UPSCALER_EXPLORER_AUTO_TILE_PIXELS``     outputs larger than this are tiled (2048×2048)
``UPSCALER_EXPLORER_MODEL_CACHE_MB``       memory the loaded models a process keeps may hold, in MiB (a quarter
                                           of the machine's memory)
``UPSCALER_EXPLORER_RUNTIME``              ``auto``, ``tensorflow`` or ``openvino`` (``auto``)
``UPSCALER_EXPLORER_BF16``                 ``auto``, ``off`` or ``on``: bf16 for fast (``auto``)
``UPSCALER_EXPLORER_APP_MAX_PIXELS``       the app's largest input (2048×2048)
``UPSCALER_EXPLORER_APP_MAX_OUTPUT_PIXELS`` the app's largest output (8192×8192)
``UPSCALER_EXPLORER_APP_MIN_PATCH_SIZE``   the app's smallest patch side (16)
``UPSCALER_EXPLORER_APP_MAX_PATCHES``      the app's most patches per request (4096)
``UPSCALER_EXPLORER_APP_MAX_SECONDS``      the app's longest run, stopped between patches (600)
``UPSCALER_EXPLORER_APP_CONCURRENCY``      model runs at once in the app (2)
``UPSCALER_EXPLORER_APP_MAX_QUEUE``        requests waiting in the app's queue (32)
=========================================  ==========================================================

One setting of npm's own is honoured too: ``npm_config_registry`` (the
registry the ``npm`` client uses), from which the package tarball is fetched
over HTTP(S) when there is no ``npm`` client (:func:`npm_registry`), and one of Ray's:
``RAY_ADDRESS``, the cluster the Ray batch engine joins (:func:`ray_address`).
"""

from __future__ import annotations

import importlib.resources
import os
import urllib.parse
from pathlib import Path

import platformdirs

from explorer.errors import ExplorerError, ImageError, SettingsError

__all__ = [
    "DEFAULT_CDNS",
    "DEFAULT_MAX_PIXELS",
    "MAX_PIXELS_ENV",
    "BF16_MODES",
    "RUNTIMES",
    "SOURCES",
    "app_concurrency",
    "app_max_output_pixels",
    "app_max_patches",
    "app_max_seconds",
    "app_min_patch_size",
    "app_max_pixels",
    "app_max_queue",
    "auto_tile_pixels",
    "bf16",
    "cache_dir",
    "cards_dir",
    "cdn_bases",
    "download_seconds",
    "datasets_dir",
    "is_offline",
    "max_pixels",
    "npm_registry",
    "ray_address",
    "model_cache_mb",
    "runtime",
    "source",
]

DEFAULT_CDNS = ("https://cdn.jsdelivr.net/npm", "https://unpkg.com")
"""CDNs that mirror npm packages, tried in this order (as UpscalerJS falls back between them), unless
``$UPSCALER_EXPLORER_CDN`` is set."""

DEFAULT_MAX_PIXELS = 4096 * 4096
"""Largest input accepted by default, in pixels (width × height): 16,777,216."""

MAX_PIXELS_ENV = "UPSCALER_EXPLORER_MAX_PIXELS"
"""Environment variable that overrides :data:`DEFAULT_MAX_PIXELS`."""

SOURCES = ("auto", "npm", "cdn")
"""Where model packages may come from: ``auto`` means npm when the client is on the PATH, else the CDN."""

RUNTIMES = ("auto", "tensorflow", "openvino")
"""How models run: ``auto`` uses OpenVINO where it is installed, gives TensorFlow's pixels and is faster."""

BF16_MODES = ("auto", "off", "on")
"""May the fast precision use bf16: ``auto`` where the CPU has bf16 units (AMX or AVX512-BF16), ``off`` never (the
path of CPUs without them), ``on`` even without them (emulated: measured like any other, for testing)."""

_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")
_PREFIX = "UPSCALER_EXPLORER_"


def cache_dir() -> Path:
    """The cache folder: ``$UPSCALER_EXPLORER_CACHE``, else the user cache folder (may not exist yet)."""
    override = _text("CACHE")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("upscaler-explorer"))


def is_offline() -> bool:
    """True when ``$UPSCALER_EXPLORER_OFFLINE`` is 1, true, yes or on (any case); False when unset, 0, false, no or off."""
    text = _text("OFFLINE").lower()
    if text in _TRUE_WORDS:
        return True
    if not text or text in _FALSE_WORDS:
        return False
    raise _bad("OFFLINE", text, "1, true, yes or on to stay offline; 0, false, no or off (or unset) to download")


def source() -> str:
    """``$UPSCALER_EXPLORER_SOURCE`` in lower case: one of :data:`SOURCES` (default ``auto``)."""
    text = _text("SOURCE").lower() or "auto"
    if text not in SOURCES:
        raise _bad("SOURCE", text, "'auto', 'npm' or 'cdn'")
    return text


def cdn_bases() -> tuple[str, ...]:
    """The CDN base addresses, in the order they are tried, without trailing slashes.

    ``$UPSCALER_EXPLORER_CDN`` (one or more http(s) addresses separated by
    commas) or :data:`DEFAULT_CDNS`.
    """
    text = _text("CDN")
    if not text:
        return DEFAULT_CDNS
    bases = tuple(base.strip().rstrip("/") for base in text.split(",") if base.strip())
    if not bases or not all(_is_http_url(base) for base in bases):
        raise _bad("CDN", text, f"one or more http(s) addresses separated by commas, such as {','.join(DEFAULT_CDNS)}")
    return bases


def npm_registry() -> str | None:
    """npm's registry setting, ``$npm_config_registry`` (as the ``npm`` client reads it), without a trailing slash.

    None when it is not set. The registry is never named here: it is only
    ever read from that setting.
    """
    text = next((os.environ[name].strip() for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY")
                 if os.environ.get(name, "").strip()), "")  # fmt: skip
    if not text:
        return None
    if not _is_http_url(text):
        raise SettingsError(f"npm_config_registry={text!r} is not valid: set it to the http(s) address of an npm "
                            "registry, or unset it.")  # fmt: skip
    return text.rstrip("/")


def ray_address() -> str | None:
    """Ray's own cluster setting, ``$RAY_ADDRESS`` (as ``ray.init`` reads it), or None when unset.

    None means the Ray batch engine starts a local Ray on this machine.
    """
    return os.environ.get("RAY_ADDRESS", "").strip() or None


def _is_http_url(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def cards_dir() -> Path:
    """Folder of the model cards.

    ``$UPSCALER_EXPLORER_CARDS`` if set; else the cards an installed package
    carries (``explorer/model_cards``, found with :mod:`importlib.resources`);
    else, in a checkout, the repository's top-level ``model_cards/``.
    """
    override = _text("CARDS")
    if override:
        return Path(override)
    installed = importlib.resources.files("explorer") / "model_cards"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[1] / "model_cards"


def download_seconds() -> int:
    """The longest one model download (a model.json and its shards, or a package's files) may take:
    ``$UPSCALER_EXPLORER_DOWNLOAD_SECONDS``, default 600."""
    return _positive_int("DOWNLOAD_SECONDS", 600)


def datasets_dir() -> Path:
    """Folder holding the standard test sets ``Set5/`` and ``Set14/`` (used by ``bench quality``).

    ``$UPSCALER_EXPLORER_DATASETS`` if set; else ``../shared/datasets`` beside
    the repository (where CI lays the shared data next to its clone).
    """
    override = _text("DATASETS")
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def max_pixels() -> int | None:
    """``$UPSCALER_EXPLORER_MAX_PIXELS``, or None when unset (the caller's default applies).

    Raises :class:`~explorer.errors.ImageError`: the limit belongs to the images it guards.
    """
    return _positive_int("MAX_PIXELS", None, DEFAULT_MAX_PIXELS, error=ImageError)


def auto_tile_pixels() -> int:
    """Outputs larger than this many pixels are tiled: ``$UPSCALER_EXPLORER_AUTO_TILE_PIXELS``, default 2048×2048."""
    return _positive_int("AUTO_TILE_PIXELS", 2048 * 2048)


def model_cache_mb() -> int:
    """Memory the loaded models a process keeps may hold, in MiB: ``$UPSCALER_EXPLORER_MODEL_CACHE_MB``.

    The default is a quarter of the machine's physical memory (at least 1024;
    4096 where the platform does not say): a MAXIM model holds about 1.7 GB,
    the upscaling models a few MB to a few hundred, so counting models would
    keep too many large ones or too few small ones.
    """
    return _positive_int("MODEL_CACHE_MB", max(1024, _physical_mib() // 4))


def _physical_mib() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, OSError, ValueError):
        return 4 * 4096


def runtime() -> str:
    """``$UPSCALER_EXPLORER_RUNTIME`` in lower case: one of :data:`RUNTIMES` (default ``auto``).

    ``openvino`` uses OpenVINO for every model it converts exactly (it must be installed);
    ``tensorflow`` never tries it.
    """
    text = _text("RUNTIME").lower() or "auto"
    if text not in RUNTIMES:
        raise _bad("RUNTIME", text, "'auto', 'tensorflow' or 'openvino'")
    return text


def bf16() -> str:
    """``$UPSCALER_EXPLORER_BF16`` in lower case: one of :data:`BF16_MODES` (default ``auto``).

    ``off`` treats the CPU as having no bf16 units (``precision="fast"`` then
    runs exact, and says so); ``on`` measures bf16 even on a CPU without them,
    where it is emulated (used only if measured faster and faithful, as always).
    """
    text = _text("BF16").lower() or "auto"
    if text not in BF16_MODES:
        raise _bad("BF16", text, "'auto', 'off' or 'on'")
    return text


def app_max_pixels() -> int:
    """The app's largest input in pixels: ``$UPSCALER_EXPLORER_APP_MAX_PIXELS``, default 2048×2048."""
    return _positive_int("APP_MAX_PIXELS", 2048 * 2048)


def app_max_output_pixels() -> int:
    """The app's largest output in pixels: ``$UPSCALER_EXPLORER_APP_MAX_OUTPUT_PIXELS``, default 8192×8192."""
    return _positive_int("APP_MAX_OUTPUT_PIXELS", 8192 * 8192)


def app_min_patch_size() -> int:
    """The app's smallest patch side in pixels: ``$UPSCALER_EXPLORER_APP_MIN_PATCH_SIZE``, default 16."""
    return _positive_int("APP_MIN_PATCH_SIZE", 16)


def app_max_patches() -> int:
    """The most patches (model calls) one app request may make: ``$UPSCALER_EXPLORER_APP_MAX_PATCHES``, default 4096."""
    return _positive_int("APP_MAX_PATCHES", 4096)


def app_max_seconds() -> int:
    """The longest one app run may take before it is stopped: ``$UPSCALER_EXPLORER_APP_MAX_SECONDS``, default 600."""
    return _positive_int("APP_MAX_SECONDS", 600)


def app_concurrency() -> int:
    """Model runs at once across the app's users: ``$UPSCALER_EXPLORER_APP_CONCURRENCY``, default 2."""
    return _positive_int("APP_CONCURRENCY", 2)


def app_max_queue() -> int:
    """Requests that may wait in the app's queue: ``$UPSCALER_EXPLORER_APP_MAX_QUEUE``, default 32."""
    return _positive_int("APP_MAX_QUEUE", 32)


def _text(name: str) -> str:
    return os.environ.get(_PREFIX + name, "").strip()


def _bad(name: str, text: str, expected: str, error: type[ExplorerError] = SettingsError) -> ExplorerError:
    return error(f"{_PREFIX}{name}={text!r} is not valid: set it to {expected}, or unset it.")


def _positive_int(
    name: str, default: int | None, example: int | None = None, *, error: type[ExplorerError] = SettingsError
) -> int | None:
    text = _text(name)
    if not text:
        return default
    example = example if example is not None else default
    try:
        value = int(text)
    except ValueError:
        raise error(
            f"{_PREFIX}{name}={text!r} is not a whole number: set it to e.g. {example}, or unset it."
        ) from None
    if value < 1:
        raise error(f"{_PREFIX}{name}={value} must be at least 1: set it to e.g. {example}, or unset it.")
    return value
