"""``python -m explorer upscale``: upscale an image and write a PNG."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from explorer.cli._common import (
    add_custom_model_options,
    add_source_options,
    custom_model_settings,
    status,
)
from explorer.engine.registry import DEFAULT_MODEL
from explorer.errors import ExplorerError


def register(commands) -> None:
    """Add the ``upscale`` command."""
    up = commands.add_parser(
        "upscale",
        help="upscale an image and write a PNG",
        description="Upscale an image with a registry model and write the result as PNG. "
        "Large images are tiled automatically when no patch size is given.",
    )
    up.add_argument("input", metavar="INPUT", help="image file (PNG, JPEG, WebP, ...)")
    up.add_argument("-o", "--output", metavar="OUTPUT", help="PNG to write (default: INPUT's name + @<scale>x.png)")
    up.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help=f"model id or alias, or your own model: a model.json path, its folder, an http(s) URL, "
        f"or a .keras/.h5 file (default: {DEFAULT_MODEL})",
    )
    up.add_argument(
        "--patch-size",
        type=_patch_size,
        metavar="N|auto",
        help="cut the image into N×N patches (UpscalerJS patchSize); 'auto' measures this model on this machine and "
        "image and picks the fastest patch size and padding whose seams stay within 1 level of a whole-image run "
        "(within --budget-seconds/--budget-memory if given), and says why in one line",
    )
    up.add_argument("--padding", type=int, metavar="N", help="context pixels around each patch (UpscalerJS padding)")
    up.add_argument(
        "--budget-seconds", type=float, metavar="S", help="with --patch-size auto: the longest the model may take"
    )
    up.add_argument(
        "--budget-memory",
        type=float,
        metavar="MIB",
        help="with --patch-size auto: the most extra memory (MiB) one model call may take, measured in a fresh "
        "process (about 10 s more)",
    )
    add_custom_model_options(up)
    up.add_argument("--offline", action="store_true", help="fail instead of downloading a model that is not cached")
    up.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_source_options(up)
    up.set_defaults(handler=run)


def _patch_size(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels or 'auto', got {text!r}") from None


def _check_auto(args: argparse.Namespace) -> None:
    budgets = args.budget_seconds is not None or args.budget_memory is not None
    if args.patch_size != "auto" and budgets:
        raise ExplorerError(
            "--budget-seconds and --budget-memory go with --patch-size auto: add it, or drop the budget."
        )
    if args.patch_size == "auto" and args.padding is not None:
        raise ExplorerError("--patch-size auto chooses the padding too: drop --padding.")


def _advise(upscaler, image_path: str, args: argparse.Namespace) -> tuple[int | None, int | None]:
    from explorer.engine.advice import advise

    status("Measuring patch sizes for this model and image (--patch-size auto) ...")
    advice = advise(
        upscaler,
        image_path,
        budget_seconds=args.budget_seconds,
        budget_memory_mib=args.budget_memory,
        status=None if args.quiet else status,
    )
    status(f"Advice: {advice.line}")
    return advice.patch_size, advice.padding


def _default_output(input_path: Path, scale: int) -> Path:
    return input_path.with_name(f"{input_path.stem}@{scale}x.png")


def _check_inputs(args: argparse.Namespace) -> None:
    """Everything that can be checked without the model, so a mistake costs no model load (MAXIM: a minute)."""
    from explorer.engine.custom import check_overrides
    from explorer.engine.images import load_image
    from explorer.engine.tiling import validate_patch_settings

    if args.output and Path(args.output).suffix.lower() != ".png":
        raise ExplorerError(f"The output is written as PNG: give a path ending in .png (got {args.output}).")
    _check_auto(args)
    if args.patch_size != "auto":
        validate_patch_settings(args.patch_size, args.padding)
    check_overrides(**custom_model_settings(args))
    with warnings.catch_warnings(record=True):  # notes (16-bit, frames) are shown once, by the run itself
        load_image(args.input)
    folder = (Path(args.output) if args.output else Path(args.input)).absolute().parent
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ExplorerError(f"Cannot write the output into {folder}: choose another place with -o.")


def run(args: argparse.Namespace) -> int:
    """Upscale INPUT and write OUTPUT."""
    from tqdm import tqdm

    from explorer.engine.images import save_png
    from explorer.engine.upscaler import Upscaler

    _check_inputs(args)
    status(f"Loading {args.model} ...")
    upscaler = Upscaler(
        args.model,
        source=args.source,
        offline=args.offline or None,
        status=status,
        **custom_model_settings(args),
    )
    spec = upscaler.spec
    status(f"Loaded {spec.id} ({spec.scale}x) in {upscaler.load_seconds:.2f} s.")
    if upscaler.model_file.format == "tfjs-graph":
        status("The first run on a new input size traces the graph (about 20 s for MAXIM); later runs are fast.")
    output = Path(args.output) if args.output else _default_output(Path(args.input), spec.scale)
    patch_size, padding = args.patch_size, args.padding
    if patch_size == "auto":
        patch_size, padding = _advise(upscaler, args.input, args)
    with tqdm(total=None, unit="patch", desc="Upscaling", file=sys.stderr, disable=args.quiet) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = upscaler.run(args.input, patch_size=patch_size, padding=padding, progress=progress)
    save_png(result.image, output)
    report = result.report
    tiling = (
        f"{report.patches} patches of {report.patch_size} px, padding {report.padding}"
        + (" (tiled automatically: large image)" if report.auto_tiled else "")
        if report.patch_size
        else "whole image"
    )
    print(
        f"Wrote {output} ({report.output_size[0]}x{report.output_size[1]}) with {spec.id}: "
        f"{tiling}; {report.total_seconds:.2f} s ({report.inference_seconds:.2f} s in the model)."
    )
    return 0
