"""Which models a recommendation tries: a few per scale or restoration task, for the target's platform.

The upscaling candidates are one family in three sizes (``esrgan-slim``,
``-medium``, ``-thick``: the speed/quality ladder of UpscalerJS's current
models), so a recommendation on two cores stays within tens of seconds; the
restoration candidates are every model of the task (one or two MAXIM
packages). UpscalerJS supports some models on one platform only (the 8x slim
and medium run in Node only); those are left out for the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from explorer.engine.registry import ModelSpec, get_spec, list_models
from explorer.errors import ExplorerError
from explorer.quality.restoration import degradations_for

__all__ = ["TARGETS", "UPSCALER_SIZES", "candidates", "restoration_tasks", "upscaling_scales"]

TARGETS = ("browser", "node", "python")
"""Where the recommended model will run: UpscalerJS in a browser or in Node, or this project's Python API."""

UPSCALER_SIZES = ("slim", "medium", "thick")
"""The ESRGAN sizes tried at every scale, fastest first."""


def upscaling_scales(target: str) -> list[int]:
    """The scales that have at least one candidate for ``target``."""
    return sorted({spec.scale for spec in _upscalers(target)})


def restoration_tasks() -> list[str]:
    """The restoration tasks a recommendation can score (those with a synthetic degradation)."""
    return sorted({spec.task for spec in list_models() if spec.scale == 1 and degradations_for(spec.task)})


def candidates(
    *, scale: int | None = None, task: str | None = None, target: str = "browser", models: Sequence[str] | None = None
) -> list[ModelSpec]:
    """The models to try for a scale or a restoration task on a target.

    Parameters
    ----------
    scale : int, optional
        Upscaling factor (2, 3, 4 or 8); give this or ``task``.
    task : str, optional
        A restoration task with a synthetic degradation (``deblurring``, ``denoising``, ...).
    target : {"browser", "node", "python"}
        Models UpscalerJS does not support on that platform are left out.
    models : sequence of str, optional
        Ids or aliases to try instead of the default set; they must do the
        scale or task asked for.

    Returns
    -------
    list of ModelSpec
        Fastest family member first for upscaling; card order for restoration.

    Raises
    ------
    ExplorerError
        Neither or both of scale and task, an unknown target, a scale or task
        with no candidate, or a given model that does something else.
    """
    check_target(target)
    if (scale is None) == (task is None):
        raise ExplorerError("Give either a scale (to upscale) or a restoration task, not both and not neither.")
    if models:
        specs = [get_spec(name) for name in models]
        wrong = [s.short_id for s in specs if (s.scale != scale if task is None else (s.task != task or s.scale != 1))]
        if wrong:
            asked = f"scale {scale}" if task is None else f"the {task} task"
            raise ExplorerError(f"{', '.join(wrong)} do not do {asked}; give models that do, or none for the default set.")
        return [s for s in specs if _runs_on(s, target)] or _none_on(target, specs)
    if task is None:
        if isinstance(scale, bool) or not isinstance(scale, int) or scale not in upscaling_scales(target):
            raise ExplorerError(
                f"No upscaling model for scale {scale!r} in the {target} target; choose one of "
                f"{', '.join(map(str, upscaling_scales(target)))}."
            )
        return [s for s in _upscalers(target) if s.scale == scale]
    if task not in restoration_tasks():
        raise ExplorerError(
            f"No restoration model can be scored for task {task!r}; choose one of {', '.join(restoration_tasks())} "
            "(retouching has no synthetic degradation to score it on)."
        )
    restorers = [s for s in list_models(task=task) if s.scale == 1]
    return [s for s in restorers if _runs_on(s, target)] or _none_on(target, restorers)


def check_target(target: str) -> str:
    """``target`` if it is one of :data:`TARGETS`; else an error naming them."""
    if target not in TARGETS:
        raise ExplorerError(f"Unknown target {target!r}: choose one of {', '.join(TARGETS)}.")
    return target


def _upscalers(target: str) -> list[ModelSpec]:
    order = {f"esrgan-{size}": rank for rank, size in enumerate(UPSCALER_SIZES)}
    found = [s for s in list_models(task="upscaling") if s.short_id.split("/")[0] in order and _runs_on(s, target)]
    return sorted(found, key=lambda s: (s.scale, order[s.short_id.split("/")[0]]))


def _runs_on(spec: ModelSpec, target: str) -> bool:
    return target == "python" or not spec.platforms or target in spec.platforms


def _none_on(target: str, specs: Sequence[ModelSpec]) -> list[ModelSpec]:
    names = ", ".join(s.short_id for s in specs)
    raise ExplorerError(f"UpscalerJS does not run {names} in the {target} target; choose another target.")
