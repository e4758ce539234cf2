"""What the machine can do, measured beside each model: a convolution's FLOP rate, the paper figure, peak memory.

A model's GFLOP/s only means something next to what this machine reaches on
the same kind of work at the same moment (the CPU may be shared). So each
speed row also times a 3×3 convolution of 64 to 64 channels on a 256×256
input in the same process: the *measured conv peak*. The *paper* figure is
cores × clock × FLOPs per cycle from the CPU's vector flags (two FMA units),
an upper bound no real convolution reaches.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from explorer.engine._tf import import_tensorflow
from explorer.engine.cpu import cores as usable_cores
from explorer.engine.cpu import cpu_flags, cpuinfo as read_cpuinfo
from explorer.engine.memory import peak_memory_mib
from explorer.engine.runtimes import OpenVinoFunction, openvino_installed

__all__ = ["CONV_PEAK_SHAPE", "conv_peak_bf16_gflop_s", "conv_peak_gflop_s", "paper_gflop_s", "peak_memory_mib"]

CONV_PEAK_SHAPE = (256, 256, 64, 64)
"""Height, width, input and output channels of the reference 3×3 convolution."""


def conv_peak_gflop_s(repeats: int = 9) -> float:
    """GFLOP/s of a traced 3×3 64→64 convolution on 256² in TensorFlow at fp32 (median of ``repeats`` calls)."""
    tf = import_tensorflow()
    inputs, kernel = _conv_operands()
    convolve = tf.function(lambda batch: tf.nn.conv2d(batch, kernel, 1, "SAME"))
    return _rate(lambda: convolve(inputs).numpy(), repeats)


def conv_peak_bf16_gflop_s(repeats: int = 9) -> float:
    """GFLOP/s of the same convolution in bf16: the faster of TensorFlow (bf16 operands) and OpenVINO's bf16.

    On a CPU without bf16 units TensorFlow emulates bf16 and OpenVINO runs f32,
    so this is then no faster than :func:`conv_peak_gflop_s`.
    """
    tf = import_tensorflow()
    inputs, kernel = _conv_operands()
    low = tf.cast(kernel, tf.bfloat16)
    convolve = tf.function(lambda batch: tf.cast(tf.nn.conv2d(tf.cast(batch, tf.bfloat16), low, 1, "SAME"), tf.float32))
    rates = [_rate(lambda: convolve(inputs).numpy(), repeats)]
    if openvino_installed():
        fp32 = tf.function(lambda batch: tf.nn.conv2d(batch, kernel, 1, "SAME"))
        compiled = OpenVinoFunction(fp32.get_concrete_function(tf.TensorSpec(inputs.shape, tf.float32)), "bf16")
        array = inputs.numpy()
        rates.append(_rate(lambda: compiled(array), repeats))
    return max(rates)


def _conv_operands():
    tf = import_tensorflow()
    height, width, c_in, c_out = CONV_PEAK_SHAPE
    rng = np.random.default_rng(0)
    return tf.constant(rng.random((1, height, width, c_in), np.float32)), tf.constant(rng.random((3, 3, c_in, c_out), np.float32))


def _rate(call, repeats: int) -> float:
    height, width, c_in, c_out = CONV_PEAK_SHAPE
    call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return 2 * 9 * c_in * c_out * height * width / statistics.median(seconds) / 1e9


def paper_gflop_s(cpuinfo: str | None = None, cores: int | None = None) -> float:
    """The CPU's fp32 peak on paper: cores × clock (GHz) × FLOPs per cycle; NaN if unknown.

    FLOPs per cycle assume two FMA units per core: 64 with AVX-512, 32 with
    AVX2 and FMA, 8 otherwise (SSE). The clock is the one ``/proc/cpuinfo``
    reports, which may be below the boost clock.
    """
    text = read_cpuinfo() if cpuinfo is None else cpuinfo
    megahertz = next((float(value) for key, _, value in (line.partition(":") for line in text.splitlines())
                      if key.strip() == "cpu MHz"), None)  # fmt: skip
    flags = cpu_flags(text)
    if megahertz is None or not flags:
        return float("nan")
    per_cycle = 64 if "avx512f" in flags else 32 if {"avx2", "fma"} <= flags else 8
    return (cores or usable_cores()) * megahertz / 1e3 * per_cycle
