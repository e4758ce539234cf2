"""``bench quality``: every upscaling model and the baselines, scored on the evaluation set.

For each scale, each photograph of :data:`~explorer.reports.bench.dataset.EVAL_IMAGES`
(central crop) goes through :mod:`explorer.quality.evaluate`'s reference mode: mod-crop,
antialiased bicubic downscale, upscale by every model of that scale and every
baseline, score against the mod-cropped crop (PSNR/SSIM on Y and RGB, ``scale``
pixels cropped from each side). Models run on the whole low-resolution image
(no patches) after a warm-up, so ``seconds`` excludes tracing.

``pixel-upsampler`` is kept as a model: it is a registry model for the
upscaling task, and since it repeats pixels its scores must equal the
``nearest`` baseline's, a check on the whole pipeline.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from PIL import Image

from explorer.engine.registry import ModelSpec, list_models
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError
from explorer.quality.evaluate import reference_pair, score
from explorer.reports.bench.dataset import DEFAULT_SIZE, EVAL_IMAGES, load_eval_image
from explorer.reports.bench.tables import markdown_table, merge_results, write_text
from explorer.reports.results import SAMPLE, results_dir, sample_name, shared_sample_name

__all__ = [
    "QUALITY_COLUMNS",
    "image_order",
    "quality_markdown",
    "run_quality",
    "select_models",
    "summarise",
    "write_quality",
]

QUALITY_COLUMNS = ("scale", "image", "crop", "method", "kind", "psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "seconds")
"""Columns of ``quality.csv``: one row per (scale, image, method); ``crop`` is the central crop side."""

_KEYS = ("scale", "image", "method")
_DECIMALS = {"psnr_y": 4, "psnr_rgb": 4, "ssim_y": 6, "ssim_rgb": 6, "seconds": 4}


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
    images: Sequence[str] | None = None,
    size: int = DEFAULT_SIZE,
    samples: Path | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Score models and baselines on the evaluation set.

    Parameters
    ----------
    models : sequence of ModelSpec
        Upscaling models; each is run at its own scale if that scale is in ``scales``.
    scales : sequence of int
        Scales to evaluate; the baselines run at each.
    images : sequence of str, optional
        Evaluation image names (default: all of :data:`EVAL_IMAGES`).
    size : int, default 256
        Side of the central crop taken from each image.
    samples : pathlib.Path, optional
        Folder to save the sample crops in (see :data:`SAMPLE`); None: none.
    progress : bool, default True
        Show a progress bar on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per (scale, image, method), columns :data:`QUALITY_COLUMNS`.
    """
    from tqdm import tqdm

    names = list(images or (image.name for image in EVAL_IMAGES))
    photos = {name: load_eval_image(name, size) for name in names}
    steps = sum(len(names) * (1 + sum(m.scale == s for m in models)) for s in scales)
    rows: list[dict] = []
    with tqdm(total=steps, desc="Quality", unit="image", file=sys.stderr, disable=not progress) as bar:
        for scale in scales:
            pairs = {name: reference_pair(photo, scale) for name, photo in photos.items()}
            for name, (reference, low) in pairs.items():
                bar.set_postfix_str(f"x{scale} baselines")
                found, outputs = score(reference, low, scale)
                rows += [_tagged(row, scale, name, size) for row in found.to_dict("records")]
                _save_sample_set(samples, name, scale, reference, low, outputs)
                bar.update()
            for spec in (m for m in models if m.scale == scale):
                bar.set_postfix_str(spec.short_id)
                for row in _model_rows(spec, pairs, samples, bar):
                    rows.append(_tagged(row, scale, row.pop("image"), size))
    return _rounded(pd.DataFrame(rows, columns=list(QUALITY_COLUMNS)))


def _model_rows(spec: ModelSpec, pairs: dict, samples: Path | None, bar) -> Iterable[dict]:
    upscaler = Upscaler(spec)
    upscaler.warmup(sorted({low.shape[:2] for _, low in pairs.values()}))
    for name, (reference, low) in pairs.items():
        result = upscaler.run(low)
        table, _ = score(reference, low, spec.scale, {spec.id: (result.image, result.report.total_seconds)}, baselines=())
        row = table.iloc[0].to_dict()
        if samples is not None and name == SAMPLE.image:
            _save_crop(samples / sample_name(spec), result.image, 1)
        bar.update()
        yield {**row, "image": name}


