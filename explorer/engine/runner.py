"""Loaded models and their calling contract.

A :class:`LoadedModel` is a model file loaded once per process (see
:mod:`explorer.engine.loaded_models`, which keeps them), with its traced
function and the runtimes chosen for it.

A :class:`ModelRunner` is a loaded model with what its spec says about calling
it (like spandrel's model descriptor): zeros on the right and bottom up to the
model's side multiple, pixels scaled to its input range, the run itself, the
output checked against the scale, clipped, scaled to [0, 255], rounded, and
cropped back to the image.
"""

from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer import settings
from explorer.engine.cpu import bf16_units, cpu_name
from explorer.engine.formats.detect import ModelFile
from explorer.engine.precision import FastVerdict, judge, measure_fidelity, unavailable
from explorer.engine.registry import ModelSpec
from explorer.engine.runtimes import (
    OpenVinoFunction,
    TracedFunction,
    choice_key,
    differing_probe,
    openvino_installed,
    record_choice,
    record_verdict,
    recorded_choice,
    recorded_verdict,
    tensorflow_bf16,
    time_ratio,
)
from explorer.engine.tiling import round_up_to_multiple
from explorer.errors import ModelFormatError, SettingsError

__all__ = [
    "BATCH_PIXELS",
    "MAX_BATCH",
    "LoadedModel",
    "ModelRunner",
    "padded_size",
]

BATCH_PIXELS = 256 * 256
"""Same-size patches run together up to this many input pixels per call. Measured on 2 cores, 25 patches took
0.88 (batches of 4), 0.83 (8) and 0.83 (16) of their one-by-one time at 64² on default-model, and 0.83, 0.78
and 0.74 at 48² on esrgan-slim/4x."""

MAX_BATCH = 16
"""And at most this many patches per call (a deadline is checked between calls)."""


