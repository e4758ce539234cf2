"""Ranking, the quality-versus-time front, the choice and the sentence, on tables whose answer is plain."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from explorer.errors import ExplorerError
from explorer.recommend.rank import choose, pareto_front, pareto_mask, rank, why_first


def table(*rows):
    """Rows of (method, kind, psnr_y, gmsd, seconds); hf_ratio is 0.5 for models and 0.1 for the rest."""
    frame = pd.DataFrame(rows, columns=["method", "kind", "psnr_y", "gmsd", "seconds"])
    return frame.assign(hf_ratio=[0.5 if kind == "model" else 0.1 for kind in frame["kind"]])


MODELS_WIN = table(
    ("slim", "model", 30.0, 0.10, 1.0),
    ("thick", "model", 31.0, 0.08, 9.0),
    ("medium", "model", 29.0, 0.12, 3.0),  # slower and worse than slim: off the front
    ("bicubic", "baseline", 28.0, 0.15, 0.01),
)


def test_rank_is_best_quality_first_and_lower_gmsd_is_better():
    assert rank(MODELS_WIN, "psnr_y")["method"].tolist() == ["thick", "slim", "medium", "bicubic"]
    assert rank(MODELS_WIN, "gmsd")["method"].tolist() == ["thick", "slim", "medium", "bicubic"]
    assert rank(MODELS_WIN, "psnr_y")["rank"].tolist() == [1, 2, 3, 4]


def test_rows_over_the_time_budget_rank_after_every_row_that_fits():
    ranked = rank(MODELS_WIN, "psnr_y", budget_seconds=2.0)
    assert ranked["method"].tolist() == ["slim", "bicubic", "thick", "medium"]
    assert ranked["within_budget"].tolist() == [True, True, False, False]
    assert choose(ranked)["method"] == "slim"


def test_the_front_holds_the_rows_nothing_beats_on_both_time_and_quality():
    assert pareto_mask(MODELS_WIN, "psnr_y").tolist() == [True, True, False, True]
    assert pareto_front(rank(MODELS_WIN, "psnr_y"))["method"].tolist() == ["bicubic", "slim", "thick"]
    tie = table(("a", "model", 30.0, 0.1, 1.0), ("b", "model", 30.0, 0.1, 1.0))
    assert pareto_mask(tie, "psnr_y").tolist() == [True, True]  # equal rows do not beat each other


def test_the_sentence_says_why_the_first_model_is_first_and_what_is_faster():
    sentence = why_first(rank(MODELS_WIN, "psnr_y"), "psnr_y")
    assert sentence.startswith(
        "thick is first: 31.00 dB PSNR-Y on your picture, 3.00 dB ahead of the best classical method (bicubic, ≈10 ms, "
        "900× faster), in ≈9.0 s for the whole picture on this machine"
    )  # what the lead costs, in the same sentence
    assert "slim is faster (≈1.0 s) at 1.00 dB less" in sentence
    assert sentence.endswith(".") and not re.search(r"\.\s+[A-Z]", sentence)  # one sentence


def test_when_a_classical_filter_wins_the_sentence_says_so_and_the_code_is_for_the_best_model():
    classical = table(("slim", "model", 27.0, 0.2, 1.0), ("thick", "model", 27.5, 0.2, 9.0), ("lanczos", "baseline", 28.0, 0.15, 0.01))
    ranked = rank(classical, "psnr_y")
    assert choose(ranked)["method"] == "thick"
    sentence = why_first(ranked, "psnr_y")
    assert sentence.startswith("The classical filter lanczos wins on your picture: 28.00 dB PSNR-Y against 27.50 for the best model, thick (0.50 dB worse)")
    assert "so use lanczos unless you prefer the model's look (fine detail 0.5 of the original's against 0.1)" in sentence


def test_when_doing_nothing_wins_the_sentence_says_leave_it():
    ranked = rank(table(("maxim", "model", 27.0, 0.2, 3.0), ("none", "input", 28.0, 0.2, 0.0)), "psnr_y")
    assert why_first(ranked, "psnr_y").startswith("Doing nothing wins on your picture")
    assert "so leave the picture as it is" in why_first(ranked, "psnr_y")


def test_when_nothing_fits_the_budget_the_sentence_names_the_fastest():
    ranked = rank(MODELS_WIN, "psnr_y", budget_seconds=0.001)
    assert why_first(ranked, "psnr_y", 0.001) == (
        "Nothing fits your 0.001 s on this machine, so the ranking is by quality alone: the fastest, bicubic, "
        "needs ≈10 ms for the whole picture."
    )


def test_no_model_and_unknown_measures_are_refused():
    with pytest.raises(ExplorerError, match="No model was measured"):
        choose(rank(table(("bicubic", "baseline", 28.0, 0.1, 0.01)), "psnr_y"))
    with pytest.raises(ExplorerError, match="Cannot rank by 'hf_ratio'; choose one of psnr_y"):
        rank(MODELS_WIN, "hf_ratio")
