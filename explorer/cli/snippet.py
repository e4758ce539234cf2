"""``python -m explorer snippet``: print the code that sets up a model with given settings."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_custom_model_options, custom_model_settings, status
from explorer.codegen.snippets import OUTPUTS, TARGETS, generate
from explorer.engine.precision import PRECISIONS
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec


def register(commands) -> None:
    """Add the ``snippet`` command."""
    snippet = commands.add_parser(
        "snippet",
        help="print the code that sets up a model (browser, Node, script tag, Python, command line, Ray Data)",
        description="Print ready-to-copy code that sets up a model with these settings and upscales photo.png: "
        "UpscalerJS in the browser (ES module), in Node, or by CDN script tags; this project's Python API or "
        "command line; or this project's Ray Data batch engine over a folder (photos/ into upscaled/) or a bucket.",
    )
    snippet.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help="model id or alias, or your own model: a model.json path, its folder, an http(s) URL, or a .keras/.h5 file "
        f"(Keras: python and cli targets only; default: {DEFAULT_MODEL})",
    )
    snippet.add_argument("-t", "--target", choices=TARGETS, default=TARGETS[0], help=f"what to write (default: {TARGETS[0]})")
    snippet.add_argument("--patch-size", type=int, metavar="N", help="cut the image into N×N patches (patchSize)")
    snippet.add_argument("--padding", type=int, metavar="N", help="context pixels around each patch (padding)")
    snippet.add_argument(
        "--warmup-sizes", type=_sizes, default=(), metavar="N[,N...]", help="patch sides to warm up for, e.g. 64,128"
    )
    snippet.add_argument("--progress", action="store_true", help="report progress after each patch")
    snippet.add_argument(
        "--output", choices=OUTPUTS, default=OUTPUTS[0], help="what UpscalerJS returns in the browser: a PNG data URL or a tensor"
    )
    snippet.add_argument(
        "--precision", choices=PRECISIONS, default="exact",
        help="the python, cli and ray targets' precision: exact (fp32, default) or fast (bf16 where measured faithful)",
    )  # fmt: skip
    add_custom_model_options(snippet)
    snippet.set_defaults(handler=run)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"give whole numbers separated by commas, e.g. 64,128 (got {text!r})") from None


def _model(args: argparse.Namespace) -> ModelSpec:
    from explorer.engine.resolve import is_model_file, resolve

    if is_model_file(args.model):
        status(f"Loading {args.model} to learn its format and scale ...")
    return resolve(args.model, status=status, fetch=False, **custom_model_settings(args)).spec


def run(args: argparse.Namespace) -> int:
    """Print the snippet on stdout."""
    code = generate(
        _model(args),
        args.target,
        patch_size=args.patch_size,
        padding=args.padding,
        warmup_sizes=args.warmup_sizes,
        progress=args.progress,
        output=args.output,
        precision=args.precision,
    )
    print(code, end="")
    return 0
