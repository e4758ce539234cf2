"""What this CPU is: its name, its cores, its feature flags and whether it has bf16 units.

Runtime and precision verdicts are kept per CPU (a verdict measured on one
machine says nothing about another), and the fast precision needs native
bf16 arithmetic: AMX tiles (``amx_bf16``) or AVX-512 BF16 (``avx512_bf16``).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from explorer import settings

__all__ = ["BF16_FLAGS", "bf16_units", "cores", "cpu_flags", "cpu_name", "cpuinfo"]

BF16_FLAGS = {"amx_bf16": "AMX", "avx512_bf16": "AVX512-BF16"}
"""``/proc/cpuinfo`` flags that mean native bf16 arithmetic, and their names, best first."""


def cpuinfo() -> str:
    """The text of ``/proc/cpuinfo`` ('' where there is none)."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_name(text: str | None = None) -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform reports."""
    for line in (cpuinfo() if text is None else text).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or platform.machine()


def cpu_flags(text: str | None = None) -> frozenset[str]:
    """The feature flags of the first CPU in ``/proc/cpuinfo`` (empty where there is none)."""
    for line in (cpuinfo() if text is None else text).splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def bf16_units(flags: frozenset[str] | None = None) -> str | None:
    """The CPU's native bf16 units (``"AMX"`` or ``"AVX512-BF16"``), or None, as ``$UPSCALER_EXPLORER_BF16`` allows.

    With ``UPSCALER_EXPLORER_BF16=off`` this is None on every CPU; with
    ``on`` it names the units, or ``"none (emulated)"`` where there are none.
    """
    mode = settings.bf16()
    if mode == "off":
        return None
    flags = cpu_flags() if flags is None else flags
    found = next((name for flag, name in BF16_FLAGS.items() if flag in flags), None)
    if found is None and mode == "on":
        return "none (emulated)"
    return found
