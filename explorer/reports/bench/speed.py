"""``bench speed``: load time, first call, steady speed, FLOP rate and memory of each model.

Per model, on the central 256×256 crop of ``astronaut`` (input size; the
output is ``scale`` times larger):

* ``load_s``: building the model from its (cached, verified) files;
* ``first_s``: the first whole-image call, which traces the model for the shape;
* ``whole_ms``: the median of ``repeats`` later whole-image calls (wall time of
  :meth:`Upscaler.run`: pre/post-processing included);
* ``whole_mpx_s``: input megapixels per second at that speed;
* ``whole_gflop`` and ``whole_gflop_s``: the convolution work of one call,
  counted from the model's real ``Conv2D`` layers (:mod:`.flops`), and the rate;
* the same for a tiled run (``tiled_*``) with patch size 64 and padding 4
  (UpscalerJS's patching: every patch is 64×64 and carries context, so tiling
  does more work than the whole image; ``tiled_gflop_s`` counts the work done);
* ``runtime``: what ran the model (TensorFlow, or OpenVINO where it is
  installed, exact and faster; decided before the timed calls), and
  ``tiled_batch``: patches per model call in the tiled runs;
* ``conv_peak_gflop_s``: a 3×3 64→64 convolution on 256² timed in the same
  process just before the model (:mod:`.peak`), and ``whole_peak_pct``: the
  whole-image rate as a percentage of it (the CPU may be shared, so the ratio
  is steadier than either rate);
* ``base_rss_mib``: resident memory after importing TensorFlow, before the
  model; ``peak_rss_mib``: the process's peak resident memory after all runs
  (``VmHWM``, which a large parent cannot inflate).

* ``start_worst_x``: the slowest of whole-image calls 2–10 of the fresh
  process over their median (runtime decisions are made before the first
  call, so nothing competes with these calls);
* runtimes side by side (:mod:`.runtimes`): the same model's raw call on the
  whole image in TensorFlow (``tf_ms``), OpenVINO f32 (``openvino_ms``) and
  bf16 (``openvino_bf16_ms``) and TensorFlow with bf16 convolutions
  (``tf_bf16_ms``), timed interleaved in this process; each one's largest
  level difference from TensorFlow fp32 (``*_max_levels``) and the bf16 ones'
  PSNR (``*_psnr_db``); ``exact_vs_best_x``: the fastest OpenVINO f32 time over
  the exact runtime's (1 or more: exact is at least as fast);
* the fast precision (:mod:`explorer.engine.precision`): ``fast_ms``, the
  median whole-image call of ``Upscaler(model, precision="fast")``,
  ``fast_speedup`` (``whole_ms / fast_ms``), ``fast_runtime`` (what ran:
  a bf16 runtime, or ``exact``), its verdict's measured ``fast_psnr_db`` and
  ``fast_max_levels``, and ``fast_reason``; ``conv_peak_bf16_gflop_s``: the
  convolution timed in bf16, and ``fast_peak_pct`` the fast rate against it;
* ``cpu`` and ``bf16_units``: the machine the row was measured on.

By default every model runs in a fresh process (``spawn``), so load times are
cold, traces are new, and peak memory is that model's alone.
"""

from __future__ import annotations

import math
import multiprocessing
import platform
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from explorer.engine.cpu import bf16_units, cores, cpu_name
from explorer.engine.registry import ModelSpec, get_spec
from explorer.errors import ExplorerError
from explorer.reports.bench.dataset import DEFAULT_SIZE, load_eval_image
from explorer.reports.bench.peak import conv_peak_bf16_gflop_s, conv_peak_gflop_s, paper_gflop_s, peak_memory_mib
from explorer.reports.bench.tables import markdown_table, merge_results, write_text
from explorer.reports.results import results_dir

__all__ = ["SPEED_COLUMNS", "SpeedSettings", "machine_description", "measure_speed", "run_speed", "speed_markdown", "write_speed"]

SPEED_COLUMNS = (
    "model", "scale", "parameters", "size", "patch", "padding", "runtime",
    "load_s", "first_s", "whole_ms", "whole_mpx_s", "whole_gflop", "whole_gflop_s",
    "tiled_patches", "tiled_batch", "tiled_first_s", "tiled_ms", "tiled_mpx_s", "tiled_gflop", "tiled_gflop_s",
    "conv_peak_gflop_s", "whole_peak_pct", "base_rss_mib", "peak_rss_mib",
    "start_worst_x", "tf_ms", "openvino_ms", "openvino_max_levels", "openvino_bf16_ms", "openvino_bf16_psnr_db",
    "openvino_bf16_max_levels", "tf_bf16_ms", "tf_bf16_psnr_db", "tf_bf16_max_levels", "exact_vs_best_x",
    "fast_ms", "fast_speedup", "fast_runtime", "fast_psnr_db", "fast_max_levels", "fast_gflop_s",
    "conv_peak_bf16_gflop_s", "fast_peak_pct", "fast_reason", "cpu", "bf16_units",
)  # fmt: skip
"""Columns of ``speed.csv``, one row per model."""

