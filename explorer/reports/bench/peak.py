"""What the machine can do, measured beside each model: a convolution's FLOP rate, the paper figure, peak memory.

A model's GFLOP/s only means something next to what this machine reaches on
the same kind of work at the same moment (the CPU may be shared). So each
speed row also times a 3×3 convolution of 64 to 64 channels on a 256×256
input in the same process: the *measured conv peak*. The *paper* figure is
cores × clock × FLOPs per cycle from the CPU's vector flags (two FMA units),
an upper bound no real convolution reaches.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np

from explorer.engine._tf import import_tensorflow
from explorer.engine.memory import peak_memory_mib

__all__ = ["CONV_PEAK_SHAPE", "conv_peak_gflop_s", "paper_gflop_s", "peak_memory_mib"]

CONV_PEAK_SHAPE = (256, 256, 64, 64)
"""Height, width, input and output channels of the reference 3×3 convolution."""


def conv_peak_gflop_s(repeats: int = 9) -> float:
    """GFLOP/s of a traced 3×3 64→64 convolution on 256² in TensorFlow (median of ``repeats`` calls)."""
    tf = import_tensorflow()
    height, width, c_in, c_out = CONV_PEAK_SHAPE
    rng = np.random.default_rng(0)
    inputs = tf.constant(rng.random((1, height, width, c_in), np.float32))
    kernel = tf.constant(rng.random((3, 3, c_in, c_out), np.float32))
    convolve = tf.function(lambda batch: tf.nn.conv2d(batch, kernel, 1, "SAME"))
    convolve(inputs).numpy()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        convolve(inputs).numpy()
        seconds.append(time.perf_counter() - start)
    return 2 * 9 * c_in * c_out * height * width / statistics.median(seconds) / 1e9


def paper_gflop_s(cpuinfo: str | None = None, cores: int | None = None) -> float:
    """The CPU's fp32 peak on paper: cores × clock (GHz) × FLOPs per cycle; NaN if unknown.

    FLOPs per cycle assume two FMA units per core: 64 with AVX-512, 32 with
    AVX2 and FMA, 8 otherwise (SSE). The clock is the one ``/proc/cpuinfo``
    reports, which may be below the boost clock.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return float("nan")
    megahertz = flags = None
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "cpu MHz" and megahertz is None:
            megahertz = float(value)
        elif key.strip() == "flags" and flags is None:
            flags = set(value.split())
    if megahertz is None or flags is None:
        return float("nan")
    per_cycle = 64 if "avx512f" in flags else 32 if {"avx2", "fma"} <= flags else 8
    cores = cores or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return cores * megahertz / 1e3 * per_cycle
