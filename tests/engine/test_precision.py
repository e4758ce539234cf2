"""The fast precision: bf16 only where this CPU has the units and it was measured faithful and faster."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from explorer import Upscaler
from explorer.engine.cpu import bf16_units, cpu_flags, cpu_name
from explorer.engine.precision import (
    MAX_FAST_LEVELS,
    MIN_FAST_PSNR_DB,
    MIN_FAST_SPEEDUP,
    FastVerdict,
    Fidelity,
    check_precision,
    judge,
    measure_fidelity,
)
from explorer.engine.runtimes import tensorflow_bf16
from explorer.errors import SettingsError
from tests.engine.test_runtimes import fresh_runner, photo

CPUINFO = "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n"


def test_fidelity_is_psnr_and_the_largest_level_difference():
    exact = np.full((4, 5, 3), 100, np.uint8)
    fast = exact.copy()
    fast[0, 0, 0], fast[1, 1, 1] = 102, 99  # squared errors 4 and 1 over 60 values
    fidelity = measure_fidelity([exact, exact], [fast, exact])
    assert fidelity.max_levels == 2 and fidelity.differing == pytest.approx(2 / 120)
    assert fidelity.psnr_db == pytest.approx(10 * math.log10(255**2 / (5 / 120)), abs=1e-9)
    assert measure_fidelity([exact], [exact]).psnr_db == math.inf
    with pytest.raises(ValueError, match="same shape"):
        measure_fidelity([exact], [fast[:2]])


def test_fast_runs_only_when_faithful_and_faster():
    good, off_by_three = Fidelity(56.9, 1, 0.13), Fidelity(60.0, 3, 0.01)
    verdict = judge("Some Xeon", [("openvino bf16", 4.6, good), ("tensorflow bf16", 4.1, good)])
    assert verdict.used and verdict.runtime == "openvino bf16" and verdict.speedup == 4.6
    assert verdict.reason == "bf16 runs: openvino bf16 at 4.60× exact's speed, 56.9 dB, max 1 level from exact"
    slow = judge("Some Xeon", [("openvino bf16", 1.04, good)])
    assert not slow.used and slow.reason.startswith("exact runs: bf16 is not faster here (openvino bf16 at 1.04×")
    unfaithful = judge("Some Xeon", [("openvino bf16", 5.9, off_by_three)])
    assert not unfaithful.used and "not faithful enough" in unfaithful.reason and "max 3 levels" in unfaithful.reason
    assert not judge("Some Xeon", []).used


def test_a_verdict_survives_its_json():
    verdict = judge("Some Xeon", [("tensorflow bf16", 3.0, Fidelity(math.inf, 0, 0.0))])
    kept = json.loads(json.dumps(verdict.as_dict()))
    assert FastVerdict.from_dict(kept) == verdict and kept["psnr_db"] is None


def test_a_bad_precision_is_named():
    assert check_precision(" Fast ") == "fast"
    with pytest.raises(SettingsError, match="precision='bf16' is not valid: use 'exact'.*or 'fast'"):
        check_precision("bf16")
    with pytest.raises(SettingsError, match="precision='half'"):
        Upscaler("default-model", precision="half")


def test_bf16_units_come_from_the_cpu_flags_and_the_setting(monkeypatch):
    flags = cpu_flags(CPUINFO)
    assert cpu_name(CPUINFO) == "Some Xeon"
    assert bf16_units(flags) == "AMX" and bf16_units(frozenset({"avx512_bf16"})) == "AVX512-BF16"
    assert bf16_units(frozenset({"avx2", "fma"})) is None
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "off")
    assert bf16_units(flags) is None  # the path of a CPU without bf16, on any CPU
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "on")
    assert bf16_units(frozenset({"avx2"})) == "none (emulated)"
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "maybe")
    with pytest.raises(SettingsError, match="UPSCALER_EXPLORER_BF16='maybe'.*'auto', 'off' or 'on'"):
        bf16_units(flags)


def test_without_bf16_fast_gives_the_exact_pixels_and_says_why(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "off")
    fast = Upscaler("default-model", precision="fast")
    assert fast.fast is not None and not fast.fast.used
    assert fast.fast.reason == "exact runs: bf16 is off (UPSCALER_EXPLORER_BF16=off)"
    pixels = photo(48, 64)
    result = fast.run(pixels)
    np.testing.assert_array_equal(result.image, Upscaler("default-model").upscale(pixels))
    assert result.report.precision == "exact" and result.report.as_dict()["fast"]["used"] is False
    assert "Fast precision: exact runs: bf16 is off" in result.report.summary()
    assert Upscaler("default-model").run(pixels).report.as_dict()["fast"] is None


@pytest.mark.parametrize("model", ["default-model", "esrgan-slim/4x"])
def test_tensorflow_bf16_stays_within_the_fidelity_bounds(model):
    runner_ = fresh_runner(model)
    bf16 = tensorflow_bf16(runner_.model.file.path)
    pixels = photo(96, 128)  # a real photo crop
    exact = runner_(pixels)[0]
    fast = runner_.to_pixels(bf16(runner_.to_input_range(pixels[None]))[0])[0]
    fidelity = measure_fidelity([exact], [fast])
    assert fidelity.psnr_db >= MIN_FAST_PSNR_DB and fidelity.max_levels <= MAX_FAST_LEVELS
    assert fidelity.differing > 0  # it did run in bf16: not the exact arithmetic


def test_the_fast_verdict_is_measured_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "on")  # measure bf16 even where it is emulated
    first, second = fresh_runner("default-model", "fast"), fresh_runner("default-model", "fast")
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path))  # the verdict goes here; the models are loaded
    verdict = first.prepare()
    assert verdict.runtime in ("openvino bf16", "tensorflow bf16") and verdict.speedup > 0
    assert verdict.psnr_db >= MIN_FAST_PSNR_DB and verdict.max_levels <= MAX_FAST_LEVELS
    kept = json.loads((tmp_path / "precision.json").read_text())
    assert list(kept.values()) == [verdict.as_dict()]
    assert second.prepare() == verdict  # read back, not measured again
    pixels = photo(48, 64)
    output = first(pixels)[0]
    fidelity = measure_fidelity([fresh_runner("default-model")(pixels)[0]], [output])
    if verdict.used:  # bf16 ran: its output is within the bounds on this crop too
        assert fidelity.psnr_db >= MIN_FAST_PSNR_DB and fidelity.max_levels <= MAX_FAST_LEVELS
    else:  # exact ran
        assert fidelity.max_levels == 0


def test_a_graph_model_is_measured_in_bf16_too(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "on")  # measure bf16 even where it is emulated
    runner_ = fresh_runner("maxim-deraining", "fast")  # one of the smaller MAXIM packages
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path))  # the verdict goes here; the model is loaded
    verdict = runner_.prepare()
    assert verdict.runtime == "tensorflow bf16" and verdict.speedup > 0  # its convolutions in bf16
    faithful = verdict.psnr_db >= MIN_FAST_PSNR_DB and verdict.max_levels <= MAX_FAST_LEVELS
    assert verdict.used == (faithful and verdict.speedup >= MIN_FAST_SPEEDUP)
    assert ("not faithful enough" in verdict.reason) == (not faithful)
