"""``bench restoration``: the restoration models (MAXIM) and the classical filters on synthetic degradations.

Every image of the sets (by default Set5's central 128×128 crops: MAXIM costs
about 0.35 s per 64×64 block on two cores, and 15–25 s to load) is degraded by each degradation of a
model's task (:mod:`explorer.quality.degrade`), restored by the model, by
nothing and by the task's classical filters, and scored against the clean crop
(:mod:`explorer.quality.restoration`). Retouching has no synthetic
degradation and is not measured.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from explorer.engine.registry import ModelSpec, list_models
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError
from explorer.quality.degrade import DEGRADATIONS, degrade
from explorer.quality.evaluate import score_row
from explorer.quality.restoration import baseline_restorations, degradations_for
from explorer.reports.bench.dataset import EvalSet, set_order
from explorer.reports.bench.quality import SCORE_DECIMALS, set_protocol, set_title
from explorer.reports.bench.tables import markdown_table, merge_results, write_text
from explorer.reports.results import results_dir

__all__ = [
    "RESTORATION_COLUMNS",
    "restoration_markdown",
    "restoration_summary",
    "run_restoration",
    "select_restoration_models",
    "write_restoration",
]

RESTORATION_COLUMNS = ("set", "image", "crop", "task", "degradation", "method", "kind", "psnr_y", "ssim_y", "psnr_rgb",
                       "ssim_rgb", "gmsd", "hf_ratio", "seconds")  # fmt: skip
"""Columns of ``restoration.csv``: one row per (set, image, degradation, method)."""

_KEYS = ("set", "image", "degradation", "method")


def select_restoration_models(pattern: str | None = None) -> list[ModelSpec]:
    """Registry models at scale 1 whose task has a synthetic degradation (optionally filtered by id pattern)."""
    specs = [s for s in list_models(pattern) if s.scale == 1 and degradations_for(s.task)]
    if not specs:
        raise ExplorerError(
            f"No restoration model with a synthetic degradation matches {pattern or '*'!r}; tasks measured: "
            f"{', '.join(dict.fromkeys(d.task for d in DEGRADATIONS.values()))}."
        )
    return specs


def run_restoration(models: Sequence[ModelSpec], *, sets: Sequence[EvalSet], progress: bool = True, status=None) -> pd.DataFrame:
    """Score restoration models, doing nothing and the classical filters on degraded crops.

    Parameters
    ----------
    models : sequence of ModelSpec
        Restoration models (:func:`select_restoration_models`).
    sets : sequence of EvalSet
        The clean images.
    progress : bool, default True
        Show a progress bar on stderr.
    status : callable, optional
        Told what is happening while a model loads (loading MAXIM takes a while).

    Returns
    -------
    pandas.DataFrame
        One row per (set, image, degradation, method), columns :data:`RESTORATION_COLUMNS`.
    """
    from tqdm import tqdm

    images = [(s, name, clean) for s in sets for name, clean in s.images.items()]
    steps = sum(len(degradations_for(m.task)) for m in models) * len(images)
    rows: list[dict] = []
    baselines_done: set[str] = set()
    with tqdm(total=steps, desc="Restoration", unit="image", file=sys.stderr, disable=not progress) as bar:
        for spec in models:
            bar.set_postfix_str(f"loading {spec.short_id}")
            upscaler = Upscaler(spec, status=status)
            upscaler.warmup(sorted({clean.shape[:2] for _, _, clean in images}))
            for name in degradations_for(spec.task):
                bar.set_postfix_str(f"{spec.short_id} {name}")
                for eval_set, image, clean in images:
                    degraded = degrade(clean, name, key=image)
                    tag = {"set": eval_set.name, "image": image, "crop": eval_set.crop, "task": spec.task, "degradation": name}
                    result = upscaler.run(degraded)
                    row = score_row(spec.id, "model", result.image, clean, 1, result.report.total_seconds, crop_border=0)
                    rows.append({**tag, **row})
                    if name not in baselines_done:
                        rows += [{**tag, **other} for other in baseline_restorations(clean, degraded, spec.task)[0]]
                    bar.update()
                baselines_done.add(name)
            del upscaler
    return pd.DataFrame(rows, columns=list(RESTORATION_COLUMNS)).round(SCORE_DECIMALS)


def restoration_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per (degradation, method) over every image, and each method against the best non-model.

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``degradation``, ``method``, ``kind``, ``images``,
        the mean of each measure, ``best_baseline`` (the best of doing nothing
        and the classical filters on mean PSNR-RGB) and ``delta_best_psnr_rgb``;
        in :data:`DEGRADATIONS` order, best PSNR-RGB first.
    """
    measures = ["psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio"]
    grouped = frame.groupby(["task", "degradation", "method", "kind"], sort=False)
    summary = grouped.agg(images=("image", "count"), **{m: (m, "mean") for m in measures}).reset_index()
    others = summary[summary["kind"] != "model"].sort_values("psnr_rgb", ascending=False).drop_duplicates("degradation")
    best = others.set_index("degradation")[["method", "psnr_rgb"]].rename(columns={"method": "best_baseline", "psnr_rgb": "best"})
    summary = summary.join(best, on="degradation")
    summary["delta_best_psnr_rgb"] = summary["psnr_rgb"] - summary.pop("best")
    order = {name: i for i, name in enumerate(DEGRADATIONS)}
    summary["_order"] = summary["degradation"].map(order).fillna(len(order))
    summary = summary.sort_values(["_order", "psnr_rgb"], ascending=[True, False], ignore_index=True)
    return summary.drop(columns="_order")


