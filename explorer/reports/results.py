"""The committed benchmark results (``model_cards/results/*.csv``) and sample crops (``model_cards/samples``).

The one place that knows where results and samples live and what the sample
files are called; the benchmarks write there, the cards and the app read there.

The benchmark runner decides the files and their columns; the app reads
whatever CSV files are there with pandas, and looks for the columns it knows
(``method``/``model``, ``psnr_y``, ``ssim_y``, ``whole_ms``, ``scale``) only
to add measured numbers to the Models table. Missing files or columns mean
"not measured yet", never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from explorer.engine.registry import ModelSpec, cards_dir, list_models

__all__ = [
    "SAMPLE",
    "ResultTable",
    "Sample",
    "load_results",
    "measured_by_model",
    "results_dir",
    "sample_name",
    "sample_names",
    "samples_dir",
    "shared_sample_name",
]


def results_dir() -> Path:
    """Where result tables are written and read: ``model_cards/results`` (follows ``$UPSCALER_EXPLORER_CARDS``)."""
    return cards_dir() / "results"


@dataclass(frozen=True)
class Sample:
    """The before/after crop saved for the model cards.

    A ``side``×``side`` region at ``(top, left)`` of one evaluation image's
    central crop; 72 and offsets that are multiples of 24 divide by every
    scale (2, 3, 4, 8), so the low-resolution crop is exact.
    """

    image: str = "chelsea"
    top: int = 48
    left: int = 24
    side: int = 72


SAMPLE = Sample()
"""The region shown in the model cards: Chelsea's left eye."""


def samples_dir() -> Path:
    """Where sample crops are written by default: ``model_cards/samples``."""
    return cards_dir() / "samples"


def sample_name(spec: ModelSpec) -> str:
    """File name of a model's sample crop: ``chelsea-esrgan-slim-4x.png``."""
    return f"{SAMPLE.image}-{spec.short_id.replace('/', '-')}.png"


def shared_sample_name(what: str, scale: int) -> str:
    """File name of a sample crop shared by a scale's models: ``chelsea-x4-bicubic.png``.

    ``what`` is ``"input"`` (the low-resolution crop), ``"reference"`` or a baseline's name.
    """
    return f"{SAMPLE.image}-x{scale}-{what}.png"


def sample_names(spec: ModelSpec) -> dict[str, str]:
    """The sample crops shown for ``spec``, by role: ``input``, ``bicubic``, ``model``, ``reference`` (in that order)."""
    return {
        "input": shared_sample_name("input", spec.scale),
        "bicubic": shared_sample_name("bicubic", spec.scale),
        "model": sample_name(spec),
        "reference": shared_sample_name("reference", spec.scale),
    }


@dataclass(frozen=True)
class ResultTable:
    """One results file.

    Attributes
    ----------
    name : str
        The file's stem (``quality``, ``speed``).
    path : pathlib.Path
    frame : pandas.DataFrame
        Its rows (empty if unreadable).
    problem : str
        Why it could not be read, or ``""``.
    """

    name: str
    path: Path
    frame: pd.DataFrame
    problem: str = ""


def load_results(directory: Path | None = None) -> list[ResultTable]:
    """Every ``*.csv`` in the results folder, sorted by name; [] if there is none."""
    folder = directory or results_dir()
    if not folder.is_dir():
        return []
    tables = []
    for path in sorted(folder.glob("*.csv")):
        try:
            tables.append(ResultTable(path.stem, path, pd.read_csv(path)))
        except (OSError, ValueError, pd.errors.ParserError) as error:
            tables.append(ResultTable(path.stem, path, pd.DataFrame(), f"cannot read {path.name}: {error}"))
    return tables


def _id_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in ("method", "model") if c in frame.columns), None)


def measured_by_model(tables: list[ResultTable]) -> pd.DataFrame:
    """Measured numbers per model id: mean ``psnr_y``/``ssim_y`` and ``whole_ms``, where the results have them.

    Quality is averaged over the images measured at the model's own scale
    (rows whose ``kind`` is ``"model"`` when the column exists), on Set5 when
    the file has a ``set`` column (the set the literature reports first).
    Restoration results (a ``degradation`` column) are left out: a mean over
    different degradations means nothing.

    Returns
    -------
    pandas.DataFrame
        Indexed by model id; columns among ``psnr_y``, ``ssim_y``, ``whole_ms``.
    """
    parts = []
    ids = {spec.id for spec in list_models()}
    for table in tables:
        frame = table.frame
        key = _id_column(frame)
        if key is None or frame.empty or "degradation" in frame.columns:
            continue
        rows = frame[frame[key].isin(ids)]
        if "set" in rows.columns and rows["set"].notna().any():
            from explorer.reports.bench.dataset import set_order  # the benchmarks import this module

            rows = rows[rows["set"] == set_order(rows["set"].dropna())[0]]
        if "kind" in rows.columns:
            rows = rows[rows["kind"] == "model"]
        wanted = [c for c in ("psnr_y", "ssim_y", "whole_ms") if c in rows.columns]
        if wanted:
            parts.append(rows.groupby(key)[wanted].mean(numeric_only=True))
    if not parts:
        return pd.DataFrame(columns=["psnr_y", "ssim_y", "whole_ms"])
    merged = pd.concat(parts, axis=1)
    return merged.loc[:, ~merged.columns.duplicated()]  # a measure in two files: the first file's
