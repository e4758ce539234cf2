"""``python -m explorer evaluate``: score a model against a high-resolution image (reference mode)."""

from __future__ import annotations

import argparse
import json
import math

from explorer.cli._common import add_source_options, status
from explorer.engine.registry import DEFAULT_MODEL


def register(commands) -> None:
    """Add the ``evaluate`` command."""
    ev = commands.add_parser(
        "evaluate",
        help="score a model and the classical baselines against a high-resolution image",
        description="Reference mode: crop HR_IMAGE to a multiple of the model's scale, downscale it with Pillow's "
        "antialiased bicubic, upscale it with the model and with nearest, bilinear, bicubic and Lanczos, and score "
        "every output against the cropped original (PSNR/SSIM on the BT.601 luma Y and on RGB, GMSD for edges, lower "
        "is better, and hf_ratio, the fine-detail energy relative to the original's, with `scale` pixels cropped from "
        "each side). A restoration model (scale 1) is scored on a synthetic degradation of the clean HR_IMAGE "
        "instead (--degradation), next to doing nothing and classical filters.",
    )
    ev.add_argument("hr_image", metavar="HR_IMAGE", help="the high-resolution (or clean) ground truth (PNG, JPEG, ...)")
    ev.add_argument("-m", "--model", default=DEFAULT_MODEL, help=f"model id or alias (default: {DEFAULT_MODEL})")
    ev.add_argument(
        "--degradation", metavar="NAME",
        help="for a restoration model: the synthetic degradation (default: the first of its task; noise-15, "
        "noise-25, noise-50, gaussian-blur, motion-blur, low-light, rain, haze)",
    )  # fmt: skip
    ev.add_argument("--patch-size", type=int, metavar="N", help="run the model on N×N patches (UpscalerJS patchSize)")
    ev.add_argument("--padding", type=int, metavar="N", help="context pixels around each patch (UpscalerJS padding)")
    ev.add_argument(
        "--json", action="store_true", help="print a JSON list of records, one object per method (an infinite PSNR, "
        "for an output equal to the original, is written as null)"
    )
    add_source_options(ev)
    ev.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the table."""
    from explorer.engine.upscaler import Upscaler
    from explorer.errors import ExplorerError
    from explorer.quality.evaluate import evaluate
    from explorer.quality.restoration import evaluate_restoration
    from explorer.reports.bench.tables import markdown_table

    upscaler = Upscaler(args.model, source=args.source, status=status)
    restoring = upscaler.spec.scale == 1
    if args.degradation and not restoring:
        raise ExplorerError(f"--degradation is for restoration models; {args.model} upscales (drop the option).")
    if restoring:
        result = evaluate_restoration(upscaler, args.hr_image, args.degradation, key="evaluate", patch_size=args.patch_size, padding=args.padding)
    else:
        result = evaluate(upscaler, args.hr_image, patch_size=args.patch_size, padding=args.padding)
    if args.json:
        records = [{k: _finite_or_none(v) for k, v in row.items()} for row in result.table.to_dict(orient="records")]
        print(json.dumps(records, indent=2))
        return 0
    height, width = result.reference.shape[:2]
    if restoring:
        print(f"{result.model} on {width}×{height} degraded by {result.degradation}:")
    else:
        print(f"{result.model} at {result.scale}x on {width}×{height} (input {width // result.scale}×{height // result.scale}):")
    formats = {"psnr_y": ".2f", "ssim_y": ".4f", "psnr_rgb": ".2f", "ssim_rgb": ".4f", "gmsd": ".4f", "hf_ratio": ".3f", "seconds": ".3f"}
    print(markdown_table(result.table, formats))
    return 0


def _finite_or_none(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value
