"""Tiling: UpscalerJS's patch plans and stitching (:mod:`.plan`), and every patch-setting rule (:mod:`.rules`).

Pure numpy, no TensorFlow. Import the names from here.
"""

from __future__ import annotations

from explorer.engine.tiling.plan import Patch, Span, TilePlan, plan_patches, stitch
from explorer.engine.tiling.rules import (
    AUTO_TILE,
    MAX_PATCH_SIZE,
    AutoTile,
    PatchNote,
    RunSettings,
    auto_tile_for,
    parse_patch_settings,
    patch_notes,
    round_up_to_multiple,
    settle_patch_settings,
    validate_patch_settings,
)

__all__ = [
    "AUTO_TILE",
    "MAX_PATCH_SIZE",
    "AutoTile",
    "Patch",
    "PatchNote",
    "RunSettings",
    "Span",
    "TilePlan",
    "auto_tile_for",
    "parse_patch_settings",
    "patch_notes",
    "plan_patches",
    "round_up_to_multiple",
    "settle_patch_settings",
    "stitch",
    "validate_patch_settings",
]
