"""What a restoration model's browser recommendation says about seams, from the advice's measurements."""

from __future__ import annotations

from explorer.engine.advice import Advice, Candidate
from explorer.engine.registry import get_spec
from explorer.recommend import seams_note

MAXIM = get_spec("maxim-deblurring")


def advice(*candidates: Candidate) -> Advice:
    best = candidates[0]
    return Advice(best.patch_size, best.padding, best.patches, best.seconds, best.memory_mib, best.seam_levels or 0,
                  "line", (0, 0, 1, 1), candidates)  # fmt: skip


WHOLE = Candidate(None, None, 1, 2.0, 1900.0, 0)
SEAMY = (Candidate(64, 4, 16, 3.0, 400.0, 57), Candidate(64, 16, 25, 4.0, 400.0, 40), Candidate(128, 16, 4, 2.5, 900.0, 12))


def test_a_patch_size_within_one_level_and_the_budget_is_named():
    clean = Candidate(128, 16, 4, 2.5, 900.0, 1)
    assert seams_note(MAXIM, advice(clean, WHOLE), 1024) == (
        "In the browser, 128/16 keeps maxim-deblurring's seams invisible (≤ 1 level) within 1024 MiB on this picture."
    )


def test_none_within_the_budget_names_the_least_visible_and_what_the_whole_image_costs():
    note = seams_note(MAXIM, advice(*SEAMY, WHOLE), 1024)
    assert note == (
        "No patch size keeps maxim-deblurring's seams invisible within 1024 MiB on this picture: the least visible, "
        "128/16, still differs from the whole image by up to 12 levels; only the whole image has none, and it needs "
        "≈1900 MiB for its one call (measured here, TensorFlow on the CPU), over your budget."
    )
    small = seams_note(MAXIM, advice(*SEAMY, WHOLE), 800)  # 128 px patches do not fit 800 MiB: 64/16 is the best left
    assert "the least visible, 64/16, still differs from the whole image by up to 40 levels" in small


def test_without_a_memory_budget_it_asks_for_the_devices():
    note = seams_note(MAXIM, advice(*SEAMY, Candidate(None, None, 1, 2.0, None, 0)), None)
    assert note.endswith("only the whole image has none (one call, ≈2 s here): give your device's memory budget to learn whether it fits.")


def test_a_picture_too_large_to_run_whole_says_seams_are_the_cost():
    assert seams_note(MAXIM, advice(*SEAMY), None).endswith(
        "the picture is too large to run whole, so seams are the cost of running it at this size."
    )
    assert "were not measured" in seams_note(MAXIM, None, None)
