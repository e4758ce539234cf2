"""``python -m explorer recommend``: my picture, my target, my budget -> the model and settings to use, with the code."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_source_options, status


def register(commands) -> None:
    """Add the ``recommend`` command."""
    from explorer.quality.degrade import DEGRADATIONS

    command = commands.add_parser(
        "recommend",
        help="measure the candidate models on your picture and print the one to use, its settings and its code",
        description="Run the candidate models for a scale (esrgan-slim, -medium and -thick) or a restoration task (its "
        "MAXIM models) on a central crop of IMAGE, beside the classical methods: upscalers by the reference protocol "
        "(IMAGE is the original: the crop is shrunk and enlarged again), restoration models on a synthetic degradation "
        "of IMAGE. Print the ranked table (PSNR/SSIM, GMSD, hf_ratio for sharpness, seconds for the whole picture "
        "here), why the first is first, the chosen model with its patch size and padding (seams within 1 level and "
        "within the budgets), and its code for the target. Times are measured now on this machine: a busy machine "
        "gives slower, noisier times.",
    )
    command.add_argument("image", metavar="IMAGE", help="your picture (PNG, JPEG, ...)")
    what = command.add_mutually_exclusive_group(required=True)
    what.add_argument("--scale", type=int, metavar="N", help="upscale by N (2, 3, 4; 8 for python)")
    what.add_argument(
        "--task", metavar="TASK",
        help="restore instead: deblurring, denoising, deraining, dehazing or low-light-enhancement",
    )  # fmt: skip
    command.add_argument("-t", "--target", choices=("browser", "node", "python"), default="browser",
                         help="where the model will run; the code is for it (default: browser)")  # fmt: skip
    command.add_argument("--budget-seconds", type=float, metavar="S", help="longest acceptable whole-picture run here")
    command.add_argument(
        "--budget-memory", type=float, metavar="MIB",
        help="most extra memory one model call may take (your device's budget): the patch size is chosen within it",
    )  # fmt: skip
    command.add_argument("--models", metavar="ID[,ID...]", type=_names, help="models to try instead of the default set")
    command.add_argument(
        "--degradation", metavar="NAME", choices=tuple(DEGRADATIONS),
        help="for --task: the synthetic degradation to score on (default: the task's first)",
    )  # fmt: skip
    command.add_argument("--rank-by", metavar="MEASURE", choices=("psnr_y", "psnr_rgb", "ssim_y", "ssim_rgb", "gmsd"),
                         help="quality measure to rank by (default: psnr_y to upscale, psnr_rgb to restore)")  # fmt: skip
    add_source_options(command)
    command.set_defaults(handler=run)


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give model ids separated by commas, e.g. esrgan-slim/2x,esrgan-thick/2x")
    return names


def run(args: argparse.Namespace) -> int:
    """Recommend and print the table, the choice and the code."""
    from explorer.engine.store import model_json_path
    from explorer.recommend import TABLE_FORMATS, candidates, recommend
    from explorer.reports.bench.tables import markdown_table

    for spec in candidates(scale=args.scale, task=args.task, target=args.target, models=args.models):
        model_json_path(spec, source=args.source, progress=status)  # fetched from the source asked for
    found = recommend(
        args.image, scale=args.scale, task=args.task, target=args.target, budget_seconds=args.budget_seconds,
        budget_memory_mib=args.budget_memory, models=args.models, degradation=args.degradation, rank_by=args.rank_by,
        status=status,
    )  # fmt: skip
    print(found.protocol().replace("`", ""))
    print()
    print(markdown_table(found.display_table(), TABLE_FORMATS))
    print()
    print(f"Why: {found.sentence}")
    print(f"Use: {found.short_model} with {found.settings_text} ({found.settings_line})")
    if found.seams_note:
        print(f"Seams in the browser: {found.seams_note}")
    for note in found.notes:
        print(f"Note: {note}")
    print(f"Took {found.seconds:.1f} s.")
    print()
    print(f"Code ({found.target}):")
    print()
    print(found.code, end="")
    return 0
