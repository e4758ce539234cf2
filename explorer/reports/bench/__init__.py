"""Benchmarks: model quality on evaluation sets (Set5, Set14, photographs), restoration, and speed.

``python -m explorer bench quality`` and ``python -m explorer bench speed``
write their tables as CSV and Markdown to ``model_cards/results/``; ``python -m
explorer cards`` copies them into the model cards.
"""

from __future__ import annotations

from explorer.reports.bench.dataset import (
    DEFAULT_SIZE,
    EVAL_IMAGES,
    STANDARD_SETS,
    EvalImage,
    EvalSet,
    central_crop,
    datasets_dir,
    load_eval_image,
    load_set,
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
    "EvalSet",
    "STANDARD_SETS",
    "QUALITY_COLUMNS",
    "SPEED_COLUMNS",
    "SpeedSettings",
    "central_crop",
    "conv_flops",
    "datasets_dir",
    "load_eval_image",
    "load_set",
    "measure_speed",
    "run_quality",
    "run_speed",
    "select_models",
    "summarise",
    "write_quality",
    "write_speed",
]
