"""``python -m explorer models``: list the registry."""

from __future__ import annotations

import argparse
import json
from typing import Sequence

from explorer.engine.registry import ModelSpec, list_models


def register(commands) -> None:
    """Add the ``models`` command."""
    models = commands.add_parser(
        "models", help="list the registry's models", description="List every model variant in the registry."
    )
    models.add_argument("filter", nargs="?", help="shell-style pattern on id or alias, e.g. 'esrgan-*/4x'")
    models.add_argument("--task", help="only models for this task (e.g. upscaling)")
    models.add_argument("--json", action="store_true", help="print a JSON list (one object per variant, with an 'id')")
    models.set_defaults(handler=run)



def _format_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def _table(specs: Sequence[ModelSpec]) -> str:
    header = ("id", "task", "scale", "arch", "params", "size", "weights", "platforms")
    rows = [
        (
            s.id,
            s.task,
            f"{s.scale}x",
            s.architecture or "-",
            f"{s.parameters:,}",
            _format_size(s.size_bytes),
            s.quantization or "float32",
            "+".join(s.platforms),
        )
        for s in specs
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in (header, *rows)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the registry as a table or JSON."""
    specs = list_models(args.filter, task=args.task)
    if args.json:
        print(json.dumps([s.to_dict() for s in specs], indent=2))
    elif not specs:
        print("No model matches; run `python -m explorer models` to see them all.")
    else:
        print(_table(specs))
    return 0
