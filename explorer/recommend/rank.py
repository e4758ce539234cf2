"""Rank measured methods, find the quality-versus-time front, and say in one sentence why the first is first.

The rules are plain so that a reader can check them against the table:

* rows that fit the time budget come first, best quality first (higher PSNR or
  SSIM, lower GMSD); rows over the budget follow, in the same order;
* a row is on the **front** (Pareto) when no other row is both at least as
  fast and at least as good, and better in one of the two;
* the **choice** is the first model in the ranking: the code is for a model,
  even when a classical filter ranks above it, and then the sentence says so.
"""

from __future__ import annotations

import math

import pandas as pd

from explorer.errors import ExplorerError

__all__ = ["MEASURES", "choose", "pareto_front", "rank", "why_first"]

MEASURES = {"psnr_y": "dB PSNR-Y", "psnr_rgb": "dB PSNR-RGB", "ssim_y": "SSIM-Y", "ssim_rgb": "SSIM-RGB", "gmsd": "GMSD"}
"""Measures a ranking can be by, with how a value is written (GMSD: lower is better)."""

def _better_first(by: str) -> bool:
    return by != "gmsd"


def check_measure(by: str) -> str:
    """``by`` if a ranking can be by it; else an error naming the choices."""
    if by not in MEASURES:
        raise ExplorerError(f"Cannot rank by {by!r}; choose one of {', '.join(MEASURES)}.")
    return by


def rank(table: pd.DataFrame, by: str, budget_seconds: float | None = None) -> pd.DataFrame:
    """The table ranked, with ``rank``, ``within_budget`` and ``front`` columns added.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``method``, ``kind``, ``seconds`` and the measure ``by``.
    by : str
        One of :data:`MEASURES`.
    budget_seconds : float, optional
        Rows slower than this rank after every row that fits.

    Returns
    -------
    pandas.DataFrame
        A new frame, ``rank`` 1 first.
    """
    check_measure(by)
    within = table["seconds"] <= budget_seconds if budget_seconds is not None else pd.Series(True, index=table.index)
    ranked = table.assign(within_budget=within, front=pareto_mask(table, by))
    quality = ranked[by].fillna(-math.inf if _better_first(by) else math.inf)
    order = pd.DataFrame({"over": ~ranked["within_budget"], "quality": -quality if _better_first(by) else quality,
                          "seconds": ranked["seconds"]})  # fmt: skip
    ranked = ranked.loc[order.sort_values(["over", "quality", "seconds"], kind="stable").index].reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    return ranked


def pareto_mask(table: pd.DataFrame, by: str) -> pd.Series:
    """True for rows no other row beats on both time and quality (``by``)."""
    sign = 1.0 if _better_first(by) else -1.0
    points = list(zip(table["seconds"], sign * table[by].astype(float), strict=True))
    mask = []
    for index, (seconds, quality) in enumerate(points):
        dominated = any(
            other_s <= seconds and other_q >= quality and (other_s < seconds or other_q > quality)
            for other, (other_s, other_q) in enumerate(points)
            if other != index
        )
        mask.append(not dominated and not math.isnan(quality))
    return pd.Series(mask, index=table.index)


def pareto_front(ranked: pd.DataFrame) -> pd.DataFrame:
    """The front's rows, fastest first."""
    return ranked[ranked["front"]].sort_values("seconds", kind="stable").reset_index(drop=True)


def choose(ranked: pd.DataFrame) -> pd.Series:
    """The first model in the ranking (its code is the one generated)."""
    models = ranked[ranked["kind"] == "model"]
    if models.empty:
        raise ExplorerError("No model was measured, so none can be recommended.")
    return models.iloc[0]


def why_first(ranked: pd.DataFrame, by: str, budget_seconds: float | None = None) -> str:
    """One sentence: why the first row is first, and, when a classical filter or doing nothing is, that it is."""
    first, choice = ranked.iloc[0], choose(ranked)
    unit = MEASURES[by]
    budget = f" within your {budget_seconds:g} s" if budget_seconds is not None else ""
    if not first["within_budget"]:
        fastest = ranked.loc[ranked["seconds"].idxmin()]
        return (
            f"Nothing fits your {budget_seconds:g} s on this machine, so the ranking is by quality alone: the "
            f"fastest, {_name(fastest)}, needs ≈{_seconds(fastest['seconds'])} for the whole picture."
        )
    if first["kind"] != "model":
        doing_nothing = first["kind"] == "input"
        who = "Doing nothing" if doing_nothing else f"The classical filter {first['method']}"
        advice = "leave the picture as it is" if doing_nothing else f"use {first['method']}"
        return (
            f"{who} wins on your picture{budget}: {_value(first[by], by)} {unit} against {_value(choice[by], by)} "
            f"for the best model, {_name(choice)} ({_gap(first[by], choice[by], by)} worse), so {advice} unless you "
            f"prefer the model's look (fine detail {choice['hf_ratio']:.2g} of the original's against "
            f"{first['hf_ratio']:.2g}); the code below is for that model."
        )
    others = ranked[ranked["kind"] != "model"]
    best_other = others.iloc[0] if not others.empty else None
    ahead = ""
    if best_other is not None:
        ahead = (
            f", {_gap(first[by], best_other[by], by)} ahead of the best classical method ({best_other['method']}, "
            f"{_times_faster(first['seconds'], best_other['seconds'])})"
        )
    runner = ranked[(ranked["kind"] == "model") & (ranked["method"] != first["method"])]
    faster = runner[runner["seconds"] < first["seconds"]]
    trade = ""
    if not faster.empty:
        quick = faster.iloc[0]
        trade = f"; {_name(quick)} is faster (≈{_seconds(quick['seconds'])}) at {_gap(first[by], quick[by], by)} less"
    return (
        f"{_name(first)} is first: {_value(first[by], by)} {unit} on your picture{ahead}, in "
        f"≈{_seconds(first['seconds'])} for the whole picture on this machine{budget}{trade}."
    )


def _times_faster(seconds: float, other: float) -> str:
    """How ``other`` compares with ``seconds``, in words: what a model's lead over a classical filter costs."""
    if other <= 0 or other >= seconds:
        return f"≈{_seconds(other)}"
    return f"≈{_seconds(other)}, {seconds / other:,.0f}× faster"


def _name(row: pd.Series) -> str:
    fast = " (fast precision)" if row.get("precision") == "fast" else ""
    return str(row["method"]).removeprefix("@upscalerjs/") + fast


def _value(value: float, by: str) -> str:
    return f"{value:.2f}" if by.startswith("psnr") else f"{value:.4f}"


def _gap(a: float, b: float, by: str) -> str:
    gap = abs(a - b)
    return f"{gap:.2f} dB" if by.startswith("psnr") else f"{gap:.4f}"


def _seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
