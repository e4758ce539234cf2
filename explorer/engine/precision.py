"""The precision a model runs at, and the rule that lets the fast one run.

``exact`` (the default) is fp32: the pixels every comparison with UpscalerJS
uses. ``fast`` is bf16 arithmetic where the CPU has bf16 units (AMX or
AVX512-BF16; see :func:`explorer.engine.cpu.bf16_units`), through whichever
runtime is faster here (OpenVINO's bf16, TensorFlow with its convolutions in
bf16). It is never assumed to be good enough: per model and CPU, the fast path
is measured against exact on real photo crops, once, and used only if it is
faithful (at least :data:`MIN_FAST_PSNR_DB` dB and at most
:data:`MAX_FAST_LEVELS` levels from exact) and faster (at least
:data:`MIN_FAST_SPEEDUP` times). Otherwise exact runs, and the
:class:`FastVerdict` says why. UpscalerJS's own backends differ from each
other by about a level (WebGL against wasm), which is the class of difference
allowed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from explorer.errors import SettingsError

__all__ = [
    "MAX_FAST_LEVELS",
    "MIN_FAST_PSNR_DB",
    "MIN_FAST_SPEEDUP",
    "PRECISIONS",
    "FastVerdict",
    "Fidelity",
    "check_precision",
    "unavailable",
    "judge",
    "measure_fidelity",
]

PRECISIONS = ("exact", "fast")
"""``exact``: fp32; ``fast``: bf16 where measured faithful and faster on this CPU, else exact."""

MIN_FAST_PSNR_DB = 50.0
"""The fast path must stay at least this close to exact (PSNR over every probe pixel, RGB)."""

MAX_FAST_LEVELS = 2
"""And no output value may differ from exact by more than this many levels (of 255)."""

MIN_FAST_SPEEDUP = 1.1
"""And it must take at most 1/1.1 of exact's time, measured side by side."""


def check_precision(precision: str) -> str:
    """Return ``precision`` in lower case if it is one of :data:`PRECISIONS`; else raise :class:`SettingsError`."""
    text = str(precision).strip().lower()
    if text not in PRECISIONS:
        raise SettingsError(f"precision={precision!r} is not valid: use 'exact' (fp32, the default) or 'fast' (bf16 where faithful).")
    return text


@dataclass(frozen=True)
class Fidelity:
    """How far a fast output is from the exact one, in 8-bit levels.

    Attributes
    ----------
    psnr_db : float
        PSNR over every value of every probe (inf when identical).
    max_levels : int
        The largest difference of one value.
    differing : float
        The fraction of values that differ at all.
    """

    psnr_db: float
    max_levels: int
    differing: float

    @property
    def faithful(self) -> bool:
        """True when within :data:`MIN_FAST_PSNR_DB` and :data:`MAX_FAST_LEVELS`."""
        return self.psnr_db >= MIN_FAST_PSNR_DB and self.max_levels <= MAX_FAST_LEVELS

    def text(self) -> str:
        """``56.9 dB, max 1 level`` (what every fast result shows)."""
        psnr = "identical" if math.isinf(self.psnr_db) else f"{self.psnr_db:.1f} dB"
        return f"{psnr}, max {self.max_levels} level{'' if self.max_levels == 1 else 's'}"


def measure_fidelity(exact: Sequence[np.ndarray], fast: Sequence[np.ndarray]) -> Fidelity:
    """Compare fast outputs with exact ones (uint8 arrays of equal shapes, pairwise)."""
    if len(exact) != len(fast) or not exact or any(a.shape != b.shape for a, b in zip(exact, fast)):
        raise ValueError("measure_fidelity needs the same number of outputs, pairwise of the same shape.")
    differences = np.concatenate([np.abs(a.astype(np.int16) - b.astype(np.int16)).ravel() for a, b in zip(exact, fast)])
    mse = float(np.mean(differences.astype(np.float64) ** 2))
    psnr = math.inf if mse == 0 else 10 * math.log10(255**2 / mse)
    return Fidelity(psnr_db=psnr, max_levels=int(differences.max()), differing=float(np.mean(differences > 0)))


@dataclass(frozen=True)
class FastVerdict:
    """Whether ``precision="fast"`` runs bf16 for a model on this CPU, measured once, and why.

    Attributes
    ----------
    used : bool
        True when fast runs bf16; False when exact runs instead.
    reason : str
        One line a user reads: what runs, and the measurement or the missing units behind it.
    cpu : str
        The CPU it was measured on.
    runtime : str or None
        The best bf16 runtime measured (``"openvino bf16"``, ``"tensorflow bf16"``); None when none was.
    speedup : float or None
        Exact's time over that runtime's, side by side on a real photo crop.
    psnr_db, max_levels : float, int or None
        Its fidelity against exact on real photo crops.
    """

    used: bool
    reason: str
    cpu: str
    runtime: str | None = None
    speedup: float | None = None
    psnr_db: float | None = None
    max_levels: int | None = None

    def as_dict(self) -> dict:
        """JSON-ready values (kept in the cache folder, returned by the API)."""
        values = asdict(self)
        if values["psnr_db"] is not None and math.isinf(values["psnr_db"]):
            values["psnr_db"] = None  # JSON has no infinity; max_levels 0 says identical
        return values

    @classmethod
    def from_dict(cls, values: dict) -> FastVerdict:
        """The verdict :meth:`as_dict` wrote."""
        fields = {key: values.get(key) for key in cls.__dataclass_fields__}
        if fields["psnr_db"] is None and fields["max_levels"] == 0:
            fields["psnr_db"] = math.inf
        return cls(**fields)

    def fidelity_text(self) -> str:
        """``56.9 dB, max 1 level from exact`` for a measured verdict, '' otherwise."""
        if self.psnr_db is None or self.max_levels is None:
            return ""
        return f"{Fidelity(self.psnr_db, self.max_levels, math.nan).text()} from exact"


def unavailable(cpu: str, why: str) -> FastVerdict:
    """The verdict where bf16 is not even tried: ``why`` says what is missing."""
    return FastVerdict(False, f"exact runs: {why}", cpu)


def judge(cpu: str, measured: Sequence[tuple[str, float, Fidelity]]) -> FastVerdict:
    """The verdict from side-by-side measurements of bf16 runtimes: ``(runtime, speed-up, fidelity)`` each.

    The fastest faithful runtime wins if it is at least :data:`MIN_FAST_SPEEDUP`
    times faster than exact; with none faithful, the closest one is reported.
    """
    if not measured:
        return FastVerdict(False, "exact runs: no bf16 runtime could run this model", cpu)
    faithful = [entry for entry in measured if entry[2].faithful]
    runtime, speedup, fidelity = (
        max(faithful, key=lambda entry: entry[1]) if faithful else max(measured, key=lambda entry: entry[2].psnr_db)
    )
    facts = f"{runtime} at {speedup:.2f}× exact's speed, {fidelity.text()} from exact"
    if not faithful:
        reason = (
            f"exact runs: bf16 is not faithful enough ({facts}; needs ≥ {MIN_FAST_PSNR_DB:.0f} dB and "
            f"≤ {MAX_FAST_LEVELS} levels)"
        )
    elif speedup < MIN_FAST_SPEEDUP:
        reason = f"exact runs: bf16 is not faster here ({facts})"
    else:
        reason = f"bf16 runs: {facts}"
    used = bool(faithful) and speedup >= MIN_FAST_SPEEDUP
    return FastVerdict(used, reason, cpu, runtime, speedup, fidelity.psnr_db, fidelity.max_levels)
