"""The command line: ``upscaler-explorer COMMAND`` or ``python -m explorer COMMAND``.

One module per command, each with ``register(commands)`` adding its parser and
a ``run(args) -> int`` handler. Every failure we expect (bad image, unknown
model, download problem, bad settings) prints one ``error:`` line with what to
do and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Callable, Sequence

from explorer.cli import (
    bench,
    cards,
    evaluate,
    fetch,
    inspect,
    models,
    recommendation,
    serve,
    snippet,
    upscale,
)
from explorer.errors import ExplorerError

__all__ = ["build_parser", "main"]

EXIT_USAGE_OR_INPUT = 2
COMMANDS = (upscale, models, fetch, inspect, evaluate, recommendation, bench, cards, serve, snippet)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr, flush=True)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation).

    Parameters
    ----------
    prog : str, optional
        The program name shown in usage lines; default: how it was started
        (``upscaler-explorer`` for the installed command).
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Upscaler Explorer: run UpscalerJS super-resolution models in Python.",
        epilog="Models are cached in $UPSCALER_EXPLORER_CACHE (default: your user cache folder). "
        "Set UPSCALER_EXPLORER_OFFLINE=1 to never download.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the command line; returns the exit status (``prog``: see :func:`build_parser`)."""
    args = build_parser(prog).parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    warnings.showwarning = _show_warning
    try:
        return handler(args)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE_OR_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # out of memory is expected on big images; anything else is a bug
        from explorer.engine.memory import is_out_of_memory

        if not is_out_of_memory(error):
            raise
        print(
            "error: ran out of memory. Use a patch size (e.g. --patch-size 128 --padding 8), "
            "a smaller image, or a smaller model.",
            file=sys.stderr,
        )
        return EXIT_USAGE_OR_INPUT
