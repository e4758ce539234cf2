"""Result tables: Markdown rendering and CSV files that later runs update in place."""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

__all__ = ["markdown_table", "merge_results", "write_text"]


def markdown_table(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> str:
    """Render a table as GitHub/Hugging Face Markdown.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show, columns in order; column names are the headers.
    formats : mapping, optional
        Column -> format spec for numbers (``".2f"``); missing values show as ``–``.

    Returns
    -------
    str
        The table, one line per row, numeric columns right-aligned.
    """
    formats = formats or {}
    columns = list(frame.columns)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in columns]
    lines = [
        "| " + " | ".join(str(c) for c in columns) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    for row in frame.itertuples(index=False):
        cells = [_cell(value, formats.get(column, "")) for column, value in zip(columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
        return "–"
    if isinstance(value, numbers.Real) and math.isinf(value):
        return "∞"
    return format(value, fmt) if fmt and isinstance(value, numbers.Number) else str(value)


def merge_results(new: pd.DataFrame, csv_path: Path, keys: Sequence[str], same: Sequence[str] = ()) -> pd.DataFrame:
    """Combine new rows with a results CSV from earlier runs.

    Rows of the old file whose ``keys`` match a new row are replaced; the
    others are kept, so a run over a few models updates just those. Old rows
    measured under other settings (a value in a ``same`` column that this run
    did not use) are dropped, so one file never mixes protocols. Columns added
    since the old file was written are left empty in its rows.

    Returns
    -------
    pandas.DataFrame
        The combined rows (old ones first), with the new frame's columns.
    """
    if not csv_path.exists():
        return new.reset_index(drop=True)
    old = pd.read_csv(csv_path)
    if not set(old.columns) <= set(new.columns):  # a layout with columns no longer made: start again
        return new.reset_index(drop=True)
    old = old.reindex(columns=new.columns)  # columns added since: empty in older rows, until they are measured again
    for column in same:
        old = old[old[column].isin(new[column].unique())]
    old_keys = pd.MultiIndex.from_frame(old[list(keys)].astype(str))
    new_keys = pd.MultiIndex.from_frame(new[list(keys)].astype(str))
    kept = old[~old_keys.isin(new_keys)]
    return pd.concat([kept[new.columns], new], ignore_index=True)


def write_text(path: Path, text: str) -> None:
    """Write a file atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
