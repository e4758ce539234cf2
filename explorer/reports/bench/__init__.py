"""Benchmarks: model quality on an evaluation set of photographs, and model speed.

``python -m explorer bench quality`` and ``python -m explorer bench speed``
write their tables as CSV and Markdown to ``model_cards/results/``; ``python -m
explorer cards`` copies them into the model cards.
"""

from __future__ import annotations

from explorer.reports.bench.dataset import (
    DEFAULT_SIZE,
    EVAL_IMAGES,
    EvalImage,
    central_crop,
    load_eval_image,
)
from explorer.reports.bench.flops import conv_flops
from explorer.reports.bench.quality import (
    QUALITY_COLUMNS,
    run_quality,
    select_models,
    summarise,
    write_quality,
)
from explorer.reports.bench.speed import (
    SPEED_COLUMNS,
    SpeedSettings,
    measure_speed,
    run_speed,
    write_speed,
)

__all__ = [
    "DEFAULT_SIZE",
    "EVAL_IMAGES",
    "EvalImage",
    "QUALITY_COLUMNS",
    "SPEED_COLUMNS",
    "SpeedSettings",
    "central_crop",
    "conv_flops",
    "load_eval_image",
    "measure_speed",
    "run_quality",
    "run_speed",
    "select_models",
    "summarise",
    "write_quality",
    "write_speed",
]