@dataclass
class LoadedModel:
    """A model file loaded once per process, with its traced function and the runtimes chosen for it.

    Attributes
    ----------
    file : ModelFile
        The loaded file: forward function, format, parameters, summary.
    load_seconds : float
        Time spent reading and building it.
    traced : TracedFunction
        The TensorFlow function (one trace per model where the model allows, else per shape).
    runtime_note : str
        Which runtime runs it exactly and why.
    memory_bytes : int
        Resident memory its loading added to the process (at least its weights
        as float32); what the cache's budget counts. Loads running at the same
        time each count the other's too: an overestimate, never an under.
    reloaded : bool
        True when this file had been loaded before in this process and the
        cache let it go to stay within its budget.
    """

    file: ModelFile
    load_seconds: float
    memory_bytes: int = 0
    reloaded: bool = False
    traced: TracedFunction = field(init=False)
    runtime_note: str = "TensorFlow"
    _runtime: Callable = field(init=False, repr=False)
    _chosen: bool = field(default=False, repr=False)
    _fast: Callable | None = field(default=None, repr=False)
    _verdict: FastVerdict | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.traced = TracedFunction(self.file.forward, polymorphic=True)
        self._runtime = self.traced

    @property
    def runtime(self) -> str:
        """``"tensorflow"`` or ``"openvino"``: what runs the model exactly now."""
        return self._runtime.name

    def predict(self, batch: np.ndarray, *, fast: bool = False) -> tuple[np.ndarray, bool]:
        """Run one ``[N, H, W, 3]`` float32 batch, in bf16 when ``fast`` and the fast verdict allows.

        Returns
        -------
        tuple
            ``(raw output, traced)``; ``traced`` is True when this call traced
            the model (its first call, or a new shape for a graph model).
        """
        runtime = self._fast if fast and self._fast is not None else self._runtime
        return runtime(batch)

    def choose_exact(self, probes: Callable[[], list[np.ndarray]], to_pixels: Callable) -> str:
        """Choose between TensorFlow and OpenVINO for this model, once, now (see :mod:`.runtimes`); return the note.

        Nothing happens when ``$UPSCALER_EXPLORER_RUNTIME`` is ``tensorflow``,
        OpenVINO is not installed, or the model is a graph model. In ``auto``
        mode a verdict kept from an earlier process is applied (converting the
        model if OpenVINO won); else it is measured now and kept. ``openvino``
        takes OpenVINO whenever its pixels are exact. Made before the model's
        first call, so no conversion or measurement runs beside a user's calls.
        """
        with self._lock:
            if self._chosen:
                return self.runtime_note
            mode = settings.runtime()
            if mode != "tensorflow" and self.file.format != "tfjs-graph":  # graph models (MAXIM: 2 GB, Einsum) stay
                if openvino_installed():
                    self._choose(probes, to_pixels, forced=mode == "openvino")
                elif mode == "openvino":
                    raise SettingsError("UPSCALER_EXPLORER_RUNTIME=openvino needs the openvino package: pip install openvino.")
            self._chosen = True
            return self.runtime_note

    def _concrete(self, probes: Callable[[], list[np.ndarray]]) -> Any:
        if self.traced.concrete() is None:
            self.traced(probes()[0])  # trace once (the model's first call happens here, not in a user's)
        return self.traced.concrete()

    def _choose(self, probes: Callable[[], list[np.ndarray]], to_pixels: Callable, *, forced: bool) -> None:
        key = choice_key(self.file.path)
        kept = None if forced else recorded_choice(key)
        try:
            concrete = self._concrete(probes)
            if concrete is None:
                return  # traced per shape: nothing to convert
            if kept is not None:
                if kept["runtime"] == "openvino":
                    self._runtime = OpenVinoFunction(concrete)
                self.runtime_note = f"{kept['note']} (measured earlier on this machine)"
                return
            candidate = OpenVinoFunction(concrete)
            samples = probes()
            differs = differing_probe(candidate, self.traced, samples, to_pixels)
            ratio = time_ratio(candidate, self.traced, max(samples, key=lambda probe: probe.size))
        except Exception as error:  # noqa: BLE001 - any failure leaves TensorFlow in charge, and says why
            self.runtime_note = f"TensorFlow (OpenVINO could not run it: {type(error).__name__})"
            return
        timing = f"OpenVINO took {ratio:.2f}× TensorFlow's time"
        if differs:
            self.runtime_note = f"TensorFlow (OpenVINO's pixels differ on {differs})"
        elif forced or ratio < 0.95:
            self._runtime = candidate
            self.runtime_note = f"OpenVINO (same pixels; {timing}; converted in {candidate.convert_seconds:.1f} s)"
        else:
            self.runtime_note = f"TensorFlow (OpenVINO gives the same pixels but is not faster here: {timing})"
        if not forced:
            record_choice(key, self._runtime.name, self.runtime_note)

    def fast_verdict(self, probes: Callable[[], list[np.ndarray]], to_pixels: Callable) -> FastVerdict:
        """Whether ``precision="fast"`` runs bf16 for this model on this CPU (see :mod:`.precision`), decided once.

        Where the CPU has no bf16 units (or ``$UPSCALER_EXPLORER_BF16`` is
        ``off``) nothing is measured. Else a verdict kept for this model file,
        CPU and runtime versions is applied (building the winning runtime);
        without one, every bf16 runtime is measured against exact now, on
        real photo crops, and the verdict kept.
        """
        units = bf16_units()  # read each time (cheap): no bf16 says so without measuring or keeping anything
        if units is None:
            cpu = cpu_name()
            why = "bf16 is off (UPSCALER_EXPLORER_BF16=off)" if settings.bf16() == "off" else (
                f"this CPU ({cpu}) has no bf16 units (AMX or AVX512-BF16)")  # fmt: skip
            return unavailable(cpu, why)
        with self._lock:
            if self._verdict is not None:
                return self._verdict
            cpu = cpu_name()
            self.choose_exact(probes, to_pixels)
            key = f"{choice_key(self.file.path)}|bf16 units {units}"
            kept = recorded_verdict(key)
            if kept is not None:
                verdict = FastVerdict.from_dict(kept)
                if verdict.used:
                    self._fast = self._bf16_runtime(verdict.runtime, probes)
                self._verdict = verdict
                return verdict
            self._verdict = self._measure_fast(cpu, probes, to_pixels)
            record_verdict(key, self._verdict.as_dict())
            return self._verdict

    def _bf16_runtime(self, name: str | None, probes: Callable[[], list[np.ndarray]]) -> Callable:
        if name == "openvino bf16":
            return OpenVinoFunction(self._concrete(probes), "bf16")
        return tensorflow_bf16(self.file.path)

    def _measure_fast(self, cpu: str, probes: Callable[[], list[np.ndarray]], to_pixels: Callable) -> FastVerdict:
        samples = probes()
        exact = [to_pixels(self._runtime(sample)[0]) for sample in samples]
        layers = self.file.keras_model is not None  # graph models (MAXIM) stay out of OpenVINO, as for exact
        names = (["openvino bf16"] if layers and openvino_installed() else []) + ["tensorflow bf16"]
        measured, runtimes = [], {}
        for name in names:
            try:
                candidate = self._bf16_runtime(name, probes)
                fidelity = measure_fidelity(exact, [to_pixels(candidate(sample)[0]) for sample in samples])
                speedup = 1 / time_ratio(candidate, self._runtime, max(samples, key=lambda sample: sample.size))
            except Exception:  # noqa: BLE001 - a runtime that cannot run the model is left out of the verdict
                continue
            measured.append((name, speedup, fidelity))
            runtimes[name] = candidate
        verdict = judge(cpu, measured)
        if verdict.used:
            self._fast = runtimes[verdict.runtime]
        return verdict


def padded_size(spec: ModelSpec, height: int, width: int, patch_size: int | None) -> tuple[int, int]:
    """The ``(height, width)`` a ``height``×``width`` image is zero-padded to for ``spec`` (see :meth:`ModelRunner.pad`)."""
    factor = spec.divisibility_factor
    if not factor:
        return height, width
    if patch_size is None:
        return round_up_to_multiple(height, factor), round_up_to_multiple(width, factor)
    return max(height, patch_size), max(width, patch_size)