_IMAGE = "astronaut"
_DECIMALS = {"load_s": 3, "first_s": 3, "whole_ms": 1, "whole_mpx_s": 4, "whole_gflop": 3, "whole_gflop_s": 2,
             "tiled_first_s": 3, "tiled_ms": 1, "tiled_mpx_s": 4, "tiled_gflop": 3, "tiled_gflop_s": 2,
             "conv_peak_gflop_s": 1, "whole_peak_pct": 1, "base_rss_mib": 0, "peak_rss_mib": 0, "start_worst_x": 2,
             "tf_ms": 1, "openvino_ms": 1, "openvino_bf16_ms": 1, "openvino_bf16_psnr_db": 1, "tf_bf16_ms": 1,
             "tf_bf16_psnr_db": 1, "exact_vs_best_x": 2, "fast_ms": 1, "fast_speedup": 2, "fast_psnr_db": 1,
             "fast_gflop_s": 2, "conv_peak_bf16_gflop_s": 1, "fast_peak_pct": 1}  # fmt: skip

_START_CALLS = 10
"""Whole-image calls made first in each fresh process: calls 2 to this one must be steady."""


@dataclass(frozen=True)
class SpeedSettings:
    """What ``bench speed`` measures with.

    Attributes
    ----------
    size : int
        Side of the square input (a central crop of ``astronaut``, at most 512).
    patch_size, padding : int
        Settings of the tiled runs.
    repeats : int
        Timed calls after each first call; their median is reported.
    """

    size: int = DEFAULT_SIZE
    patch_size: int = 64
    padding: int = 4
    repeats: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.size <= 512:
            raise ExplorerError(f"The speed image side must be 1 to 512 (a crop of astronaut), got {self.size}.")
        if self.repeats < 1:
            raise ExplorerError(f"repeats must be at least 1, got {self.repeats}.")


@dataclass(frozen=True)
class _Runs:
    first: float
    steady: float
    patches: int
    patch_shape: tuple[int, int]
    batch: int
    runtime: str


