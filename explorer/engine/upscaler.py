"""``Upscaler``: upscale an image with any model, the way UpscalerJS does.

It orchestrates the layers below: the model reference is resolved
(:mod:`~explorer.engine.resolve`), the image validated (:mod:`~explorer.engine.images`),
the patch settings checked and planned (:mod:`~explorer.engine.tiling`), each
piece run by the model's runner (:mod:`~explorer.engine.runner`: its calling
contract), the outputs stitched and cropped, and the image restored to the
input's layout and kind.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from explorer.engine import images
from explorer.engine.formats.detect import ModelFile
from explorer.engine.images import ImageInput, OutputLayout
from explorer.engine.limits import WorkLimits
from explorer.engine.loaded_models import load_model
from explorer.engine.precision import FastVerdict, check_precision
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec
from explorer.engine.request import UpscaleRequest, prepare
from explorer.engine.resolve import ResolvedModel, resolve
from explorer.engine.runner import ModelRunner
from explorer.engine.tiling import TilePlan, stitch

__all__ = ["UpscaleReport", "UpscaleResult", "Upscaler"]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class UpscaleReport:
    """What a run did and how long it took.

    Attributes
    ----------
    model : str
        Model id.
    input_size, output_size : tuple of int
        ``(width, height)``.
    patch_size, padding : int or None
        Settings actually used (after auto-tiling and divisibility rounding).
    auto_tiled : bool
        True if a whole-image request was tiled because of its size.
    patches : int
        Patches run (1 for a whole image).
    traced : bool
        True if this run traced the model (its first call; for a model traced
        per shape, the first call on a new input shape), which is slower.
    load_seconds : float
        Time the model took to load (once per process).
    inference_seconds : float
        Time spent in the model.
    total_seconds : float
        Wall time of the request: preparing it (decoding the image, checking,
        planning) and running it, the output's layout included.
    patch_seconds : tuple of float
        Time of each patch (a batched call's time split evenly among its patches).
    plan : TilePlan or None
        The patch plan (None for a whole-image run).
    batch : int
        Patches per model call (same-size patches run together, up to
        :data:`explorer.engine.runner.BATCH_PIXELS` input pixels).
    runtime : str
        What ran the model: ``"tensorflow"`` or ``"openvino"`` (exact), or a bf16 runtime (fast).
    precision : str
        What ran: ``"exact"`` (fp32) or ``"fast"`` (bf16).
    fast : FastVerdict or None
        For a ``precision="fast"`` Upscaler: whether bf16 ran and why, with its
        measured speed-up and fidelity against exact (PSNR, largest level difference).
    """

    model: str
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    patch_size: int | None
    padding: int | None
    auto_tiled: bool
    patches: int
    traced: bool
    load_seconds: float
    inference_seconds: float
    total_seconds: float
    patch_seconds: tuple[float, ...] = field(repr=False)
    plan: TilePlan | None = field(default=None, repr=False)
    batch: int = 1
    runtime: str = "tensorflow"
    precision: str = "exact"
    fast: FastVerdict | None = None

    def tiling_text(self) -> str:
        """How the image was cut: ``whole image`` or ``9 patches of 64 px, padding 4`` (and whether automatically)."""
        if self.patch_size is None:
            return "whole image"
        auto = " (tiled automatically: large image)" if self.auto_tiled else ""
        return f"{self.patches} patches of {self.patch_size} px, padding {self.padding}{auto}"

    def summary(self) -> str:
        """``(WxH) with MODEL: how it was cut; T s (I s in the model).``: what ``explorer upscale`` prints after ``Wrote PATH``.

        A ``precision="fast"`` run adds what ran and why (``Fast precision: bf16 runs: …`` or ``… exact runs: …``).
        """
        (ow, oh) = self.output_size
        precision = f" Fast precision: {self.fast.reason}." if self.fast is not None else ""
        return (
            f"({ow}x{oh}) with {self.model}: {self.tiling_text()}; {self.total_seconds:.2f} s "
            f"({self.inference_seconds:.2f} s in the model).{precision}"
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (sizes as lists, times in seconds), as the app's API returns it."""
        return {
            "model": self.model,
            "input_size": list(self.input_size),
            "output_size": list(self.output_size),
            "patch_size": self.patch_size,
            "padding": self.padding,
            "auto_tiled": self.auto_tiled,
            "patches": self.patches,
            "traced": self.traced,
            "batch": self.batch,
            "runtime": self.runtime,
            "precision": self.precision,
            "fast": self.fast.as_dict() if self.fast is not None else None,
            "load_seconds": self.load_seconds,
            "inference_seconds": self.inference_seconds,
            "total_seconds": self.total_seconds,
        }


@dataclass(frozen=True)
class UpscaleResult:
    """An upscaled image (same kind as the input) and its :class:`UpscaleReport`."""

    image: Any
    report: UpscaleReport

    def _repr_png_(self) -> bytes:
        """Show the image in Jupyter, shrunk to fit :data:`explorer.engine.output.DISPLAY_MAX_SIDE` (``image`` keeps every pixel)."""
        from explorer.engine.output import png_bytes

        return png_bytes(self.image)


class Upscaler:
    """Upscale images with a registry model or your own model file.

    Parameters
    ----------
    model : str, path, ModelSpec or ResolvedModel, default ``"@upscalerjs/default-model"``
        A registry id (``"@upscalerjs/esrgan-slim/4x"``), an alias
        (``"esrgan-slim/4x"``), a :class:`ModelSpec`, or your own model: a
        TF.js model.json (its path, its folder, or an ``http(s)://`` URL) or a
        Keras ``.keras``/``.h5`` file; or what
        :func:`~explorer.engine.resolve.resolve` returned for one (its files
        are not looked up again).
    scale : int, optional
        Your model's scale; inferred with a small probe when not given.
    input_range : "0,255" or "0,1", optional
        Pixel range your model takes and returns (default ``[0, 255]``).
    divisibility_factor : int, optional
        Your model needs sides that are multiples of this.
    source : {"auto", "npm", "cdn"}, optional
        Where to fetch the package from if it is not cached.
    offline : bool, optional
        Never download; fail if the model is not cached.
    status : callable, optional
        Receives one-line status messages while the model is fetched.
    precision : {"exact", "fast"}, default ``"exact"``
        ``exact`` runs fp32 (UpscalerJS's pixels). ``fast`` runs bf16 where this
        CPU has bf16 units and bf16 was measured faithful (≥ 50 dB, ≤ 2 levels
        from exact on real photo crops) and faster for this model; else exact,
        and :attr:`fast` says why (see :mod:`explorer.engine.precision`).

    Examples
    --------
    >>> upscaler = Upscaler("esrgan-slim/2x")                      # doctest: +SKIP
    >>> big = upscaler.upscale("photo.png", patch_size=64, padding=4)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | os.PathLike | ModelSpec | ResolvedModel = DEFAULT_MODEL,
        *,
        scale: int | None = None,
        input_range: str | tuple[float, float] | None = None,
        divisibility_factor: int | None = None,
        source: str | None = None,
        offline: bool | None = None,
        status: Callable[[str], None] | None = None,
        precision: str = "exact",
    ) -> None:
        resolved = model if isinstance(model, ResolvedModel) and model.path is not None else resolve(
            model.spec if isinstance(model, ResolvedModel) else model,
            scale=scale,
            input_range=input_range,
            divisibility_factor=divisibility_factor,
            source=source,
            offline=offline,
            status=status,
        )  # fmt: skip
        assert resolved.path is not None, "resolve() fetches unless told not to"
        self.spec = resolved.spec
        self.precision = check_precision(precision)
        loaded, loaded_now = load_model(resolved.path)
        self.loaded_now = loaded_now or resolved.loaded_now
        """True if making this Upscaler loaded the model file; False if this process had it loaded already."""
        self._runner = ModelRunner(resolved.spec, loaded, self.precision)
        self.fast = self._runner.prepare()  # runtime decisions now, never beside the first calls
        """For ``precision="fast"``: the :class:`FastVerdict` (bf16 or exact, and why); None for ``exact``."""

    def __repr__(self) -> str:
        precision = ", precision='fast'" if self.precision == "fast" else ""
        return f"Upscaler(model={self.spec.id!r}{precision})"

    @property
    def scale(self) -> int:
        """Output size over input size."""
        return self.spec.scale

    @property
    def model_file(self) -> ModelFile:
        """The loaded file: format, forward function, parameters, layer/op summary, size."""
        return self._runner.model.file

    @property
    def load_seconds(self) -> float:
        """Seconds it took to load the model (paid once per process)."""
        return self._runner.model.load_seconds

    def warmup(self, sizes: Iterable[int | tuple[int, int]] = (64,)) -> None:
        """Trace and run the model once per input size, so later calls are fast.

        Parameters
        ----------
        sizes : iterable of int or (height, width)
            Patch sizes you will use (an int means a square).
        """
        self._runner.warmup((size, size) if isinstance(size, int) else size for size in sizes)

    def choose_runtime(self) -> str:
        """What runs this model exactly, TensorFlow or OpenVINO, and why (decided when the Upscaler was made).

        Returns
        -------
        str
            What runs it and why, e.g. ``"TensorFlow (OpenVINO gives the same pixels but is not faster here: …)"``.
        """
        return self._runner.choose_runtime()

    def upscale(
        self,
        image: ImageInput,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        progress: ProgressCallback | None = None,
        limits: WorkLimits | None = None,
    ) -> Any:
        """Upscale an image.

        Parameters
        ----------
        image : path, bytes, PIL.Image.Image or ndarray
            An image file, its bytes, a PIL image, or a uint8 array
            (H×W, H×W×1, H×W×3 or H×W×4).
        patch_size : int, optional
            Cut the image into patches of this side (UpscalerJS's
            ``patchSize``). Unset: the whole image at once, tiled
            automatically if it is large (see :data:`explorer.engine.tiling.AUTO_TILE`).
        padding : int, optional
            Context pixels around each patch (UpscalerJS's ``padding``).
        progress : callable, optional
            Called as ``progress(done, total)`` after each patch.
        limits : WorkLimits, optional
            Bounds on the work (smallest patch, most patches, largest output,
            longest run; see :class:`explorer.engine.limits.WorkLimits`): what
            exceeds them is refused before the model runs, and a run that
            outlasts its time is stopped between patches. None: no bounds.

        Returns
        -------
        PIL.Image.Image or ndarray
            An array for an array input, a PIL image otherwise; grayscale
            stays grayscale and alpha is kept (upscaled separately).
        """
        return self.run(image, patch_size=patch_size, padding=padding, progress=progress, limits=limits).image

    def run(
        self,
        image: ImageInput,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        progress: ProgressCallback | None = None,
        limits: WorkLimits | None = None,
    ) -> UpscaleResult:
        """Like :meth:`upscale`, and also return an :class:`UpscaleReport`.

        The advice about the settings (seams, rounding) is given as Python warnings.
        """
        request = self.prepare(image, patch_size=patch_size, padding=padding, limits=limits)
        for note in request.notes:
            warnings.warn(note.text(model=self.spec.id), stacklevel=2)
        return self.run_request(request, progress=progress)

    def prepare(
        self,
        image: ImageInput,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        limits: WorkLimits | None = None,
        layout: OutputLayout = "input",
    ) -> UpscaleRequest:
        """Decode, check and plan a run of this model without running it (:func:`explorer.engine.request.prepare`)."""
        return prepare(self.spec, image, patch_size=patch_size, padding=padding, limits=limits, layout=layout)

    def run_request(self, request: UpscaleRequest, *, progress: ProgressCallback | None = None) -> UpscaleResult:
        """Run a prepared request: exactly its plan, on its decoded image, returned in its layout.

        Parameters
        ----------
        request : UpscaleRequest
            From :meth:`prepare` (or :func:`explorer.engine.request.prepare` for this model).
        progress : callable, optional
            Called as ``progress(done, total)`` after each patch.

        Raises
        ------
        ValueError
            The request is for another model.
        WorkLimitError
            The run outlasted its limits' time (stopped between patches).
        """
        if request.spec.id != self.spec.id:
            raise ValueError(f"This request is for {request.spec.id}; this Upscaler runs {self.spec.id}.")
        start = time.perf_counter()
        calls = _ModelCalls(self._runner, request, progress)
        rgb = self._infer(request, calls)
        image = images.restore(rgb, request.image, self.scale, request.layout)
        return UpscaleResult(image, self._report(request, calls, request.prepare_seconds + time.perf_counter() - start))

    def _infer(self, request: UpscaleRequest, calls: _ModelCalls) -> np.ndarray:
        """The model's RGB output for the request's image: whole, or patch by patch and stitched."""
        height, width = request.image.rgb.shape[:2]
        plan = request.run.plan
        pixels = self._runner.pad(request.image.rgb, request.run.patch_size)
        if plan is None:
            output = calls([pixels])[0]
        else:
            patches = list(plan)
            groups = (patches[i : i + calls.batch] for i in range(0, len(patches), calls.batch))
            output = stitch(plan, (out for group in groups for out in calls([p.read(pixels) for p in group])), self.scale)
        return self._runner.crop(output, height, width)

    def _report(self, request: UpscaleRequest, calls: _ModelCalls, total_seconds: float) -> UpscaleReport:
        width, height = request.image.size
        return UpscaleReport(
            model=self.spec.id,
            input_size=(width, height),
            output_size=(width * self.scale, height * self.scale),
            patch_size=request.run.patch_size,
            padding=request.run.padding,
            auto_tiled=request.run.settings.auto_tiled,
            patches=len(calls.seconds),
            traced=calls.traced,
            load_seconds=self.load_seconds,
            inference_seconds=sum(calls.seconds),
            total_seconds=total_seconds,
            patch_seconds=tuple(calls.seconds),
            plan=request.run.plan,
            batch=calls.batch,
            runtime=self.fast.runtime if self.fast is not None and self.fast.used else self._runner.runtime,
            precision="fast" if self.fast is not None and self.fast.used else "exact",
            fast=self.fast,
        )


class _ModelCalls:
    """The model calls of one run: same-size patches batched, the time limit checked between calls, progress per patch, timings."""

    def __init__(self, runner: ModelRunner, request: UpscaleRequest, progress: ProgressCallback | None) -> None:
        plan = request.run.plan
        self._runner = runner
        self._progress = progress
        self._limits = request.limits
        self._deadline = request.limits.deadline() if request.limits is not None else None
        self.total = request.run.patches
        self.batch = 1 if plan is None else min(len(plan), runner.batch_size(*plan.patch_shape))
        self.seconds: list[float] = []
        self.traced = False

    def __call__(self, pieces: list[np.ndarray]) -> np.ndarray:
        if self._deadline is not None:  # between calls: a run past its time stops here
            self._limits.check_deadline(self._deadline, len(self.seconds), self.total)
        start = time.perf_counter()
        outputs, traced = self._runner(np.stack(pieces))
        self.seconds.extend([(time.perf_counter() - start) / len(pieces)] * len(pieces))
        self.traced = self.traced or traced
        if self._progress is not None:
            for done in range(len(self.seconds) - len(pieces) + 1, len(self.seconds) + 1):
                self._progress(done, self.total)  # still one step per patch
        return outputs