@dataclass(frozen=True)
class ModelRunner:
    """A loaded model and its calling contract, taken from its spec.

    Attributes
    ----------
    spec : ModelSpec
        Scale, input and output range, side multiple (``divisibility_factor``).
    model : LoadedModel
    precision : {"exact", "fast"}
        ``fast`` runs bf16 where :meth:`prepare` found it faithful and faster on this CPU.
    """

    spec: ModelSpec
    model: LoadedModel
    precision: str = "exact"

    def prepare(self) -> FastVerdict | None:
        """Make the runtime decisions now, before the first call: the exact runtime, and for ``fast`` the verdict.

        Kept verdicts are reused (per model file and CPU); a missing one is
        measured here, once. Returns the fast verdict (None for ``exact``).
        """
        self.model.choose_exact(self._probes, self.to_pixels)
        return self.model.fast_verdict(self._probes, self.to_pixels) if self.precision == "fast" else None

    def pad(self, rgb: np.ndarray, patch_size: int | None) -> np.ndarray:
        """Zeros on the right and bottom as the model needs: up to its side multiple, or to a whole patch.

        A whole image (``patch_size=None``) grows to multiples of the model's
        ``divisibility_factor``; with patches (whose size is already a multiple
        of it), an image smaller than a patch grows to the patch. Models
        without a factor take any size and get the image as it is.
        """
        height, width = rgb.shape[:2]
        target = padded_size(self.spec, height, width, patch_size)
        if target == (height, width):
            return rgb
        return np.pad(rgb, ((0, target[0] - height), (0, target[1] - width), (0, 0)))

    def __call__(self, pixels: np.ndarray) -> tuple[np.ndarray, bool]:
        """Upscale one H×W×3 uint8 array (a padded image or a patch of it), or a stack of N same-size ones.

        Returns
        -------
        tuple
            ``(output, traced)``: the ``(H*scale, W*scale, 3)`` uint8 output
            (``(N, H*scale, W*scale, 3)`` for a stack) and whether this call
            traced the model.

        Raises
        ------
        ModelFormatError
            The model's output does not have the spec's scale.
        """
        stack = pixels if pixels.ndim == 4 else pixels[None]
        output, traced = self.model.predict(self.to_input_range(stack), fast=self.precision == "fast")
        expected = (stack.shape[0], stack.shape[1] * self.spec.scale, stack.shape[2] * self.spec.scale, 3)
        if output.shape != expected:
            raise ModelFormatError(
                f"{self.spec.id} returned {output.shape[1:]} for a {stack.shape[1:]} input; expected {expected[1:]}. "
                "Check the model's scale."
            )
        output = self.to_pixels(output)
        return (output if pixels.ndim == 4 else output[0]), traced

    def batch_size(self, height: int, width: int) -> int:
        """How many ``height``×``width`` patches to run in one call: up to :data:`BATCH_PIXELS` and :data:`MAX_BATCH`."""
        return max(1, min(MAX_BATCH, BATCH_PIXELS // (height * width)))

    @property
    def runtime(self) -> str:
        """What runs the model now: ``"tensorflow"`` or ``"openvino"``."""
        return self.model.runtime

    def crop(self, output: np.ndarray, height: int, width: int) -> np.ndarray:
        """The output of an ``height``×``width`` image, without what :meth:`pad` added (contiguous)."""
        scale = self.spec.scale
        return np.ascontiguousarray(output[: height * scale, : width * scale])

    def warmup(self, shapes: Iterable[tuple[int, int]]) -> None:
        """Trace and run the model once per ``(height, width)``, so later calls of those shapes are fast."""
        for height, width in shapes:
            self.model.predict(np.zeros((1, height, width, 3), np.float32))

    def choose_runtime(self) -> str:
        """Decide now between TensorFlow and OpenVINO (if not decided yet); return the runtime's note."""
        return self.model.choose_exact(self._probes, self.to_pixels)

    def _probes(self) -> list[np.ndarray]:
        """Real photo crops in the model's input range, to check another runtime's pixels against TensorFlow's."""
        from PIL import Image

        with Image.open(importlib.resources.files("explorer") / "examples" / "astronaut.png") as photo:
            rgb = np.asarray(photo.convert("RGB"))
        factor = self.spec.divisibility_factor or 1
        sides = [(round_up_to_multiple(h, factor), round_up_to_multiple(w, factor)) for h, w in ((48, 64), (96, 128))]
        return [self.to_input_range(rgb[None, :h, :w]) for h, w in sides]

    def to_input_range(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 pixels (any shape) as the model's float32 input: [0, 255] or [0, 1]."""
        batch = pixels.astype(np.float32)
        if self.spec.input_range[1] == 1:
            batch *= np.float32(1 / 255)
        return batch

    def to_pixels(self, output: np.ndarray) -> np.ndarray:
        """The model's raw output clipped to its range, scaled to [0, 255] and rounded to uint8."""
        high = self.spec.output_range[1]
        values = np.clip(output, 0, high)
        if high == 1:
            values = values * np.float32(255)
        return np.rint(values).astype(np.uint8)
