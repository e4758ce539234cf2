"""This project's own code for a model: the Python API and the command line."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence

from explorer.codegen.common import (
    INPUT_FILE,
    SETUP_NOTE,
    WIDTH,
    Settings,
    comment,
    output_file,
    setting_notes,
    sizes_list,
    upscale_options,
    wrapped,
)
from explorer.engine.registry import ModelSpec

__all__ = ["cli", "python", "ray"]

RAY_INPUT = "photos"
"""The folder the ``ray`` snippet reads (a bucket URI works too)."""

RAY_OUTPUT = "upscaled"
"""The folder the ``ray`` snippet writes."""

RAY_NOTE = (
    "Upscale every image in a folder on Ray Data, or a bucket: \"s3://bucket/photos\". It starts a local Ray, or "
    "joins the cluster $RAY_ADDRESS names; each worker loads the model once. Needs Ray: "
    'pip install "upscaler-explorer[ray]". A rerun skips the images done before (in local folders).'
)


FAST_NOTE = (
    "precision fast: bf16 where this CPU has bf16 units (AMX or AVX512-BF16) and bf16 was measured at least 50 dB "
    "and at most 2 levels from exact, and faster, for this model; else exact (fp32) runs and it says why."
)


def python(spec: ModelSpec, s: Settings) -> list[str]:
    model_args = [json.dumps(spec.id if spec.is_custom else spec.short_id), *_python_custom_args(spec)]
    if s.precision == "fast":
        model_args.append('precision="fast"')
    call_args = [json.dumps(INPUT_FILE), *upscale_options(s, "python")]
    lines = [*comment(SETUP_NOTE, "#"), "from explorer import Upscaler", ""]
    if s.precision == "fast":
        lines += [*comment(FAST_NOTE + " upscaler.fast holds the verdict.", "#")]
    lines += wrapped("upscaler = Upscaler(", model_args, ")", "", step="    ")
    if s.warmup_sizes:
        lines.append(f"upscaler.warmup({sizes_list(s.warmup_sizes)})")
    lines += [line for note in setting_notes(spec, s, "python") for line in comment(note, "#")]
    lines += wrapped("image = upscaler.upscale(", call_args, ")", "", step="    ")
    return [*lines, f"image.save({json.dumps(output_file(spec))})"]


def ray(spec: ModelSpec, s: Settings) -> list[str]:
    model = json.dumps(spec.id if spec.is_custom else spec.short_id)
    args = [json.dumps([RAY_INPUT]), json.dumps(RAY_OUTPUT), f"model={model}"]
    custom = _python_custom_args(spec)
    if custom:
        args.append("model_options=dict(" + ", ".join(custom) + ")")
    args += [option for option in upscale_options(s, "python") if not option.startswith("progress=")]
    if s.precision == "fast":
        args.append('precision="fast"')
    lines = [*comment(SETUP_NOTE, "#"), *comment(RAY_NOTE, "#"), "from explorer.batch import run_on_ray", ""]
    lines += [line for note in setting_notes(spec, s, "python") for line in comment(note, "#")]
    if s.precision == "fast":
        lines += comment("precision fast: bf16 where a worker's CPU has bf16 units (AMX or AVX512-BF16) and bf16 was "
                         "measured faithful and faster for this model; else exact (fp32). Each worker decides for its "
                         "own CPU.", "#")  # fmt: skip
    lines += wrapped("summary = run_on_ray(", args, ")", "", step="    ")
    return [*lines, 'print("\\n".join(summary.lines()))']


def _python_custom_args(spec: ModelSpec) -> list[str]:
    if not spec.is_custom:
        return []
    args = [f"scale={spec.scale}"]
    if spec.input_range != (0.0, 255.0):
        args.append(f'input_range="{spec.input_range[0]:g},{spec.input_range[1]:g}"')
    if spec.divisibility_factor:
        args.append(f"divisibility_factor={spec.divisibility_factor}")
    return args


def cli(spec: ModelSpec, s: Settings) -> list[str]:
    groups = [
        ["python", "-m", "explorer", "upscale", INPUT_FILE],
        ["-o", output_file(spec)],
        ["--model", spec.id if spec.is_custom else spec.short_id],
    ]
    if spec.is_custom:
        groups.append(["--scale", str(spec.scale)])
        if spec.input_range != (0.0, 255.0):
            groups.append(["--input-range", f"{spec.input_range[0]:g},{spec.input_range[1]:g}"])
        if spec.divisibility_factor:
            groups.append(["--divisibility", str(spec.divisibility_factor)])
    if s.patch_size is not None:
        groups.append(["--patch-size", str(s.patch_size)])
    if s.padding is not None:
        groups.append(["--padding", str(s.padding)])
    if s.precision == "fast":
        groups.append(["--precision", "fast"])
    notes = [line for note in setting_notes(spec, s, "bash") for line in comment(note, "#")]
    if s.precision == "fast":
        notes += comment(FAST_NOTE, "#")
    return [*comment(SETUP_NOTE, "#"), *notes, *_shell_command(groups)]


def _shell_command(groups: Sequence[Sequence[str]]) -> list[str]:
    """Quoted words on one line if they fit; else the options after the first two groups on
    continuation lines, packed per group."""
    quoted = [" ".join(shlex.quote(word) for word in group) for group in groups]
    if len(" ".join(quoted)) <= WIDTH:
        return [" ".join(quoted)]
    lines = [" ".join(quoted[:2]), ""]
    for words in quoted[2:]:
        if lines[-1] and len(lines[-1]) + len(words) + 5 > WIDTH:
            lines.append("")
        lines[-1] = f"{lines[-1]} {words}".strip()
    return [lines[0] + " \\", *(f"  {line} \\" for line in lines[1:-1]), f"  {lines[-1]}"]