def measure_speed(model: str, settings: SpeedSettings = SpeedSettings()) -> dict:
    """Measure one model in this process (see the module's description of the columns).

    Parameters
    ----------
    model : str
        Registry id or alias.
    settings : SpeedSettings
        Image size, tiling and repeats.

    Returns
    -------
    dict
        One row with the keys :data:`SPEED_COLUMNS`.
    """
    from explorer.engine._tf import import_tensorflow
    from explorer.engine.loaded_models import load_model
    from explorer.engine.runner import ModelRunner
    from explorer.engine.upscaler import Upscaler
    from explorer.reports.bench.flops import conv_flops
    from explorer.reports.bench.runtimes import RUNTIME_COLUMNS, side_by_side

    import_tensorflow()
    base_rss = peak_memory_mib("VmRSS")
    conv_peak, conv_peak_bf16 = conv_peak_gflop_s(), conv_peak_bf16_gflop_s()
    spec = get_spec(model)
    upscaler = Upscaler(spec)  # runtime decisions are made here, before the first call
    image = load_eval_image(_IMAGE, settings.size)
    start = [upscaler.run(image).report.total_seconds for _ in range(_START_CALLS)]
    whole = _runs(upscaler, image, None, None, settings.repeats)
    tiled = _runs(upscaler, image, settings.patch_size, settings.padding, settings.repeats)
    fast_upscaler = Upscaler(spec, precision="fast")
    fast = _runs(fast_upscaler, image, None, None, settings.repeats)
    verdict = fast_upscaler.fast
    side = side_by_side(ModelRunner(spec, load_model(upscaler.model_file.path)[0]), image, settings.repeats)
    peak_rss = peak_memory_mib()
    keras_model = upscaler.model_file.keras_model  # the model that ran; None for graph models
    count = (lambda shape: conv_flops(keras_model, *shape) / 1e9) if keras_model is not None else (lambda shape: float("nan"))
    whole_gflop = count(whole.patch_shape)
    tiled_gflop = count(tiled.patch_shape) * tiled.patches
    megapixels = image.shape[0] * image.shape[1] / 1e6
    exact_ms = side.get("openvino_ms" if whole.runtime == "openvino" else "tf_ms", math.nan)
    return {
        "model": spec.id, "scale": spec.scale, "parameters": spec.parameters,
        "size": settings.size, "patch": settings.patch_size, "padding": settings.padding, "runtime": tiled.runtime,
        "load_s": upscaler.load_seconds, "first_s": start[0], "whole_ms": whole.steady * 1e3,
        "whole_mpx_s": megapixels / whole.steady, "whole_gflop": whole_gflop, "whole_gflop_s": whole_gflop / whole.steady,
        "tiled_patches": tiled.patches, "tiled_batch": tiled.batch, "tiled_first_s": tiled.first, "tiled_ms": tiled.steady * 1e3,
        "tiled_mpx_s": megapixels / tiled.steady, "tiled_gflop": tiled_gflop, "tiled_gflop_s": tiled_gflop / tiled.steady,
        "conv_peak_gflop_s": conv_peak, "whole_peak_pct": 100 * whole_gflop / whole.steady / conv_peak,
        "base_rss_mib": base_rss, "peak_rss_mib": peak_rss,
        "start_worst_x": max(start[1:]) / statistics.median(start[1:]),
        **{column: side.get(column, math.nan) for column in RUNTIME_COLUMNS},
        "exact_vs_best_x": side.get("openvino_ms", math.nan) / exact_ms,
        "fast_ms": fast.steady * 1e3, "fast_speedup": whole.steady / fast.steady,
        "fast_runtime": fast.runtime if verdict.used else "exact",
        "fast_psnr_db": _or_nan(verdict.psnr_db), "fast_max_levels": _or_nan(verdict.max_levels),
        "fast_gflop_s": whole_gflop / fast.steady, "conv_peak_bf16_gflop_s": conv_peak_bf16,
        "fast_peak_pct": 100 * whole_gflop / fast.steady / conv_peak_bf16, "fast_reason": verdict.reason,
        "cpu": cpu_name(), "bf16_units": bf16_units() or "none",
    }  # fmt: skip


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _runs(upscaler, image, patch_size: int | None, padding: int | None, repeats: int) -> _Runs:
    first = upscaler.run(image, patch_size=patch_size, padding=padding).report
    reports = [upscaler.run(image, patch_size=patch_size, padding=padding).report for _ in range(repeats)]
    shape = first.plan.patch_shape if first.plan is not None else image.shape[:2]
    steady = statistics.median(report.total_seconds for report in reports)
    return _Runs(first.total_seconds, steady, first.patches, tuple(shape), reports[-1].batch, reports[-1].runtime)


