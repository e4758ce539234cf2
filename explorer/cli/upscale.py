"""``upscale``: upscale images (files, folders, globs) and write PNG, JPEG or WebP."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from explorer.batch import DoneRecord, RunSettings, check_output, expand_inputs, output_format, plan_jobs, sweep_and_say
from explorer.cli._ray import add_engine_options, check_engine_options, upscale_on_ray
from explorer.cli._common import (
    add_custom_model_options,
    add_source_options,
    custom_model_settings,
    status,
)
from explorer.engine.output import DEFAULT_QUALITY, FORMATS
from explorer.engine.precision import PRECISIONS
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec
from explorer.errors import ExplorerError

if TYPE_CHECKING:
    from explorer.engine.images import LoadedImage


def register(commands) -> None:
    """Add the ``upscale`` command."""
    up = commands.add_parser(
        "upscale",
        help="upscale images and write PNG, JPEG or WebP",
        description="Upscale images with a registry model or your own. INPUT is a file, a folder (its images, not "
        "its subfolders) or a quoted glob ('photos/*.jpg'); give several. A bad file is reported and skipped; the "
        "exit status is 2 if any failed. Large images are tiled automatically when no patch size is given. "
        "Existing files are never overwritten unless you add --overwrite, and an input is never replaced. "
        "Each output folder keeps a hidden record of what was written (.upscaler-explorer-done.jsonl): a rerun "
        "skips the images already done with the same model and settings (a changed input or setting is redone) "
        "and never takes this tool's outputs as inputs.",
    )
    up.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or globs")
    up.add_argument(
        "-o",
        "--output",
        metavar="OUTPUT",
        help="a folder for the results (created if needed), or, for one input file, a file name ending in .png, "
        ".jpg or .webp (default: next to each input, as NAME@<scale>x.png)",
    )
    up.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing files where the results go (default: refuse those this tool did not write)",
    )
    up.add_argument("--format", choices=tuple(FORMATS), help="file format of the results (default: png, or OUTPUT's)")
    up.add_argument("--quality", type=int, metavar="1-100", help=f"JPEG/WebP quality (default {DEFAULT_QUALITY})")
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
        "--precision",
        choices=PRECISIONS,
        default="exact",
        help="exact: fp32, UpscalerJS's pixels (default); fast: bf16 where this CPU has bf16 units (AMX or "
        "AVX512-BF16) and bf16 was measured at least 50 dB and at most 2 levels from exact and faster for this "
        "model (measured once per model and CPU, then kept); else exact, and the output line says why",
    )
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
    up.add_argument(
        "--refresh",
        action="store_true",
        help="for a model given by URL: download it again before running (it is otherwise fetched once and kept)",
    )
    up.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_source_options(up)
    add_engine_options(up, "images run")
    up.set_defaults(handler=run)


def _patch_size(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of pixels or 'auto', got {text!r}") from None


def _check_settings(args: argparse.Namespace) -> LoadedImage | None:
    """Everything that can be checked without the model, so a mistake costs no model load (MAXIM: a minute).

    With one input file, the image is decoded too (once: the run uses it, so
    its notes show once); with several, each input is checked as its turn
    comes, so one bad file does not stop the others.

    Returns
    -------
    LoadedImage or None
        The one input, decoded; None for several.
    """
    from explorer.engine.custom import check_overrides
    from explorer.engine.images import load_image
    from explorer.engine.tiling import validate_patch_settings

    _check_output_settings(args)
    if args.patch_size != "auto":
        validate_patch_settings(args.patch_size, args.padding)
    check_overrides(**custom_model_settings(args))
    check_output(args.inputs, args.output, args.format)
    found = expand_inputs(args.inputs)
    if len(found) != 1:
        return None
    source, reason = found[0]
    if reason:
        raise ExplorerError(f"{source}: {reason}.")
    return load_image(source)


def _check_output_settings(args: argparse.Namespace) -> None:
    budgets = args.budget_seconds is not None or args.budget_memory is not None
    if args.patch_size != "auto" and budgets:
        raise ExplorerError(
            "--budget-seconds and --budget-memory go with --patch-size auto: add it, or drop the budget."
        )
    if args.patch_size == "auto" and args.padding is not None:
        raise ExplorerError("--patch-size auto chooses the padding too: drop --padding.")
    if args.quality is not None and output_format(args.output, args.format) == "png":
        raise ExplorerError("--quality applies to JPEG and WebP (PNG is lossless): add --format jpeg or webp.")
    if args.quality is not None and not 1 <= args.quality <= 100:
        raise ExplorerError(f"--quality must be 1 to 100, got {args.quality}.")
    for option, value in (("--budget-seconds", args.budget_seconds), ("--budget-memory", args.budget_memory)):
        if value is not None and not value > 0:
            raise ExplorerError(f"{option} must be above 0, got {value:g}.")


def _advise(upscaler, image: LoadedImage, args: argparse.Namespace) -> tuple[int | None, int | None]:
    from explorer.engine.advice import advise

    status("Measuring patch sizes for this model and image (--patch-size auto) ...")
    advice = advise(
        upscaler,
        image,
        budget_seconds=args.budget_seconds,
        budget_memory_mib=args.budget_memory,
        status=None if args.quiet else status,
    )
    status(f"Advice: {advice.line}")
    return advice.patch_size, advice.padding


def run(args: argparse.Namespace) -> int:
    """Upscale every INPUT not done before; report each bad one and go on; status 2 at the end if any failed."""
    from explorer.engine.resolve import is_model_file, resolve

    check_engine_options(args)
    if args.engine == "ray":  # its inputs may be URIs: the Ray engine checks the rest itself, before Ray starts
        _check_output_settings(args)
        return upscale_on_ray(args)
    decoded = _check_settings(args)
    if args.refresh:
        _refresh(args)
    upscaler = None
    if is_model_file(args.model):  # its scale comes from the file: load it to plan
        upscaler = _load(args)
        spec = upscaler.spec
    else:  # a registry model's card says all the plan needs: load it only if something is left to do
        spec = resolve(args.model, fetch=False).spec
    record = DoneRecord(_run_settings(spec, args))
    plan = plan_jobs(args.inputs, args.output, record, overwrite=args.overwrite)
    sweep_and_say(plan, status)
    if len(plan.jobs) == 1 and plan.refused:
        raise ExplorerError(f"{plan.jobs[0].source}: {plan.jobs[0].reason}.")
    if plan.todo and upscaler is None:
        upscaler = _load(args)
    failed = []
    for job in plan.jobs:
        if job.done:
            continue
        try:
            if job.reason:
                raise ExplorerError(f"{job.source}: {job.reason}.")
            result = _upscale_one(upscaler, decoded if len(plan.jobs) == 1 and decoded else str(job.source), args)
            record.save(job, result.image)
        except ExplorerError as error:
            if len(plan.jobs) == 1:
                raise
            print(f"error: {error}", file=sys.stderr, flush=True)
            failed.append(str(job.source))
            continue
        _report(job.target, result.report)
    if failed:
        print(f"error: {len(failed)} of {len(plan.jobs)} images failed ({', '.join(failed)}); the others were written.",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0


def _refresh(args: argparse.Namespace) -> None:
    from explorer.engine import store

    if not store.is_url(args.model):
        raise ExplorerError("--refresh downloads a model given by URL again; registry models are pinned: drop it.")
    store.fetch_url_model(args.model, offline=args.offline or None, progress=status, refresh=True)


def _load(args: argparse.Namespace):
    from explorer.engine.upscaler import Upscaler

    status(f"Loading {args.model} ...")
    upscaler = Upscaler(args.model, source=args.source, offline=args.offline or None, status=status,
                        precision=args.precision, **custom_model_settings(args))  # fmt: skip
    spec = upscaler.spec
    status(f"Loaded {spec.id} ({spec.scale}x) in {upscaler.load_seconds:.2f} s.")
    if upscaler.model_file.format == "tfjs-graph":
        status("The first run on a new input size traces the graph (about 20 s for MAXIM); later runs are fast.")
    return upscaler


def _run_settings(spec: ModelSpec, args: argparse.Namespace) -> RunSettings:
    """What makes this run's pixels: an output made with other settings is redone."""
    from explorer.batch import model_identity

    return RunSettings(
        model=spec.id,
        model_identity=model_identity(spec),
        scale=spec.scale,
        format=output_format(args.output, args.format),
        quality=args.quality,
        patch_size=args.patch_size,
        padding=args.padding,
        budget_seconds=args.budget_seconds,
        budget_memory_mib=args.budget_memory,
        precision=None if args.precision == "exact" else args.precision,
    )


def _upscale_one(upscaler, image: str | LoadedImage, args: argparse.Namespace):
    """Prepare the image's request (decoded once, settings settled and planned), say its notes, run it."""
    from tqdm import tqdm

    from explorer.engine.images import load_image

    patch_size, padding = args.patch_size, args.padding
    if patch_size == "auto":
        image = load_image(image)  # decoded once: measured, then upscaled
        patch_size, padding = _advise(upscaler, image, args)
    request = upscaler.prepare(image, patch_size=patch_size, padding=padding)
    for note in request.notes:
        status(note.text("--patch-size", "--padding", model=upscaler.spec.id, because="UpscalerJS warns"))
    with tqdm(total=request.run.patches, unit="patch", desc="Upscaling", file=sys.stderr, disable=args.quiet) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return upscaler.run_request(request, progress=progress)


def _report(target, report) -> None:
    print(f"Wrote {target} {report.summary()}", flush=True)
