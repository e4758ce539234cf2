"""``python -m explorer inspect MODEL``: what a model file is and what we detect about it."""

from __future__ import annotations

import argparse
import json

from explorer.cli._common import (
    add_custom_model_options,
    add_source_options,
    custom_model_settings,
    status,
)


def register(commands) -> None:
    """Add the ``inspect`` command."""
    parser = commands.add_parser(
        "inspect",
        help="show what a model is: format, layers or ops, parameters, scale, input range, size",
        description="Load a model (registry id, model.json path, folder, URL or Keras file) and print what was "
        "detected: format, layer or op summary, parameters, scale (probed unless given), input range and size.",
    )
    parser.add_argument("model", metavar="MODEL", help="registry id or alias, or a path, folder, URL or .keras/.h5 file")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    add_custom_model_options(parser)
    add_source_options(parser)
    parser.set_defaults(handler=run)


def _describe(upscaler) -> dict:
    spec, file = upscaler.spec, upscaler.model_file
    return {
        "id": spec.id,
        "file": str(file.path),
        "format": file.format,
        "task": spec.task,
        "scale": spec.scale,
        "input_range": list(spec.input_range),
        "divisibility_factor": spec.divisibility_factor,
        "parameters": file.parameters,
        "size_bytes": file.size_bytes,
        "load_seconds": round(upscaler.load_seconds, 3),
        "summary": dict(sorted(file.summary.items(), key=lambda item: -item[1])),
    }


def run(args: argparse.Namespace) -> int:
    """Load MODEL and print what was detected."""
    from explorer.engine.upscaler import Upscaler

    status(f"Loading {args.model} ...")
    info = _describe(Upscaler(args.model, source=args.source, status=status, **custom_model_settings(args)))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    kind = "ops" if info["format"] == "tfjs-graph" else "layers"
    print(f"{info['id']}\n  file: {info['file']}")
    print(f"  format: {info['format']}   task: {info['task']}   scale: {info['scale']}x   input range: {info['input_range']}")
    print(f"  parameters: {info['parameters']:,}   size: {info['size_bytes']:,} bytes   loaded in {info['load_seconds']} s")
    if info["divisibility_factor"]:
        print(f"  sides must be multiples of {info['divisibility_factor']}")
    top = list(info["summary"].items())[:12]
    more = len(info["summary"]) - len(top)
    print(f"  {kind}: " + ", ".join(f"{name} x{count}" for name, count in top) + (f", ... (+{more} kinds)" if more > 0 else ""))
    return 0