def run_speed(
    models: Sequence[ModelSpec],
    settings: SpeedSettings = SpeedSettings(),
    *,
    isolate: bool = True,
    progress: bool = True,
    status: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Measure every model (one fresh process each unless ``isolate`` is False).

    A model whose process dies (out of memory, say) is reported through
    ``status`` and left out of the table.

    Returns
    -------
    pandas.DataFrame
        One row per model, columns :data:`SPEED_COLUMNS`.
    """
    from tqdm import tqdm

    rows = []
    for spec in tqdm(models, desc="Speed", unit="model", file=sys.stderr, disable=not progress):
        try:
            rows.append(_measure_isolated(spec.id, settings) if isolate else measure_speed(spec.id, settings))
        except BrokenProcessPool:
            if status:
                status(f"{spec.id}: the measuring process died (out of memory?); left out.")
    return pd.DataFrame(rows, columns=list(SPEED_COLUMNS)).round(_DECIMALS)


def _measure_isolated(model: str, settings: SpeedSettings) -> dict:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure_speed, model, settings).result()


def machine_description() -> str:
    """One line naming the CPU, the cores this process may use, its paper fp32 peak, and TensorFlow's version."""
    from explorer.engine._tf import import_tensorflow

    cpu, available = cpu_name(), cores()
    bf16 = bf16_units()
    return (
        f"{cpu}, {available} cores available ({paper_gflop_s(cores=available):.0f} GFLOP/s fp32 on paper: cores × reported "
        f"clock × FLOPs per cycle of its widest FMA), bf16 units: {bf16 or 'none'}, TensorFlow {import_tensorflow().__version__} on CPU, "
        f"Python {platform.python_version()}"
    )


_SPEED_FORMATS = {"load_s": ".2f", "first_s": ".2f", "whole_ms": ".0f", "whole_mpx_s": ".3f", "whole_gflop": ".1f",
                  "whole_gflop_s": ".1f", "tiled_first_s": ".2f", "tiled_ms": ".0f", "tiled_mpx_s": ".3f",
                  "tiled_gflop_s": ".1f", "conv_peak_gflop_s": ".0f", "whole_peak_pct": ".0f", "peak_rss_mib": ".0f",
                  "parameters": ","}  # fmt: skip


_RUNTIME_FORMATS = {"start_worst_x": ".2f", "tf_ms": ".1f", "openvino_ms": ".1f", "openvino_max_levels": ".0f",
                    "openvino_bf16_ms": ".1f", "openvino_bf16_psnr_db": ".1f", "openvino_bf16_max_levels": ".0f",
                    "tf_bf16_ms": ".1f", "tf_bf16_psnr_db": ".1f", "tf_bf16_max_levels": ".0f", "exact_vs_best_x": ".2f",
                    "fast_ms": ".1f", "fast_speedup": ".2f", "fast_psnr_db": ".1f", "fast_max_levels": ".0f",
                    "fast_gflop_s": ".1f", "conv_peak_bf16_gflop_s": ".0f", "fast_peak_pct": ".0f"}  # fmt: skip

_PRECISION_COLUMNS = ("fast_runtime", "fast_reason", "cpu", "bf16_units")


def speed_markdown(frame: pd.DataFrame, machine: str) -> str:
    """The ``speed.md`` report: speed per model, then runtimes side by side and the fast precision."""
    sizes = ", ".join(f"{s}×{s}" for s in sorted(frame["size"].unique()))
    tiling = ", ".join(f"{p}/{q}" for p, q in sorted(set(zip(frame["patch"], frame["padding"]))))
    runtime_columns = ["model", *_RUNTIME_FORMATS]
    shown = frame[[c for c in SPEED_COLUMNS if c not in {*_RUNTIME_FORMATS, *_PRECISION_COLUMNS, "size", "patch",
                                                         "padding", "tiled_gflop", "base_rss_mib"}]]  # fmt: skip
    verdicts = frame[["model", *_PRECISION_COLUMNS]]
    return "\n".join(
        [
            "# Speed benchmark",
            "",
            "Generated by `python -m explorer bench speed` (do not edit; rerun it). Input: the central "
            f"{sizes} crop of scikit-image's `astronaut`; tiled runs use patch size/padding {tiling}. Every model in "
            "a fresh process. `first_s`: first call, tracing included; `*_ms`: median of later calls; `mpx_s`: "
            "input megapixels per second; `gflop`: convolution work of one call, counted from the model's Conv2D "
            "layers (2·k·k·C_in·C_out·H·W each); `conv_peak_gflop_s`: a 3×3 64→64 convolution on 256² timed in the "
            "same process (the measured conv peak) and `whole_peak_pct` the whole-image rate against it; `runtime`: "
            "what ran the model (OpenVINO only where installed, exact and faster); `tiled_batch`: patches per call; "
            "`peak_rss_mib`: the process's peak resident memory (VmHWM, TensorFlow included). "
            "Raw rows: [speed.csv](speed.csv).",
            "",
            f"Machine: {machine}.",
            "",
            markdown_table(shown, _SPEED_FORMATS),
            "",
            "## Runtimes side by side, and the fast precision",
            "",
            "Same process, same whole image. `start_worst_x`: the slowest of calls 2–10 of the fresh process over "
            "their median. `tf_ms`, `openvino_ms`, `openvino_bf16_ms`, `tf_bf16_ms`: the model's raw call in "
            "TensorFlow fp32, OpenVINO f32 and bf16, and TensorFlow with bf16 convolutions, interleaved; "
            "`*_max_levels` and `*_psnr_db`: each output against TensorFlow fp32's, after rounding; "
            "`exact_vs_best_x`: OpenVINO f32's time over the exact runtime's (≥ 1: exact is at least as fast). "
            "ONNX Runtime is not measured (no TensorFlow-to-ONNX converter among the dependencies). `fast_*`: "
            "`Upscaler(model, precision=\"fast\")`, whole image: its median time, speed-up over exact, what ran, "
            "its measured fidelity against exact, its GFLOP/s and their share of the same convolution timed in "
            "bf16 (`conv_peak_bf16_gflop_s`). Without bf16 units, bf16 is emulated (TensorFlow) or run in f32 "
            "(OpenVINO), so it is not faster, and exact runs.",
            "",
            markdown_table(frame[runtime_columns], _RUNTIME_FORMATS),
            "",
            markdown_table(verdicts),
            "",
        ]
    )


def write_speed(frame: pd.DataFrame, directory: Path | None = None, machine: str | None = None) -> pd.DataFrame:
    """Merge new rows into ``speed.csv`` (by model, same settings only) and rewrite ``speed.md``."""
    directory = directory or results_dir()
    csv_path = directory / "speed.csv"
    merged = merge_results(frame, csv_path, ("model",), same=("size", "patch", "padding"))
    merged = merged.sort_values("model", ignore_index=True)
    write_text(csv_path, merged.to_csv(index=False, lineterminator="\n"))
    write_text(directory / "speed.md", speed_markdown(merged, machine or machine_description()))
    return merged