_FORMATS = {"psnr_y": ".2f", "ssim_y": ".4f", "psnr_rgb": ".2f", "ssim_rgb": ".4f", "gmsd": ".4f", "hf_ratio": ".3f",
            "delta_best_psnr_rgb": "+.2f"}  # fmt: skip


def restoration_markdown(frame: pd.DataFrame) -> str:
    """The ``restoration.md`` report: one table per degradation, best PSNR-RGB first."""
    sets = "; ".join(f"{set_title(n)} ({set_protocol(frame, n)})" for n in set_order(frame["set"]))
    parts = [
        "# Restoration benchmark",
        "",
        "Generated by `python -m explorer bench restoration` (do not edit; rerun it). Each clean image is degraded "
        "synthetically (see `explorer/quality/degrade.py` for each degradation and why it stands for the task), then "
        "restored by the model, by nothing (`none`, kind `input`: the degraded image itself) and by classical filters "
        "from scikit-image/SciPy with fixed, blind settings (kind `baseline`), and scored against the clean image: "
        "PSNR (dB) and SSIM on the BT.601 luma (Y) and on RGB, GMSD (lower is better) and `hf_ratio` (energy above "
        "0.25 cycles/pixel relative to the clean image: below 1 is smoother than the original, above 1 noisier or "
        "over-sharpened). `delta_best_psnr_rgb`: against the best of doing nothing and the classical filters. "
        "Retouching is not measured: its target is an expert's taste, which no synthetic degradation inverts. "
        "Raw rows: [restoration.csv](restoration.csv).",
        "",
        f"Clean images: {sets}.",
    ]
    for degradation, block in restoration_summary(frame).groupby("degradation", sort=False):
        table = block.drop(columns=["task", "degradation"])
        about = DEGRADATIONS[degradation].description if degradation in DEGRADATIONS else degradation
        parts += ["", f"## {block['task'].iloc[0]}: {degradation} ({about})", "", markdown_table(table, _FORMATS)]
    return "\n".join(parts) + "\n"


def write_restoration(frame: pd.DataFrame, directory: Path | None = None) -> pd.DataFrame:
    """Merge new rows into ``restoration.csv`` (same keys replaced) and rewrite ``restoration.md``.

    Returns
    -------
    pandas.DataFrame
        Everything now in ``restoration.csv``.
    """
    directory = directory or results_dir()
    csv_path = directory / "restoration.csv"
    merged = merge_results(frame, csv_path, _KEYS, same=("crop",))
    order = {name: i for i, name in enumerate(DEGRADATIONS)}
    merged = merged.sort_values(["degradation", "kind", "method", "set", "image"], kind="stable", ignore_index=True,
                                key=lambda c: c.map(order) if c.name == "degradation" else c)  # fmt: skip
    write_text(csv_path, merged.to_csv(index=False, lineterminator="\n"))
    write_text(directory / "restoration.md", restoration_markdown(merged))
    return merged
