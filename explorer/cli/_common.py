"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from explorer.settings import SOURCES

__all__ = ["add_custom_model_options", "add_source_options", "custom_model_settings", "status"]


def status(message: str) -> None:
    """Print a one-line status message on stderr (stdout stays for results)."""
    print(message, file=sys.stderr, flush=True)


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--source`` (where to download models from)."""
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="where to download models from: the npm client, a CDN over HTTPS, or auto (npm if installed). "
        "Default: $UPSCALER_EXPLORER_SOURCE or auto.",
    )


def add_custom_model_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--scale``, ``--input-range`` and ``--divisibility`` (for your own model files)."""
    group = parser.add_argument_group("your own model (a model.json path, its folder, a URL or a Keras file)")
    group.add_argument("--scale", type=int, metavar="N", help="its scale (default: inferred by a small probe run)")
    group.add_argument("--input-range", metavar="LOW,HIGH", help="pixel range it takes and returns: 0,255 (default) or 0,1")
    group.add_argument("--divisibility", type=int, metavar="N", help="sides must be multiples of N (default: any size)")


def custom_model_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments :class:`~explorer.Upscaler` takes for your own model, from the options."""
    settings = {"scale": args.scale, "input_range": args.input_range, "divisibility_factor": args.divisibility}
    return {key: value for key, value in settings.items() if value is not None}

