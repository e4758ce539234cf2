"""``bench quality``: every upscaling model and the baselines, scored on evaluation sets.

For each scale, each image of each set (:mod:`explorer.reports.bench.dataset`:
Set5, Set14, scikit-image's photographs, a folder) goes through
:mod:`explorer.quality.evaluate`'s reference mode: mod-crop, antialiased bicubic
downscale, upscale by every model of that scale and every baseline, score
against the mod-cropped original (PSNR/SSIM on Y and RGB, GMSD, high-frequency
energy ratio; ``scale`` pixels cropped from each side). Models run on the whole
low-resolution image (no patches); ``seconds`` is given only for calls on a
size already traced (so it never includes tracing).

``pixel-upsampler`` is kept as a model: it is a registry model for the
upscaling task, and since it repeats pixels its scores must equal the
``nearest`` baseline's, a check on the whole pipeline.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from PIL import Image

from explorer.engine.registry import ModelSpec, list_models
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError
from explorer.quality.evaluate import reference_pair, score
from explorer.reports.bench.dataset import EVAL_IMAGES, SKIMAGE, EvalSet, set_order
from explorer.reports.bench.tables import markdown_table, merge_results, write_text
from explorer.reports.results import SAMPLE, results_dir, sample_name, shared_sample_name

__all__ = [
    "QUALITY_COLUMNS",
    "SET_TITLES",
    "image_order",
    "quality_markdown",
    "run_quality",
    "score_model_output",
    "select_models",
    "set_protocol",
    "set_title",
    "summarise",
    "write_quality",
]

QUALITY_COLUMNS = ("set", "scale", "image", "crop", "method", "kind", "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio", "seconds")
"""Columns of ``quality.csv``: one row per (set, scale, image, method); ``crop`` is the central crop side (0: whole image)."""

_KEYS = ("set", "scale", "image", "method")
SCORE_DECIMALS = {"psnr_y": 4, "psnr_rgb": 4, "ssim_y": 6, "ssim_rgb": 6, "gmsd": 6, "hf_ratio": 4, "seconds": 4}


def select_models(pattern: str | None = None, scales: Iterable[int] | None = None) -> list[ModelSpec]:
    """Registry models of the upscaling task, optionally filtered by id pattern and scale.

    Raises
    ------
    ExplorerError
        If nothing matches.
    """
    wanted = set(scales) if scales else None
    specs = [s for s in list_models(pattern, task="upscaling") if wanted is None or s.scale in wanted]
    if not specs:
        raise ExplorerError(
            f"No upscaling model matches {pattern or '*'!r} at scales {sorted(wanted) if wanted else 'any'}; "
            "see `python -m explorer models --task upscaling`."
        )
    return specs


def run_quality(
    models: Sequence[ModelSpec],
    scales: Sequence[int],
    *,
    sets: Sequence[EvalSet],
    samples: Path | None = None,
    progress: bool = True,
    run_models: ModelRunner | None = None,
) -> pd.DataFrame:
    """Score models and baselines on evaluation sets.

    Parameters
    ----------
    models : sequence of ModelSpec
        Upscaling models; each is run at its own scale if that scale is in ``scales``.
    scales : sequence of int
        Scales to evaluate; the baselines run at each.
    sets : sequence of EvalSet
        The evaluation sets (:func:`~explorer.reports.bench.dataset.load_set`).
    samples : pathlib.Path, optional
        Folder to save the sample crops in (see :data:`SAMPLE`, from the
        ``skimage`` set); None: none.
    progress : bool, default True
        Show a progress bar on stderr.
    run_models : callable, optional
        How the models are run and scored: ``run_models(specs, pairs, bar)``
        yields ``(spec, (set, image), row, output)`` in spec order, then pair
        order, each row made by :func:`score_model_output` (default: in this
        process, one model after another; :mod:`explorer.batch.ray_bench`
        runs them on Ray).

    Returns
    -------
    pandas.DataFrame
        One row per (set, scale, image, method), columns :data:`QUALITY_COLUMNS`.
    """
    from tqdm import tqdm

    steps = sum(len(s.images) * (1 + sum(m.scale == scale for m in models)) for s in sets for scale in scales)
    rows: list[dict] = []
    with tqdm(total=steps, desc="Quality", unit="image", file=sys.stderr, disable=not progress) as bar:
        for scale in scales:
            pairs = {(s.name, name): reference_pair(photo, scale) for s in sets for name, photo in s.images.items()}
            crops = {s.name: s.crop for s in sets}
            for (set_name, name), (reference, low) in pairs.items():
                bar.set_postfix_str(f"x{scale} baselines")
                found, outputs = score(reference, low, scale)
                rows += [_tagged(row, set_name, scale, name, crops[set_name]) for row in found.to_dict("records")]
                if set_name == SKIMAGE:
                    _save_sample_set(samples, name, scale, reference, low, outputs)
                bar.update()
            specs = [m for m in models if m.scale == scale]
            for spec, (set_name, name), row, output in (run_models or _run_in_process)(specs, pairs, bar):
                if samples is not None and set_name == SKIMAGE and name == SAMPLE.image:
                    _save_crop(samples / sample_name(spec), output, 1)
                rows.append(_tagged(row, set_name, scale, name, crops[set_name]))
    return _rounded(pd.DataFrame(rows, columns=list(QUALITY_COLUMNS)))


ModelRunner = Callable[[Sequence[ModelSpec], dict, Any], Iterable[tuple[ModelSpec, tuple[str, str], dict, np.ndarray]]]


def _run_in_process(specs: Sequence[ModelSpec], pairs: dict, bar) -> Iterator[tuple[ModelSpec, tuple[str, str], dict, np.ndarray]]:
    """Run each model on every low-resolution image in this process, one model after another."""
    for spec in specs:
        bar.set_postfix_str(spec.short_id)
        upscaler = Upscaler(spec)
        for key, (reference, low) in pairs.items():
            row, output = score_model_output(upscaler, reference, low)
            bar.update()
            yield spec, key, row, output


def score_model_output(upscaler: Upscaler, reference: np.ndarray, low: np.ndarray) -> tuple[dict, np.ndarray]:
    """Run a model on one low-resolution image and score its output: ``(row, output)``.

    A model is traced once per input size, and Set5/Set14 have a size per
    image: the first call on a size (tracing included) is not timed
    (``seconds`` empty), only the calls on a size already traced are, so no
    image is run twice. ``bench speed`` measures speed properly.
    """
    result = upscaler.run(low)
    seconds = math.nan if result.report.traced else result.report.total_seconds
    table, _ = score(reference, low, upscaler.scale, {upscaler.spec.id: (result.image, seconds)}, baselines=())
    return table.iloc[0].to_dict(), result.image


def _tagged(row: dict, set_name: str, scale: int, image: str, crop: int) -> dict:
    return {"set": set_name, "scale": scale, "image": image, "crop": crop, **row}


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.round(SCORE_DECIMALS)


def _save_sample_set(samples: Path | None, name: str, scale: int, reference, low, outputs: dict) -> None:
    if samples is None or name != SAMPLE.image:
        return
    _save_crop(samples / shared_sample_name("reference", scale), reference, 1)
    _save_crop(samples / shared_sample_name("input", scale), low, scale)
    _save_crop(samples / shared_sample_name("bicubic", scale), outputs["bicubic"], 1)


def _save_crop(path: Path, image: np.ndarray, shrink: int) -> None:
    """Save the sample region of an image (``shrink``: how much smaller than the HR image it is)."""
    top, left, side = (value // shrink for value in (SAMPLE.top, SAMPLE.left, SAMPLE.side))
    if top + side > image.shape[0] or left + side > image.shape[1]:
        return  # the crop size is too small for the sample region: no sample
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image[top : top + side, left : left + side]).save(path, optimize=True)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per (set, scale, method) and how each method fares against bicubic and the best baseline.

    Returns
    -------
    pandas.DataFrame
        Columns ``set``, ``scale``, ``method``, ``kind``, ``images``, the mean
        of each score, ``delta_psnr_y`` (mean PSNR-Y minus bicubic's on the
        same images), ``beats_bicubic`` (images on which its PSNR-Y is higher),
        ``best_baseline`` (the classical filter with the highest mean PSNR-Y in
        that set and scale) and ``delta_best_psnr_y`` (mean PSNR-Y minus it).
        Sorted by set (Set5, Set14 first), scale, then PSNR-Y.
    """
    frame = _with_set(frame)
    keys = ["set", "scale", "image"]
    bicubic = frame[frame["method"] == "bicubic"].set_index(keys)["psnr_y"]
    joined = frame.join(bicubic.rename("bicubic_psnr_y"), on=keys)
    joined["delta"] = joined["psnr_y"] - joined["bicubic_psnr_y"]
    joined["wins"] = joined["delta"] > 0
    grouped = joined.groupby(["set", "scale", "method", "kind"], sort=False)
    measures = [c for c in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio") if c in frame.columns]
    summary = grouped.agg(
        images=("image", "count"),
        **{c: (c, "mean") for c in measures},
        delta_psnr_y=("delta", "mean"),
        beats_bicubic=("wins", "sum"),
    ).reset_index()
    baselines = summary[summary["kind"] == "baseline"].sort_values("psnr_y", ascending=False).drop_duplicates(["set", "scale"])
    best = baselines.set_index(["set", "scale"])[["method", "psnr_y"]].rename(columns={"method": "best_baseline", "psnr_y": "best_psnr_y"})
    summary = summary.join(best, on=["set", "scale"])
    summary["delta_best_psnr_y"] = summary["psnr_y"] - summary.pop("best_psnr_y")
    order = {name: i for i, name in enumerate(set_order(summary["set"]))}
    summary = summary.sort_values(["set", "scale", "psnr_y"], ascending=[True, True, False], key=_set_key(order), ignore_index=True)
    return summary


def _set_key(order: dict[str, int]):
    return lambda column: column.map(order) if column.name == "set" else column


def _with_set(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows from before sets were recorded are on scikit-image's photographs."""
    return frame if "set" in frame.columns else frame.assign(set=SKIMAGE)


_SUMMARY_FORMATS = {"psnr_y": ".2f", "ssim_y": ".4f", "psnr_rgb": ".2f", "ssim_rgb": ".4f", "gmsd": ".4f", "hf_ratio": ".3f",
                    "delta_psnr_y": "+.2f", "delta_best_psnr_y": "+.2f"}  # fmt: skip


def image_order(names: Iterable[str]) -> list[str]:
    """Distinct image names in :data:`EVAL_IMAGES` order (others by name)."""
    known = [image.name for image in EVAL_IMAGES]
    distinct = set(names)
    return [n for n in known if n in distinct] + sorted(distinct - set(known))


SET_TITLES = {"set5": "Set5", "set14": "Set14", SKIMAGE: "scikit-image photographs"}
"""How each named set is called in tables and cards."""


def set_title(name: str) -> str:
    """``Set5``, ``Set14``, ``scikit-image photographs`` or the folder's name."""
    return SET_TITLES.get(name, name)


def set_protocol(frame: pd.DataFrame, name: str) -> str:
    """One phrase saying what a set's images are: ``5 whole images`` or ``7 central 256×256 crops``."""
    rows = frame[frame["set"] == name]
    count, crops = rows["image"].nunique(), sorted(int(c) for c in rows["crop"].unique())
    if crops == [0]:
        return f"{count} whole images"
    return f"{count} images, central {'/'.join(f'{c}×{c}' for c in crops)} crops"


_MEASURES_TEXT = (
    "PSNR (dB) and SSIM on the BT.601 luma (Y) and on RGB, higher is better; GMSD (gradient magnitude similarity "
    "deviation, Xue et al. 2014: do the edges agree with the original's? lower is better); `hf_ratio`: the output's "
    "energy above the low-resolution input's Nyquist frequency, relative to the original's (1 = as much fine detail "
    "as the original; bicubic and Lanczos are far below 1, so they look soft; nearest is high because of its "
    "blocks). `delta_psnr_y`: against bicubic; `delta_best_psnr_y`: against the best classical filter of that set "
    "and scale (`best_baseline`)."
)


def quality_markdown(frame: pd.DataFrame) -> str:
    """The ``quality.md`` report: mean scores per set and scale (Set5 and Set14 first), then PSNR-Y per image."""
    frame = _with_set(frame)
    sets = set_order(frame["set"])
    parts = [
        "# Quality benchmark",
        "",
        "Generated by `python -m explorer bench quality` (do not edit; rerun it). Reference mode: each "
        "high-resolution image is mod-cropped to the scale, downscaled with Pillow's antialiased bicubic, upscaled "
        "again by every method, and scored against the mod-cropped original with `scale` pixels cropped from each "
        "side; SSIM: 11×11 Gaussian window, σ 1.5. Raw rows: [quality.csv](quality.csv).",
        "",
        _MEASURES_TEXT,
        "",
        "Sets: " + "; ".join(f"{set_title(n)} ({set_protocol(frame, n)})" for n in sets) + ". Set5 and Set14 are "
        "the sets the super-resolution literature reports on; this protocol reproduces the bicubic figures it "
        "prints within 0.1 dB. The scikit-image photographs ship with scikit-image (see "
        "`explorer/reports/bench/dataset.py`).",
    ]
    summary = summarise(frame)
    for (set_name, scale), block in summary.groupby(["set", "scale"], sort=False):
        table = block.drop(columns=["set", "scale"]).rename(columns={"beats_bicubic": "beats bicubic (images)"})
        parts += ["", f"## {set_title(set_name)}, scale {scale}", "", "Mean over images, best PSNR-Y first.", ""]
        parts.append(markdown_table(table, _SUMMARY_FORMATS))
        at = frame[(frame["set"] == set_name) & (frame["scale"] == scale)]
        columns = image_order(at["image"])
        per_image = at.pivot(index="method", columns="image", values="psnr_y").loc[block["method"], columns].reset_index()
        parts += ["", f"PSNR-Y (dB) per image, {set_title(set_name)}, scale {scale}:", "",
                  markdown_table(per_image, dict.fromkeys(per_image.columns[1:], ".2f"))]  # fmt: skip
    return "\n".join(parts) + "\n"


def write_quality(frame: pd.DataFrame, directory: Path | None = None) -> pd.DataFrame:
    """Merge new rows into ``quality.csv`` and rewrite ``quality.md`` in ``directory``.

    Rows for the same (set, scale, image, method) are replaced; rows of a set
    this run measured on another crop size are dropped, so a set never mixes
    protocols.

    Returns
    -------
    pandas.DataFrame
        Everything now in ``quality.csv``.
    """
    directory = directory or results_dir()
    csv_path = directory / "quality.csv"
    merged = merge_results(frame, csv_path, _KEYS)
    crops = frame.groupby("set")["crop"].first()
    stale = merged["set"].isin(crops.index) & (merged["crop"] != merged["set"].map(crops))
    merged = merged[~stale]
    order = {name: i for i, name in enumerate(set_order(merged["set"]))}
    merged = merged.sort_values(["set", "scale", "kind", "method", "image"], key=_set_key(order), kind="stable", ignore_index=True)
    write_text(csv_path, merged.to_csv(index=False, lineterminator="\n"))
    write_text(directory / "quality.md", quality_markdown(merged))
    return merged
