"""The committed benchmark results (``model_cards/results/*.csv``), read generically.

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

from explorer.engine.registry import cards_dir, list_models

__all__ = ["ResultTable", "load_results", "measured_by_model", "results_dir"]


def results_dir() -> Path:
    """``model_cards/results`` (follows ``$UPSCALER_EXPLORER_CARDS``)."""
    return cards_dir() / "results"


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
    (rows whose ``kind`` is ``"model"`` when the column exists).

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
        if key is None or frame.empty:
            continue
        rows = frame[frame[key].isin(ids)]
        if "kind" in rows.columns:
            rows = rows[rows["kind"] == "model"]
        wanted = [c for c in ("psnr_y", "ssim_y", "whole_ms") if c in rows.columns]
        if wanted:
            parts.append(rows.groupby(key)[wanted].mean(numeric_only=True))
    if not parts:
        return pd.DataFrame(columns=["psnr_y", "ssim_y", "whole_ms"])
    merged = pd.concat(parts, axis=1)
    return merged.loc[:, ~merged.columns.duplicated()]  # a measure in two files: the first file's