def _tagged(row: dict, scale: int, image: str, size: int) -> dict:
    return {"scale": scale, "image": image, "crop": size, **row}


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.round(_DECIMALS)


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
    """Mean scores per (scale, method) and how each method fares against bicubic.

    Returns
    -------
    pandas.DataFrame
        Columns ``scale``, ``method``, ``kind``, ``images``, the mean of each
        score, ``delta_psnr_y`` (mean PSNR-Y minus bicubic's on the same
        images) and ``beats_bicubic`` (images on which its PSNR-Y is higher).
    """
    bicubic = frame[frame["method"] == "bicubic"].set_index(["scale", "image"])["psnr_y"]
    joined = frame.join(bicubic.rename("bicubic_psnr_y"), on=["scale", "image"])
    joined["delta"] = joined["psnr_y"] - joined["bicubic_psnr_y"]
    joined["wins"] = joined["delta"] > 0
    grouped = joined.groupby(["scale", "method", "kind"], sort=False)
    summary = grouped.agg(
        images=("image", "count"),
        psnr_y=("psnr_y", "mean"),
        ssim_y=("ssim_y", "mean"),
        psnr_rgb=("psnr_rgb", "mean"),
        ssim_rgb=("ssim_rgb", "mean"),
        delta_psnr_y=("delta", "mean"),
        beats_bicubic=("wins", "sum"),
    ).reset_index()
    return summary.sort_values(["scale", "psnr_y"], ascending=[True, False], ignore_index=True)


_SUMMARY_FORMATS = {"psnr_y": ".2f", "ssim_y": ".4f", "psnr_rgb": ".2f", "ssim_rgb": ".4f", "delta_psnr_y": "+.2f"}


def image_order(names: Iterable[str]) -> list[str]:
    """Distinct image names in :data:`EVAL_IMAGES` order (others last, by name)."""
    known = [image.name for image in EVAL_IMAGES]
    distinct = set(names)
    return [n for n in known if n in distinct] + sorted(distinct - set(known))


def quality_markdown(frame: pd.DataFrame) -> str:
    """The ``quality.md`` report: mean scores per scale, then PSNR-Y per image."""
    crops = ", ".join(str(c) for c in sorted(frame["crop"].unique()))
    images = ", ".join(image_order(frame["image"]))
    parts = [
        "# Quality benchmark",
        "",
        "Generated by `python -m explorer bench quality` (do not edit; rerun it). Reference mode: each "
        f"photograph's central {crops}×{crops} crop is mod-cropped to the scale, downscaled with Pillow's "
        "antialiased bicubic, upscaled again by every method, and scored against the mod-cropped crop on the "
        "BT.601 luma (Y) and on RGB, with `scale` pixels cropped from each side; SSIM: 11×11 Gaussian window, "
        "σ 1.5. Raw rows: [quality.csv](quality.csv).",
        "",
        f"Images: {images} (colour photographs from scikit-image; see `explorer/bench/dataset.py`).",
    ]
    summary = summarise(frame)
    for scale, block in summary.groupby("scale"):
        table = block.drop(columns="scale").rename(columns={"beats_bicubic": "beats bicubic (images)"})
        parts += ["", f"## Scale {scale}", "", "Mean over images, best PSNR-Y first.", ""]
        parts.append(markdown_table(table, _SUMMARY_FORMATS))
        per_image = frame[frame["scale"] == scale].pivot(index="method", columns="image", values="psnr_y")
        per_image = per_image.loc[block["method"], image_order(frame["image"])].reset_index()
        parts += ["", f"PSNR-Y (dB) per image, scale {scale}:", "", markdown_table(per_image, dict.fromkeys(per_image.columns[1:], ".2f"))]
    return "\n".join(parts) + "\n"


def write_quality(frame: pd.DataFrame, directory: Path | None = None) -> pd.DataFrame:
    """Merge new rows into ``quality.csv`` and rewrite ``quality.md`` in ``directory``.

    Rows for the same (scale, image, method) are replaced; rows measured on a
    different crop size than this run's are dropped, so the file never mixes
    protocols.

    Returns
    -------
    pandas.DataFrame
        Everything now in ``quality.csv``.
    """
    directory = directory or results_dir()
    csv_path = directory / "quality.csv"
    merged = merge_results(frame, csv_path, _KEYS, same=("crop",))
    merged = merged.sort_values(["scale", "kind", "method", "image"], kind="stable", ignore_index=True)
    write_text(csv_path, merged.to_csv(index=False, lineterminator="\n"))
    write_text(directory / "quality.md", quality_markdown(merged))
    return merged
