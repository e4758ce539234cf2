"""``python -m explorer bench quality|speed``: benchmark the models and write the result tables."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from explorer.cli._common import status
from explorer.cli._ray import add_engine_options, check_engine_options
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
        help="PSNR/SSIM/GMSD of every upscaling model and the baselines on Set5, Set14 and photographs",
        description="Reference mode on evaluation sets: downscale each high-resolution image with antialiased "
        "bicubic, upscale it with every upscaling model of each scale and with the classical filters, score against "
        "the original (PSNR/SSIM on Y and RGB, GMSD, high-frequency energy ratio). Also saves the sample crops shown "
        "in the cards (from the skimage set).",
    )
    quality.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4, 8], metavar="S", help="scales to run (default: 2 3 4 8)")
    quality.add_argument(
        "--sets", nargs="+", default=["set5", "set14", "skimage"], metavar="SET",
        help="set5, set14 (read from --datasets), skimage (scikit-image's colour photographs) or a folder of "
        "high-resolution images (default: set5 set14 skimage)",
    )  # fmt: skip
    quality.add_argument(
        "--datasets", type=Path, metavar="DIR",
        help="folder holding Set5/ and Set14/ (default: $UPSCALER_EXPLORER_DATASETS, else ../shared/datasets beside "
        "the repository)",
    )  # fmt: skip
    quality.add_argument(
        "--limit-size", type=int, metavar="N",
        help="cut every image to its central N×N crop (default: 256 for skimage, whole images for the others)",
    )  # fmt: skip
    quality.add_argument("--samples-dir", type=Path, metavar="DIR", help="where to save sample crops (default: model_cards/samples)")
    add_engine_options(quality, "the models run")
    restoration = kinds.add_parser(
        "restoration",
        help="the restoration models and classical filters on synthetic degradations of clean crops",
        description="Reference mode for restoration models: each clean image (central crop) is degraded "
        "synthetically (noise σ 15/25/50, Gaussian and motion blur, low light, rain, haze), restored by every "
        "restoration model of that task, by nothing and by classical filters, and scored against the clean crop "
        "(PSNR/SSIM on Y and RGB, GMSD, high-frequency energy ratio). Retouching has no synthetic degradation.",
    )
    restoration.add_argument("--sets", nargs="+", default=["set5"], metavar="SET",
                             help="set5, set14, skimage or a folder of clean images (default: set5)")  # fmt: skip
    restoration.add_argument("--datasets", type=Path, metavar="DIR", help="folder holding Set5/ and Set14/ (as for quality)")
    restoration.add_argument("--limit-size", type=int, default=128, metavar="N",
                             help="central N×N crop of each image (default: 128; MAXIM is slow on CPU)")  # fmt: skip
    speed = kinds.add_parser(
        "speed",
        help="load time, first call, steady speed, GFLOP/s, peak memory, runtimes side by side and both precisions",
        description="Time every model on a square crop of scikit-image's astronaut, whole and tiled, each model "
        "in a fresh process: its first ten calls, then the runtimes side by side (TensorFlow, OpenVINO f32 and bf16 "
        "where installed, TensorFlow bf16) and both precisions (exact and fast), with GFLOP/s against a convolution "
        "timed in the same process at fp32 and at bf16.",
    )
    speed.add_argument("--size", type=int, default=256, metavar="N", help="input side in pixels, at most 512 (default: 256)")
    speed.add_argument("--patch-size", type=int, default=64, metavar="N", help="patch size of the tiled runs (default: 64)")
    speed.add_argument("--padding", type=int, default=4, metavar="N", help="padding of the tiled runs (default: 4)")
    speed.add_argument("--repeats", type=int, default=3, metavar="N", help="timed calls after the first (default: 3)")
    speed.add_argument("--task", help="only models for this task (default: every model)")
    for parser in (quality, restoration, speed):
        parser.add_argument("--models", metavar="GLOB", help="shell-style pattern on model id or alias (default: all)")
        parser.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: model_cards/results)")
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    bench.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen benchmark and write its tables."""
    return {"quality": _run_quality, "restoration": _run_restoration, "speed": _run_speed}[args.bench](args)


def _run_quality(args: argparse.Namespace) -> int:
    from explorer.reports.bench.dataset import load_set
    from explorer.reports.bench.quality import run_quality, select_models, set_title, summarise, write_quality
    from explorer.reports.results import results_dir, samples_dir

    if args.limit_size is not None and args.limit_size < 1:
        raise ExplorerError(f"--limit-size must be at least 1 pixel, got {args.limit_size}.")
    check_engine_options(args)
    models = select_models(args.models, args.scales)
    sets = [load_set(name, size=args.limit_size, root=args.datasets) for name in dict.fromkeys(args.sets)]
    started = time.perf_counter()
    options = {"sets": sets, "samples": args.samples_dir or samples_dir(), "progress": not args.quiet}
    if args.engine == "ray":
        from explorer.batch.ray_bench import run_quality_on_ray

        frame = run_quality_on_ray(models, args.scales, **options, workers=args.workers, address=args.ray_address, status=status)
    else:
        frame = run_quality(models, args.scales, **options)
    out = args.out or results_dir()
    write_quality(frame, out)
    for (set_name, scale), block in summarise(frame).groupby(["set", "scale"], sort=False):
        scores = ", ".join(f"{m.removeprefix('@upscalerjs/')} {p:.2f}" for m, p in zip(block["method"], block["psnr_y"]))
        print(f"{set_title(set_name)} x{scale}: {scores}")
    print(f"Wrote {out / 'quality.csv'} and {out / 'quality.md'} (mean PSNR-Y in dB above) in {time.perf_counter() - started:.0f} s.")
    return 0


def _run_restoration(args: argparse.Namespace) -> int:
    from explorer.reports.bench.dataset import load_set
    from explorer.reports.results import results_dir
    from explorer.reports.bench.restoration import (
        restoration_summary,
        run_restoration,
        select_restoration_models,
        write_restoration,
    )

    if args.limit_size < 1:
        raise ExplorerError(f"--limit-size must be at least 1 pixel, got {args.limit_size}.")
    models = select_restoration_models(args.models)
    sets = [load_set(name, size=args.limit_size, root=args.datasets) for name in dict.fromkeys(args.sets)]
    started = time.perf_counter()
    frame = run_restoration(models, sets=sets, progress=not args.quiet, status=status)
    out = args.out or results_dir()
    write_restoration(frame, out)
    for degradation, block in restoration_summary(frame).groupby("degradation", sort=False):
        scores = ", ".join(f"{m.removeprefix('@upscalerjs/')} {p:.2f}" for m, p in zip(block["method"], block["psnr_rgb"]))
        print(f"{degradation}: {scores}")
    print(f"Wrote {out / 'restoration.csv'} and {out / 'restoration.md'} (mean PSNR-RGB in dB above) in "
          f"{time.perf_counter() - started:.0f} s.")  # fmt: skip
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
            f"({row.whole_peak_pct:.0f} % of a 3×3 64→64 conv at {row.conv_peak_gflop_s:.0f}), peak {row.peak_rss_mib:.0f} MiB; "
            f"calls 2–10 of a fresh process: worst {row.start_worst_x:.2f}× their median; fast precision "
            f"{row.fast_ms:.0f} ms ({row.fast_speedup:.2f}× exact, {row.fast_peak_pct:.0f} % of the bf16 conv at "
            f"{row.conv_peak_bf16_gflop_s:.0f}): {row.fast_reason}"
        )
    print(f"Wrote {out / 'speed.csv'} and {out / 'speed.md'}.")
    return 0
