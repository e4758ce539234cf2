"""Reference-mode scores for the Upscale tab, from :mod:`explorer.quality.evaluate`'s building blocks.

The model's output is scored against the original with the same functions as
:func:`explorer.quality.evaluate.evaluate` (so the numbers match it), without running
the model a second time: the Upscale tab has already run it, with a progress
bar and timings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from explorer.app.common import user_errors
from explorer.app.pictures import rgb_view
from explorer.quality.evaluate import score

__all__ = ["QUALITY_HINT", "detail", "empty_scores", "headline", "quality_table", "score_output"]

QUALITY_HINT = (
    "Turn on **reference mode** to score the model: your image is treated as the high-resolution original, "
    "shrunk by the model's scale (antialiased bicubic), upscaled again, and compared with the original "
    "(PSNR and SSIM on luma and on RGB; GMSD for edges; the high-frequency ratio for fine detail), next to the "
    "classical upscalers, and ranked against the best of them."
)
"""Shown where the scores go until reference mode is on."""


_SCORE_COLUMNS = {
    "method": "method",
    "kind": "kind",
    "psnr_y": "PSNR-Y (dB)",
    "ssim_y": "SSIM-Y",
    "psnr_rgb": "PSNR-RGB (dB)",
    "ssim_rgb": "SSIM-RGB",
    "gmsd": "GMSD (lower is better)",
    "hf_ratio": "HF ratio (original = 1)",
    "seconds": "time (s)",
}


def empty_scores() -> pd.DataFrame:
    """The scores table with no rows."""
    return pd.DataFrame(columns=list(_SCORE_COLUMNS.values()))



def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    """An evaluation table (:data:`explorer.quality.evaluate.COLUMNS`) with readable headers, short names, rounding."""
    shown = table[list(_SCORE_COLUMNS)].rename(columns=_SCORE_COLUMNS)
    shown["method"] = shown["method"].str.replace("@upscalerjs/", "", regex=False)  # narrow enough to show every column
    return shown.round({"PSNR-Y (dB)": 2, "PSNR-RGB (dB)": 2, "SSIM-Y": 4, "SSIM-RGB": 4, "GMSD (lower is better)": 4,
                        "HF ratio (original = 1)": 3, "time (s)": 3})  # fmt: skip


def headline(table: pd.DataFrame, scale: int) -> str:
    """The model (first row) ranked against the best classical baseline, plainly when a baseline wins.

    Parameters
    ----------
    table : pandas.DataFrame
        Evaluation rows (``method``, ``kind``, ``psnr_y``, ``ssim_y``), the model first.
    scale : int
    """
    model = table.iloc[0]
    baselines = table[table["kind"] == "baseline"]
    best = baselines.loc[baselines["psnr_y"].idxmax()]
    scores = f"PSNR-Y {model['psnr_y']:.2f} dB, SSIM-Y {model['ssim_y']:.4f}"
    rival = f"{best['method']} ({best['psnr_y']:.2f} dB, SSIM-Y {best['ssim_y']:.4f})"
    psnr_wins, ssim_wins = model["psnr_y"] > best["psnr_y"], model["ssim_y"] > best["ssim_y"]
    if psnr_wins and ssim_wins:
        return f"**{scores}**: better than the best classical filter here, {rival}, by {model['psnr_y'] - best['psnr_y']:.2f} dB."
    if not psnr_wins and not ssim_wins:
        return (
            f"**{scores}**: {best['method'].capitalize()} beats this model on PSNR and SSIM here: {rival}. "
            "Such models aim at sharp-looking detail rather than at these pixel-wise scores: see the fine detail "
            "and edges below, and judge by eye too."
        )
    lead, trail = ("PSNR", "SSIM") if psnr_wins else ("SSIM", "PSNR")
    return f"**{scores}**: better than the best classical filter, {rival}, on {lead} but not on {trail} here."


def detail(table: pd.DataFrame) -> str:
    """What PSNR/SSIM miss: the model's fine detail (HF ratio) and edges (GMSD) against the best classical baseline."""
    model = table.iloc[0]
    baselines = table[table["kind"] == "baseline"]
    best = baselines.loc[baselines["psnr_y"].idxmax()]
    more = "more" if model["hf_ratio"] > best["hf_ratio"] else "less"
    edges = "closer to" if model["gmsd"] < best["gmsd"] else "further from"
    return (
        f"Fine detail: the model keeps {more} than {best['method']} (high-frequency ratio {model['hf_ratio']:.2f} "
        f"against {best['hf_ratio']:.2f}; the original is 1), and its edges are {edges} the original's (GMSD "
        f"{model['gmsd']:.4f} against {best['gmsd']:.4f}, lower is better)."
    )


def score_output(
    model_id: str, scale: int, output: np.ndarray, reference: np.ndarray, low: np.ndarray, seconds: float
) -> tuple[str, pd.DataFrame]:
    """Score a model's output and the baselines against the original.

    Parameters
    ----------
    model_id : str
    scale : int
    output : ndarray
        The model's output on ``low``.
    reference, low : ndarray
        From :func:`explorer.quality.evaluate.reference_pair`.
    seconds : float
        The model's time, for the table.

    Returns
    -------
    tuple
        A Markdown headline (the model ranked against the best classical upscaler, then
        what it does for fine detail and edges: :func:`headline`, :func:`detail`) and
        :func:`quality_table` of every row.
    """
    with user_errors():
        table, _ = score(reference, low, scale, {model_id: (rgb_view(output), seconds)})
    text = " ".join([headline(table, scale), detail(table)]) + (
        f" Scored against your image ({reference.shape[1]}×{reference.shape[0]}) after shrinking it {scale}× and "
        f"upscaling it again; {scale} px are cropped from each border, as the SR literature does."
    )
    return text, quality_table(table)
