"""``recommend``: my picture, my target, my budget -> the model and settings to use, with the code.

It strings together what the explorer already measures, on the user's own picture:

1. the candidates for the scale or restoration task and the target
   (:mod:`explorer.recommend.candidates`);
2. their quality and speed on a crop, beside the classical rows
   (:mod:`explorer.recommend.measure`);
3. the ranking, the quality-versus-time front and the sentence
   (:mod:`explorer.recommend.rank`);
4. patch size and padding for the chosen model on the whole picture, with
   seams within one level and within the budgets (:func:`explorer.engine.advice.advise`);
5. the code for the target (:func:`explorer.codegen.snippets.generate`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from explorer.codegen.snippets import generate
from explorer.engine.advice import PADDINGS, Advice, advise
from explorer.engine.images import ImageInput, load_image
from explorer.engine.precision import PRECISIONS
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.tiling import auto_tile_for
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError, WorkLimitError
from explorer.quality.restoration import degradations_for
from explorer.recommend.candidates import candidates, check_target
from explorer.recommend.measure import crop_side, measure_restoration, measure_upscaling
from explorer.recommend.rank import check_measure, choose, pareto_front, rank, why_first

__all__ = [
    "ADVICE_PATCH_SIZES",
    "PRECISION_NOTE",
    "RESTORATION_PADDINGS",
    "RESTORATION_PATCH_SIZES",
    "TABLE_FORMATS",
    "Recommendation",
    "recommend",
    "seams_note",
]

ADVICE_PATCH_SIZES = (64, 128, 256)
"""Patch sizes weighed for a chosen upscaler (32 is rarely the fastest clean setting and costs many calls to measure)."""

RESTORATION_PATCH_SIZES = (64, 128)
"""Patch sizes weighed for a restoration model: the ones UpscalerJS users pick for MAXIM (UpscalerJS #1300)."""

RESTORATION_PADDINGS = (4, 16)
"""Paddings weighed for a restoration model: a MAXIM call costs seconds, and more padding did not remove its seams."""

PRECISION_NOTE = (
    "Times are for the exact (float32) precision only: UpscalerJS has no reduced-precision path, so the fast "
    "precision (this project's Python API) is measured for the python target only."
)
"""Said with every browser or Node recommendation."""

Status = Callable[[str], None]

TABLE_FORMATS = {
    "psnr_y": ".2f", "psnr_rgb": ".2f", "ssim_y": ".4f", "ssim_rgb": ".4f", "gmsd": ".4f", "hf_ratio": ".3f", "seconds": ".3f",
}  # fmt: skip
"""How :meth:`Recommendation.display_table`'s numbers are written (and rounded)."""


@dataclass(frozen=True)
class Recommendation:
    """What :func:`recommend` found.

    Attributes
    ----------
    model : str
        Id of the recommended model (the first model in :attr:`table`).
    precision : str
        Its precision: ``exact``, or ``fast`` where that was measured (the
        python target, on a CPU where bf16 is faithful and faster).
    patch_size, padding : int or None
        The settings for the whole picture (None: the whole image at once).
    sentence : str
        Why the first row is first, in one sentence.
    settings_line : str
        The patch advice in one line (patches, time, memory, seams).
    seams_note : str
        For a restoration model in the browser: which patch size keeps seams
        invisible within the memory budget, or that none does and what the
        whole image costs. Empty otherwise.
    code : str
        The code for :attr:`target` with the model and settings.
    target : str
    table : pandas.DataFrame
        Every method ranked: ``rank``, ``method``, ``kind`` (``model``,
        ``baseline`` or ``input``), ``psnr_y``, ``ssim_y``, ``psnr_rgb``,
        ``ssim_rgb``, ``gmsd``, ``hf_ratio`` (fine detail relative to the
        original: the sharpness measure), ``seconds`` (one whole-picture run
        here, estimated from the crop), ``precision`` (models: ``exact``, or
        ``fast`` rows for the python target where bf16 runs), ``within_budget``, ``front``.
    front : pandas.DataFrame
        The rows on the quality-versus-time front, fastest first.
    measure : str
        What the ranking is by (a column of the table).
    scale : int
        The upscaling factor (1 for restoration).
    task : str
        ``"upscaling"`` or the restoration task.
    degradation : str or None
        The synthetic degradation the restoration scores are on.
    image_size, crop : tuple of int
        ``(height, width)`` of the picture and of the crop scored.
    seconds : float
        How long the recommendation took.
    notes : tuple of str
        What was not measured (precision), or why advice was cut short.
    advice : Advice or None
        The full patch advice (None when it could not be given).
    """

    model: str
    precision: str
    patch_size: int | None
    padding: int | None
    sentence: str
    settings_line: str
    seams_note: str
    code: str
    target: str
    table: pd.DataFrame = field(repr=False)
    front: pd.DataFrame = field(repr=False)
    measure: str
    scale: int
    task: str
    degradation: str | None
    image_size: tuple[int, int]
    crop: tuple[int, int]
    seconds: float
    notes: tuple[str, ...] = ()
    advice: Advice | None = field(default=None, repr=False)

    @property
    def settings_text(self) -> str:
        """``patch size 64, padding 8`` or ``the whole image at once``."""
        if self.patch_size is None:
            return "the whole image at once"
        return f"patch size {self.patch_size}, padding {self.padding}"

    @property
    def short_model(self) -> str:
        """The recommended model's id without the ``@upscalerjs/`` scope."""
        return self.model.removeprefix("@upscalerjs/")

    def protocol(self) -> str:
        """What the scores are, in one sentence (for the table's caption)."""
        (height, width), (crop_h, crop_w) = self.image_size, self.crop
        whole = (crop_h, crop_w) == (height, width)
        picture = f"your {'whole ' if whole else ''}{width}×{height} picture"
        where = picture if whole else f"the central {crop_w}×{crop_h} crop of {picture}"
        if self.scale > 1:
            how = f"shrunk {self.scale}x (antialiased bicubic), enlarged again by each method and compared with the original"
        else:
            how = f"degraded by {self.degradation}, restored by each method and compared with the clean original"
        return (
            f"Scores on {where}, {how}; ranked by {self.measure}; `seconds` is one "
            f"run on the whole picture here, estimated from the crop; `front`: no other row is both faster and better."
        )

    def as_dict(self) -> dict:
        """JSON-ready values (the API's answer): the choice, the lines, the table and front as rows, the code.

        An infinite or missing score (an output equal to the original) is written as None.
        """

        def rows(frame: pd.DataFrame) -> list[dict]:
            return [{key: _json_value(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]

        return {
            "model": self.model, "precision": self.precision, "patch_size": self.patch_size, "padding": self.padding,
            "sentence": self.sentence, "settings_line": self.settings_line, "seams_note": self.seams_note,
            "notes": list(self.notes), "target": self.target, "scale": self.scale, "task": self.task,
            "degradation": self.degradation, "measure": self.measure, "image_size": list(self.image_size),
            "crop": list(self.crop), "seconds": self.seconds, "table": rows(self.table), "front": rows(self.front),
            "code": self.code,
        }  # fmt: skip

    def display_table(self) -> pd.DataFrame:
        """The ranked table for reading: short names, the measures of the ranking's kind (Y or RGB), rounded.

        ``precision`` shows only when a fast row was measured, ``within_budget`` only when a row is over the budget.
        """
        channel = "rgb" if self.measure.endswith("_rgb") else "y"
        measures = [f"psnr_{channel}", f"ssim_{channel}", "gmsd", "hf_ratio", "seconds"]
        columns = ["rank", "method", "kind", "precision", *measures, "front"]
        if not self.table["within_budget"].all():
            columns.insert(-1, "within_budget")
        if not (self.table["precision"] == "fast").any():
            columns.remove("precision")
        shown = self.table[columns].assign(method=self.table["method"].str.removeprefix("@upscalerjs/"))
        return shown.round({column: int(spec[1:-1]) for column, spec in TABLE_FORMATS.items() if column in columns})


def recommend(
    image: ImageInput,
    *,
    scale: int | None = None,
    task: str | None = None,
    target: str = "browser",
    budget_seconds: float | None = None,
    budget_memory_mib: float | None = None,
    models: Sequence[str] | None = None,
    degradation: str | None = None,
    rank_by: str | None = None,
    crop: int | None = None,
    max_seconds: float | None = None,
    status: Status | None = None,
) -> Recommendation:
    """Measure the candidate models on a picture and recommend one, with its settings and code.

    Parameters
    ----------
    image : path, bytes, PIL.Image.Image or ndarray
        The user's picture. For upscaling it is the original of the reference
        protocol (a crop is shrunk and enlarged again); for restoration it is
        the clean image a synthetic degradation is applied to.
    scale : int, optional
        Upscale by this factor; give this or ``task``.
    task : str, optional
        A restoration task (``deblurring``, ``denoising``, ``deraining``,
        ``dehazing``, ``low-light-enhancement``).
    target : {"browser", "node", "python"}, default "browser"
        Where the model will run; the code is for it.
    budget_seconds : float, optional
        Longest acceptable whole-picture run on this machine.
    budget_memory_mib : float, optional
        Most extra memory one model call may take (the device's budget):
        patch settings are chosen within it (measured in a fresh process).
    models : sequence of str, optional
        Models to try instead of the default set (:func:`~explorer.recommend.candidates.candidates`).
    degradation : str, optional
        For a task: the synthetic degradation (default: the task's first).
    rank_by : str, optional
        The quality measure (default ``psnr_y`` for upscaling, ``psnr_rgb`` for
        restoration, as the benchmarks rank).
    crop : int, optional
        Side of the central crop scored (default :func:`~explorer.recommend.measure.crop_side`).
    max_seconds : float, optional
        Stop with :class:`~explorer.errors.WorkLimitError` once this long has
        passed (checked before each model run; a server's bound on a request).
        Patch advice stops at the same deadline and is then left out.
    status : callable, optional
        Told what is being measured.

    Returns
    -------
    Recommendation

    Raises
    ------
    ExplorerError
        Bad arguments (scale and task, target, budgets, measure), a picture too small to score.
    WorkLimitError
        Measuring outlasted ``max_seconds``.

    Examples
    --------
    >>> found = recommend("photo.png", scale=2, target="browser", budget_seconds=2)  # doctest: +SKIP
    >>> found.table[["rank", "method", "psnr_y", "hf_ratio", "seconds"]]            # doctest: +SKIP
    >>> print(found.sentence, found.code, sep="\\n")                                 # doctest: +SKIP
    """
    started = time.monotonic()
    check_target(target)
    limits = {"budget_seconds": budget_seconds, "budget_memory_mib": budget_memory_mib, "max_seconds": max_seconds}
    for name, budget in limits.items():
        if budget is not None and not budget > 0:
            raise ExplorerError(f"{name} must be above 0, got {budget}.")
    specs = candidates(scale=scale, task=task, target=target, models=models)
    measure = check_measure(rank_by or ("psnr_y" if task is None else "psnr_rgb"))
    if task is not None:
        choices = degradations_for(task)
        degradation = degradation or choices[0]
        if degradation not in choices:
            raise ExplorerError(f"{degradation!r} does not test {task}; choose from {', '.join(choices)}.")
    elif degradation is not None:
        raise ExplorerError("A degradation is for a restoration task; drop it when upscaling.")
    rgb = load_image(image).rgb
    say = _bounded(status, started, max_seconds)
    side = crop or crop_side(scale or 1)
    precisions = PRECISIONS if target == "python" else ("exact",)
    if task is None:
        measured = measure_upscaling(rgb, specs, scale, side=side, check=say, status=status, precisions=precisions)
    else:
        measured = measure_restoration(
            rgb, specs, task, degradation, side=side, check=say, status=status, precisions=precisions
        )
    ranked = rank(measured.table, measure, budget_seconds)
    chosen = choose(ranked)
    spec, precision = get_spec(str(chosen["method"])), str(chosen["precision"])
    notes = [*measured.notes] if target == "python" else [PRECISION_NOTE]
    left = None if max_seconds is None else max(max_seconds - (time.monotonic() - started), 1e-3)
    budgets = (budget_seconds, budget_memory_mib)
    advice, line = _advice(spec, precision, rgb, target, float(chosen["seconds"]), budgets, left, say)
    if advice is None and not line.startswith("whole image"):
        notes.append(line)
    patch, pad = (advice.patch_size, advice.padding) if advice else (None, None)
    return Recommendation(
        model=spec.id,
        precision=precision,
        patch_size=patch,
        padding=pad,
        sentence=why_first(ranked, measure, budget_seconds),
        settings_line=line,
        seams_note=seams_note(spec, advice, budget_memory_mib) if target == "browser" and spec.scale == 1 else "",
        code=_code(spec, target, patch, pad, precision),
        target=target,
        table=ranked,
        front=pareto_front(ranked),
        measure=measure,
        scale=spec.scale,
        task=spec.task,
        degradation=measured.degradation,
        image_size=rgb.shape[:2],
        crop=measured.crop,
        seconds=time.monotonic() - started,
        notes=tuple(notes),
        advice=advice,
    )


def _code(spec: ModelSpec, target: str, patch: int | None, pad: int | None, precision: str) -> str:
    """The code for the target; the python target carries the precision (UpscalerJS has no choice of it)."""
    extra = {"precision": precision} if target == "python" else {}
    return generate(spec, target, patch_size=patch, padding=pad, **extra)


def _json_value(value: object) -> object:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


def _bounded(status: Status | None, started: float, max_seconds: float | None) -> Status:
    """Pass a step to ``status``, refusing to start it once ``max_seconds`` have passed."""

    def check(message: str) -> None:
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            raise WorkLimitError(
                f"Recommend was stopped after {max_seconds:g} s, this server's limit for one request. Use a smaller "
                "picture, fewer models, or a scale with lighter models."
            )
        if status is not None:
            status(message)

    return check


def _advice(
    spec: ModelSpec, precision: str, rgb: np.ndarray, target: str, seconds: float,
    budgets: tuple[float | None, float | None],
    left: float | None, say: Status,
) -> tuple[Advice | None, str]:  # fmt: skip
    """The patch advice for the chosen model on the whole picture, or None and the line that stands for it.

    Measuring patch settings is only worth its cost where they can change the
    answer: a memory budget, a picture too large to run whole, or a
    restoration model in the browser (whose seams are what its users hit).
    Otherwise the whole image wins the Advise rules outright: one call and no seams.
    """
    budget_seconds, budget_memory_mib = budgets
    height, width = rgb.shape[:2]
    runs_whole = height * width * spec.scale**2 <= auto_tile_for(spec).max_output_pixels
    restoring_in_browser = spec.scale == 1 and target == "browser"
    if runs_whole and budget_memory_mib is None and not restoring_in_browser:
        return None, f"whole image: 1 call, ≈{seconds:.2g} s estimated from the crop, no seams"
    say(f"Choosing patch size and padding for {spec.short_id} on the whole {width}×{height} picture")
    sizes, paddings = (RESTORATION_PATCH_SIZES, RESTORATION_PADDINGS) if spec.scale == 1 else (ADVICE_PATCH_SIZES, PADDINGS)
    try:
        advice = advise(
            Upscaler(spec, precision=precision), rgb, budget_seconds=budget_seconds, budget_memory_mib=budget_memory_mib,
            patch_sizes=sizes, paddings=paddings, status=say, max_seconds=left,
        )  # fmt: skip
    except WorkLimitError:
        return None, "Patch advice ran out of time: the code runs the whole image (tiled automatically when large)."
    except ExplorerError as error:
        return None, f"{error} The code runs the whole image (tiled automatically when large)."
    return advice, advice.line


def seams_note(spec: ModelSpec, advice: Advice | None, budget_memory_mib: float | None) -> str:
    """For a restoration model in the browser: the patch size that keeps seams invisible, or that none does and the cost.

    MAXIM mixes information across the whole patch, so patching changes its
    output at every patch boundary (UpscalerJS #1300); the advice's
    measurements on the user's picture say by how much.
    """
    name = spec.short_id
    if advice is None:
        return (
            f"{name}'s seams were not measured (the advice was cut short), so patch it only if the whole image does "
            "not fit."
        )
    memory = f" within {budget_memory_mib:g} MiB" if budget_memory_mib is not None else ""
    patched = [c for c in advice.candidates if c.patch_size is not None and c.seam_levels is not None]
    fits = [c for c in patched if budget_memory_mib is None or (math.inf if c.memory_mib is None else c.memory_mib) <= budget_memory_mib]
    clean = [c for c in fits if c.seam_levels <= 1]
    if clean:
        best = min(clean, key=lambda c: c.seconds)
        return f"In the browser, {best.label} keeps {name}'s seams invisible (≤ 1 level){memory} on this picture."
    whole = next((c for c in advice.candidates if c.patch_size is None), None)
    closest = min(fits or patched, key=lambda c: (c.seam_levels, c.seconds)) if (fits or patched) else None
    head = f"No patch size keeps {name}'s seams invisible{memory} on this picture"
    if closest:
        head += f": the least visible, {closest.label}, still differs from the whole image by up to {closest.seam_levels} levels"
    if whole is None:
        return f"{head}; the picture is too large to run whole, so seams are the cost of running it at this size."
    if whole.memory_mib is None:
        return (
            f"{head}; only the whole image has none (one call, ≈{whole.seconds:.2g} s here): give your device's memory "
            "budget to learn whether it fits."
        )
    over = budget_memory_mib is not None and whole.memory_mib > budget_memory_mib
    cost = f"≈{whole.memory_mib:.0f} MiB for its one call (measured here, TensorFlow on the CPU)"
    return f"{head}; only the whole image has none, and it needs {cost}{', over your budget' if over else ''}."
