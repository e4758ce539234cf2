"""Patch-size advice: the patch size and padding that fit a budget, from measurements on this machine.

:func:`advise` weighs three things, each measured rather than assumed:

* **time**: one model call per patch shape is timed here (after its first,
  tracing call) and kept per model and shape for the process; a setting's
  time is its patch count times that;
* **memory** (only when a memory budget is given): the extra peak memory of a
  call, measured in a fresh process (:mod:`explorer.engine.memory`);
* **seams**: the largest difference, in levels of 255, between the tiled and
  the whole-image output on a crop of *your* image about one and a half
  patches wide (so it holds a seam across each axis; a small image is used
  whole). Patches see zeros beyond their padding, so a model whose receptive
  field is wider than the padding changes near each seam; a rule from the
  receptive field alone would be exact for the small RDN models but says
  nothing for RRDN or MAXIM (whose receptive field spans the whole patch), so
  the difference is measured. One level is the rounding floor (two runs of
  the same pixels in different shapes can differ by one level), so a setting
  within one level has no seams anyone can see.

The advice is the fastest setting whose seams stay within the tolerance and
that fits the budgets; without one in budget, the one with the smallest seams
that does. A whole-image run (no seams) is a candidate when the library would
not tile the image by itself.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from explorer.engine.images import ImageInput, load_image
from explorer.engine.memory import run_memory_mib
from explorer.engine.registry import ModelSpec
from explorer.engine.runner import padded_size
from explorer.engine.tiling import auto_tile_for, plan_patches, round_up_to_multiple
from explorer.engine.upscaler import Upscaler
from explorer.errors import ExplorerError, WorkLimitError

__all__ = ["PADDINGS", "PATCH_SIZES", "Advice", "Candidate", "advise", "patch_seconds", "seam_levels"]

PATCH_SIZES = (32, 64, 128, 256, 512)
"""Patch sizes considered (those a model cannot take, or that do not fit the image, are left out)."""

PADDINGS = (0, 2, 4, 8, 16, 32, 64)
"""Paddings considered, smallest first (each must be under half the patch size)."""

_REPEATS = 3
_seconds: dict[tuple[ModelSpec, tuple[int, int]], float] = {}
_seconds_lock = threading.Lock()

Status = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    """One setting that was weighed.

    Attributes
    ----------
    patch_size, padding : int or None
        The setting; ``patch_size`` None means the whole image at once.
    patches : int
        Model calls it makes.
    seconds : float
        Estimated time: patches × the measured time of one call of that shape.
    memory_mib : float or None
        Measured extra peak memory of one call (None when not measured).
    seam_levels : int or None
        Largest |tiled − whole| on the measuring crop (0 for the whole image;
        None when the budget ruled it out before it was measured).
    """

    patch_size: int | None
    padding: int | None
    patches: int
    seconds: float
    memory_mib: float | None
    seam_levels: int | None

    @property
    def label(self) -> str:
        """``64/8``, or ``whole image``."""
        return "whole image" if self.patch_size is None else f"{self.patch_size}/{self.padding}"


@dataclass(frozen=True)
class Advice:
    """What :func:`advise` recommends, and why.

    Attributes
    ----------
    patch_size, padding : int or None
        The advice (``patch_size`` None: run the whole image at once).
    patches, seconds, memory_mib, seam_levels
        As in :class:`Candidate`, for the advice.
    line : str
        The trade-off in one line, e.g. ``64/8: 12 patches, ≈0.4 s, seams ≤ 1 level``.
    seam_box : tuple of int
        ``(top, left, height, width)`` of the crop the seams were measured on.
    candidates : tuple of Candidate
        Every setting weighed, in the order they were measured.
    """

    patch_size: int | None
    padding: int | None
    patches: int
    seconds: float
    memory_mib: float | None
    seam_levels: int
    line: str
    seam_box: tuple[int, int, int, int]
    candidates: tuple[Candidate, ...]


def patch_seconds(upscaler: Upscaler, height: int, width: int) -> float:
    """Seconds one model call on a ``height``×``width`` patch takes here (median of 3, after tracing).

    Measured once per model and shape, then kept for the process. The time
    includes the pre- and post-processing every patch goes through.
    """
    key = (upscaler.spec, (height, width))
    with _seconds_lock:
        if key in _seconds:
            return _seconds[key]
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    side = max(height, width)
    run = lambda: upscaler.run(pixels, patch_size=side, padding=0)
    run()  # the first call traces
    times = []
    for _ in range(_REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    with _seconds_lock:
        _seconds[key] = statistics.median(times)
    return _seconds[key]


def seam_levels(
    upscaler: Upscaler, rgb: np.ndarray, patch_size: int, padding: int, *, whole: np.ndarray | None = None
) -> int:
    """Largest difference (levels of 255) between ``rgb`` upscaled in patches and whole.

    ``whole`` is the whole-image output if already known.
    """
    tiled = upscaler.upscale(rgb, patch_size=patch_size, padding=padding)
    whole = _whole(upscaler, rgb) if whole is None else whole
    return int(np.abs(tiled.astype(np.int16) - whole.astype(np.int16)).max())


def _whole(upscaler: Upscaler, rgb: np.ndarray) -> np.ndarray:
    result = upscaler.run(rgb)
    if result.report.auto_tiled:
        raise ExplorerError(f"A {rgb.shape[1]}×{rgb.shape[0]} crop is too large to run whole with {upscaler.spec.id}.")
    return result.image


def _max_output_pixels(spec: ModelSpec) -> int:
    limit = auto_tile_for(spec).max_output_pixels
    assert limit is not None  # auto_tile_for always sets it
    return limit


def _seam_box(height: int, width: int, patch_size: int) -> tuple[int, int, int, int]:
    side = patch_size + patch_size // 2
    box_h, box_w = min(height, side), min(width, side)
    return (height - box_h) // 2, (width - box_w) // 2, box_h, box_w


def _patch_sizes(spec: ModelSpec, height: int, width: int, sizes: Sequence[int]) -> list[int]:
    factor = spec.divisibility_factor or 1
    limit = _max_output_pixels(spec)
    kept = []
    for size in sorted(set(sizes)):
        _, _, box_h, box_w = _seam_box(height, width, size)
        if size % factor or size >= max(height, width):
            continue  # the model cannot take it, or it is the whole image
        if round_up_to_multiple(box_h, factor) * round_up_to_multiple(box_w, factor) * spec.scale**2 > limit:
            continue  # its seams cannot be measured against a whole-image run
        kept.append(size)
    return kept


def advise(
    upscaler: Upscaler,
    image: ImageInput,
    *,
    budget_seconds: float | None = None,
    budget_memory_mib: float | None = None,
    tolerance: int = 1,
    patch_sizes: Sequence[int] = PATCH_SIZES,
    paddings: Sequence[int] = PADDINGS,
    status: Status | None = None,
    max_seconds: float | None = None,
) -> Advice:
    """Suggest a patch size and padding for this model and image within a budget.

    Parameters
    ----------
    upscaler : Upscaler
        The model.
    image : path, bytes, PIL image or ndarray
        The image to upscale (its size sets the patch count, its content the seams).
    budget_seconds : float, optional
        Longest acceptable run (model time, estimated from measured calls).
    budget_memory_mib : float, optional
        Most extra memory one call may take, in MiB (measured in a fresh
        process: about 10 s more the first time for each model).
    tolerance : int, default 1
        Seams up to this many levels count as invisible (1: the rounding floor).
    patch_sizes : sequence of int
        Patch sizes to weigh (default :data:`PATCH_SIZES`).
    paddings : sequence of int
        Paddings to weigh, smallest first (default :data:`PADDINGS`); fewer
        cost fewer seam measurements, which matters for slow models.
    status : callable, optional
        Receives a line per measurement (they take seconds).
    max_seconds : float, optional
        Longest the measuring may take (a shared server's bound on one request); checked before each
        measurement.

    Returns
    -------
    Advice

    Raises
    ------
    ExplorerError
        If a budget is not positive, or no setting fits the budgets.
    WorkLimitError
        If measuring outlasts ``max_seconds``.
    """
    for name, budget in (("budget_seconds", budget_seconds), ("budget_memory_mib", budget_memory_mib)):
        if budget is not None and not budget > 0:
            raise ExplorerError(f"{name} must be above 0, got {budget}.")
    rgb = load_image(image).rgb
    spec = upscaler.spec
    height, width = rgb.shape[:2]
    say = _bounded(status or (lambda message: None), max_seconds)
    sizes = _patch_sizes(spec, height, width, patch_sizes)
    whole_allowed = height * width * spec.scale**2 <= _max_output_pixels(spec)
    memory = _memory(spec, height, width, sizes, whole_allowed, budget_memory_mib, say)
    candidates: list[Candidate] = []
    if whole_allowed:
        shape = padded_size(spec, height, width, None)
        say(f"Timing a whole-image call ({shape[1]}×{shape[0]}) …")
        candidates.append(Candidate(None, None, 1, patch_seconds(upscaler, *shape), memory.get(shape), 0))
    boxes = {}
    start_at = 0
    for size in sizes:
        frame = padded_size(spec, height, width, size)
        shape = (min(size, frame[0]), min(size, frame[1]))
        if budget_memory_mib is not None and memory.get(shape, np.inf) > budget_memory_mib:
            continue
        say(f"Timing {shape[1]}×{shape[0]} patches …")
        call = patch_seconds(upscaler, *shape)
        top, left, box_h, box_w = boxes[size] = _seam_box(height, width, size)
        crop = rgb[top : top + box_h, left : left + box_w]
        whole = None
        allowed = [pad for pad in sorted(paddings) if 2 * pad < size]
        for index in range(min(start_at, len(allowed) - 1), len(allowed)):
            pad = allowed[index]
            patches = len(plan_patches(*frame, size, pad))
            if budget_seconds is not None and patches * call > budget_seconds:
                candidates.append(Candidate(size, pad, patches, patches * call, memory.get(shape), None))
                break  # more padding only means more patches
            say(f"Measuring seams of {size}/{pad} …")
            whole = _whole(upscaler, crop) if whole is None else whole
            levels = seam_levels(upscaler, crop, size, pad, whole=whole)
            candidates.append(Candidate(size, pad, patches, patches * call, memory.get(shape), levels))
            if levels <= tolerance:
                start_at = max(0, index - 1)  # seams depend on padding far more than on patch size
                break
    return _choose(candidates, boxes, (height, width), budget_seconds, budget_memory_mib, tolerance)


def _bounded(say: Status, max_seconds: float | None) -> Status:
    """``say``, refusing to start another measurement once ``max_seconds`` have passed."""
    if max_seconds is None:
        return say
    deadline = time.monotonic() + max_seconds

    def bounded(message: str) -> None:
        if time.monotonic() >= deadline:
            raise WorkLimitError(
                f"Advice was stopped after {max_seconds:g} s, this server's limit for one request. Use a smaller "
                "image or a time budget, or set the patch size by hand."
            )
        say(message)

    return bounded


def _memory(
    spec: ModelSpec, height: int, width: int, sizes: list[int], whole: bool, budget: float | None, say: Status
) -> dict[tuple[int, int], float]:
    if budget is None:
        return {}
    shapes = []
    for size in sizes:
        frame = padded_size(spec, height, width, size)
        shapes.append((min(size, frame[0]), min(size, frame[1])))
    if whole:
        shapes.append(padded_size(spec, height, width, None))
    say(f"Measuring the memory of {spec.id} in a fresh process …")
    return run_memory_mib(spec, shapes, stop_above_mib=budget)


def _fits(candidate: Candidate, budget_seconds: float | None, budget_memory_mib: float | None) -> bool:
    if budget_seconds is not None and candidate.seconds > budget_seconds:
        return False
    if budget_memory_mib is not None and (candidate.memory_mib is None or candidate.memory_mib > budget_memory_mib):
        return False
    return candidate.seam_levels is not None


def _choose(
    candidates: list[Candidate],
    boxes: dict[int, tuple[int, int, int, int]],
    size: tuple[int, int],
    budget_seconds: float | None,
    budget_memory_mib: float | None,
    tolerance: int,
) -> Advice:
    fitting = [c for c in candidates if _fits(c, budget_seconds, budget_memory_mib)]
    if not fitting:
        raise ExplorerError(_nothing_fits(candidates, size, budget_seconds, budget_memory_mib))
    clean = [c for c in fitting if c.seam_levels <= tolerance]
    best = min(clean, key=lambda c: c.seconds) if clean else min(fitting, key=lambda c: (c.seam_levels, c.seconds))
    box = (0, 0, *size) if best.patch_size is None else boxes[best.patch_size]
    return Advice(
        patch_size=best.patch_size,
        padding=best.padding,
        patches=best.patches,
        seconds=best.seconds,
        memory_mib=best.memory_mib,
        seam_levels=best.seam_levels,
        line=_line(best, clean_within=bool(clean), budgets=(budget_seconds, budget_memory_mib)),
        seam_box=box,
        candidates=tuple(candidates),
    )


def _line(best: Candidate, *, clean_within: bool, budgets: tuple[float | None, float | None]) -> str:
    calls = "1 call" if best.patches == 1 else f"{best.patches} patches"
    memory = f", ≈{best.memory_mib:.0f} MiB" if best.memory_mib is not None else ""
    if best.seam_levels == 0:
        seams = "no seams" if best.patch_size is None else "seams: none (identical to the whole image)"
    elif best.seam_levels == 1:
        seams = "seams ≤ 1 level (the rounding floor)"
    else:
        seams = f"seams up to {best.seam_levels} levels"
    if not clean_within:
        seams += ": the budget leaves no room for more padding"
    budget = [f"{budgets[0]:g} s" if budgets[0] else "", f"{budgets[1]:g} MiB" if budgets[1] else ""]
    within = f" (fastest within {' and '.join(b for b in budget if b)})" if any(budget) and clean_within else ""
    return f"{best.label}: {calls}, ≈{best.seconds:.2g} s{memory}, {seams}{within}"


def _nothing_fits(
    candidates: list[Candidate], size: tuple[int, int], budget_seconds: float | None, budget_memory_mib: float | None
) -> str:
    height, width = size
    budget = " and ".join(
        text
        for text in (
            f"{budget_seconds:g} s" if budget_seconds else "",
            f"{budget_memory_mib:g} MiB" if budget_memory_mib else "",
        )
        if text
    )
    head = f"No patch size fits {budget} for this {width}×{height} image"
    if not candidates:
        return f"{head}. Raise the budget or use a smaller image."
    measured = [c for c in candidates if c.memory_mib is not None]  # settings over the memory budget go unmeasured
    within_memory = candidates if budget_memory_mib is None else [c for c in measured if c.memory_mib <= budget_memory_mib]
    if not within_memory:  # memory is what rules them all out: say it in memory
        if not measured:
            return (
                f"{head}: every setting needs more than {budget_memory_mib:g} MiB of memory. "
                "Raise the memory budget or use a smaller image."
            )
        leanest = min(measured, key=lambda c: c.memory_mib)
        return (
            f"{head}: the one needing the least memory, {leanest.label}, takes ≈{leanest.memory_mib:.0f} MiB. "
            "Raise the memory budget or use a smaller image."
        )
    fastest = min(within_memory, key=lambda c: c.seconds)
    return (
        f"{head}: the fastest measured, {fastest.label}, takes ≈{fastest.seconds:.2g} s. "
        "Raise the time budget or use a smaller image."
    )
