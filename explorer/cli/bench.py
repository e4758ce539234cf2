"""``python -m explorer bench quality|speed``: benchmark the models and write the result tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from explorer.cli._common import status
from explorer.errors import ExplorerError


def register(commands) -> None:
    """Add the ``bench`` command and its ``quality`` and ``speed`` subcommands."""
    bench = commands.add_parser(
        "bench",
        help="benchmark model quality or speed; write CSV and Markdown tables",
        description="Benchmark the registry's models. Results are merged into CSV and Markdown tables in "
        "model_cards/results/ (rows for the models run are replaced); `python -m explorer cards` then copies "
        "them into the model cards.",
    )
    kinds = bench.add_subparsers(dest="bench", required=True, metavar="KIND")
    quality = kinds.add_parser(
        "quality",
        help="PSNR/SSIM of every upscaling model and the baselines on scikit-image's colour photographs",
        description="Reference mode on scikit-image's colour photographs (central crops): downscale with "
        "antialiased bicubic, upscale with every upscaling model of each scale and with the baselines, score "
        "against the crop. Also saves the sample crops shown in the cards.",
    )
    quality.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4, 8], metavar="S", help="scales to run (default: 2 3 4 8)")
    quality.add_argument("--limit-size", type=int, default=256, metavar="N", help="central N×N crop of each image (default: 256)")
    quality.add_argument("--images", nargs="+", metavar="NAME", help="only these evaluation images (default: all)")
    quality.add_argument("--samples-dir", type=Path, metavar="DIR", help="where to save sample crops (default: model_cards/samples)")
    speed = kinds.add_parser(
        "speed",
        help="load time, first call, steady speed, GFLOP/s and peak memory per model",
        description="Time every model on a square crop of scikit-image's astronaut, whole and tiled, each model "
        "in a fresh process.",
    )
    speed.add_argument("--size", type=int, default=256, metavar="N", help="input side in pixels, at most 512 (default: 256)")
    speed.add_argument("--patch-size", type=int, default=64, metavar="N", help="patch size of the tiled runs (default: 64)")
    speed.add_argument("--padding", type=int, default=4, metavar="N", help="padding of the tiled runs (default: 4)")
    speed.add_argument("--repeats", type=int, default=3, metavar="N", help="timed calls after the first (default: 3)")
    speed.add_argument("--task", help="only models for this task (default: every model)")
    for parser in (quality, speed):
        parser.add_argument("--models", metavar="GLOB", help="shell-style pattern on model id or alias (default: all)")
        parser.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: model_cards/results)")
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and write its tables."""
    return _run_quality(args) if args.bench == "quality" else _run_speed(args)


def _run_quality(args: argparse.Namespace) -> int:
    from explorer.reports.bench.quality import run_quality, select_models, summarise, write_quality
    from explorer.reports.results import results_dir, samples_dir

    models = select_models(args.models, args.scales)
    frame = run_quality(
        models, args.scales, images=args.images, size=args.limit_size, samples=args.samples_dir or samples_dir(), progress=not args.quiet
    )
    out = args.out or results_dir()
    write_quality(frame, out)
    summary = summarise(frame)
    for scale, block in summary.groupby("scale"):
        print(f"scale {scale}: " + ", ".join(f"{m.removeprefix('@upscalerjs/')} {p:.2f}" for m, p in zip(block["method"], block["psnr_y"])))
    print(f"Wrote {out / 'quality.csv'} and {out / 'quality.md'} (mean PSNR-Y in dB above).")
    return 0


def _run_speed(args: argparse.Namespace) -> int:
    from explorer.engine.registry import list_models
    from explorer.reports.bench.speed import SpeedSettings, run_speed, write_speed
    from explorer.reports.results import results_dir

    settings = SpeedSettings(size=args.size, patch_size=args.patch_size, padding=args.padding, repeats=args.repeats)
    models = list_models(args.models, task=args.task)
    if not models:
        raise ExplorerError(f"No model matches {args.models!r}; see `python -m explorer models`.")
    frame = run_speed(models, settings, progress=not args.quiet, status=status)
    out = args.out or results_dir()
    write_speed(frame, out)
    for row in frame.itertuples(index=False):
        print(
            f"{row.model} ({row.runtime}): {row.whole_ms:.0f} ms whole, {row.tiled_ms:.0f} ms tiled "
            f"(batches of {row.tiled_batch}), {row.whole_gflop_s:.1f} GFLOP/s "
            f"({row.whole_peak_pct:.0f} % of a 3×3 64→64 conv at {row.conv_peak_gflop_s:.0f}), peak {row.peak_rss_mib:.0f} MiB"
        )
    print(f"Wrote {out / 'speed.csv'} and {out / 'speed.md'}.")
    return 0
