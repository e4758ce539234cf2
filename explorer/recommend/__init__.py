"""Recommend a model and its settings for a picture, a target and a budget, with the code.

A layer above :mod:`explorer.codegen` (it measures with :mod:`explorer.quality`,
reads :mod:`explorer.reports` and writes code with :mod:`explorer.codegen`);
the app and the CLI call :func:`recommend`.

>>> from explorer.recommend import recommend                      # doctest: +SKIP
>>> found = recommend("drawing.png", scale=2, target="browser")     # doctest: +SKIP
>>> found.sentence, found.model, found.patch_size, found.padding    # doctest: +SKIP
"""

from __future__ import annotations

from explorer.recommend.candidates import TARGETS, candidates, restoration_tasks, upscaling_scales
from explorer.recommend.core import PRECISION_NOTE, TABLE_FORMATS, Recommendation, recommend, seams_note
from explorer.recommend.rank import MEASURES, pareto_front, rank, why_first

__all__ = [
    "MEASURES",
    "PRECISION_NOTE",
    "TABLE_FORMATS",
    "TARGETS",
    "Recommendation",
    "candidates",
    "pareto_front",
    "rank",
    "recommend",
    "restoration_tasks",
    "seams_note",
    "upscaling_scales",
    "why_first",
]
