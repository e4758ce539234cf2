"""The ``--engine ray`` options shared by ``upscale`` and ``bench quality``, and ``upscale`` on Ray."""

from __future__ import annotations

import argparse
import sys

from explorer.cli._common import custom_model_settings, status
from explorer.errors import ExplorerError

__all__ = ["add_engine_options", "check_engine_options", "upscale_on_ray"]

ENGINES = ("local", "ray")


def add_engine_options(parser: argparse.ArgumentParser, work: str) -> None:
    """Add ``--engine``, ``--workers`` and ``--ray-address`` (``work``: what the workers do, for the help)."""
    group = parser.add_argument_group("engine (Ray Data: pip install \"upscaler-explorer[ray]\")")
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help=f"local: {work} one after another in this process (default); ray: on Ray Data, a pool of workers that "
        "each load the model once, on a local Ray or the cluster --ray-address names",
    )
    group.add_argument(
        "--workers", type=int, metavar="N",
        help="with --engine ray: workers in the pool (default: one per CPU, as many as memory holds; a MAXIM "
        "worker needs about 2.5 GB)",
    )  # fmt: skip
    group.add_argument(
        "--ray-address", metavar="ADDRESS",
        help="with --engine ray: the Ray cluster to run on (default: $RAY_ADDRESS, else a local Ray on this machine)",
    )  # fmt: skip


def check_engine_options(args: argparse.Namespace) -> None:
    """Refuse Ray options without ``--engine ray``, and a pool of no workers."""
    if args.engine != "ray":
        options = (("--workers", args.workers), ("--ray-address", args.ray_address))
        given = [name for name, value in options if value is not None]
        if given:
            raise ExplorerError(f"{' and '.join(given)} go with --engine ray: add it, or drop them.")
    if args.workers is not None and args.workers < 1:
        raise ExplorerError(f"--workers must be at least 1, got {args.workers}.")


def upscale_on_ray(args: argparse.Namespace) -> int:
    """``upscale --engine ray``: run the jobs on Ray, print the summary; status 2 if any image failed."""
    from explorer.batch import run_on_ray

    options = {**custom_model_settings(args), "source": args.source, "offline": args.offline or None}
    summary = run_on_ray(
        args.inputs,
        args.output,
        model=args.model,
        patch_size=args.patch_size,
        padding=args.padding,
        format=args.format,
        quality=args.quality,
        precision=args.precision,
        overwrite=args.overwrite,
        workers=args.workers,
        address=args.ray_address,
        model_options={key: value for key, value in options.items() if value is not None},
        progress=not args.quiet,
        status=status,
    )
    for path, reason in summary.failed:
        print(f"error: {reason if path in reason else f'{path}: {reason}'}", file=sys.stderr)
    print("\n".join(summary.lines()), flush=True)
    return 2 if summary.failed else 0
