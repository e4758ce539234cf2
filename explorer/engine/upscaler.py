"""``Upscaler``: run a registry model on an image, with UpscalerJS's pre/post-processing and patching."""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from explorer.engine import custom, images, store
from explorer.engine.formats.detect import ModelFile
from explorer.engine.images import ImageInput
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec, get_spec
from explorer.engine.runner import get_loaded_model
from explorer.engine.tiling import (
    TilePlan,
    auto_tile_for,
    check_patch_settings,
    plan_patches,
    round_up_to_multiple,
    stitch,
)
from explorer.errors import ExplorerError, ImageError, ModelFormatError

__all__ = ["UpscaleReport", "UpscaleResult", "Upscaler"]

log = logging.getLogger(__name__)

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
        Model calls made.
    traced : bool
        True if this run traced the model for a new input shape (slower).
    load_seconds : float
        Time the model took to load (once per process).
    inference_seconds : float
        Time spent in the model.
    total_seconds : float
        Wall time of the whole call, image decoding and encoding included.
    patch_seconds : tuple of float
        Time of each model call.
    plan : TilePlan or None
        The patch plan (None for a whole-image run).
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


@dataclass(frozen=True)
class UpscaleResult:
    """An upscaled image (same kind as the input) and its :class:`UpscaleReport`."""

    image: Any
    report: UpscaleReport

    def _repr_png_(self) -> bytes:
        """Show the image in Jupyter, shrunk to fit 1024 pixels (``image`` keeps every pixel)."""
        from explorer.display import png_bytes

        return png_bytes(self.image)


class Upscaler:
    """Upscale images with a model from the registry.

    Parameters
    ----------
    model : str, path or ModelSpec, default ``"@upscalerjs/default-model"``
        A registry id (``"@upscalerjs/esrgan-slim/4x"``), an alias
        (``"esrgan-slim/4x"``), a :class:`ModelSpec`, or your own model: a
        TF.js model.json (its path, its folder, or an ``http(s)://`` URL) or a
        Keras ``.keras``/``.h5`` file.
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

    Examples
    --------
    >>> upscaler = Upscaler("esrgan-slim/2x")                      # doctest: +SKIP
    >>> big = upscaler.upscale("photo.png", patch_size=64, padding=4)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | os.PathLike | ModelSpec = DEFAULT_MODEL,
        *,
        scale: int | None = None,
        input_range: str | tuple[float, float] | None = None,
        divisibility_factor: int | None = None,
        source: str | None = None,
        offline: bool | None = None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        if isinstance(model, ModelSpec) and model.is_custom:
            self.spec = model
            self._loaded = get_loaded_model(model, Path(model.path))
        elif isinstance(model, ModelSpec) or not custom.is_custom_reference(model):
            if (scale, input_range, divisibility_factor) != (None, None, None):
                raise ExplorerError(
                    "scale, input_range and divisibility_factor are for your own model files; "
                    f"{model if isinstance(model, str) else model.id} takes them from its model card."
                )
            self.spec = get_spec(model)
            model_path = store.model_json_path(self.spec, source=source, offline=offline, progress=status)
            self._loaded = get_loaded_model(self.spec, model_path)
        else:
            custom.check_overrides(scale, input_range, divisibility_factor)  # before any download or load
            model_file = custom.locate(model, offline=offline, status=status)
            provisional = custom.custom_spec(model, model_file, input_range=input_range, divisibility_factor=divisibility_factor)
            self._loaded = get_loaded_model(provisional, model_file)
            self.spec = custom.with_file_facts(provisional, self._loaded, scale)

    def __repr__(self) -> str:
        return f"Upscaler(model={self.spec.id!r})"

    @property
    def scale(self) -> int:
        """Output size over input size."""
        return self.spec.scale

    @property
    def model_file(self) -> ModelFile:
        """The loaded file: format, forward function, parameters, layer/op summary, size."""
        return self._loaded.file

    @property
    def load_seconds(self) -> float:
        """Seconds it took to load the model (paid once per process)."""
        return self._loaded.load_seconds

    def warmup(self, sizes: Iterable[int | tuple[int, int]] = (64,)) -> None:
        """Trace and run the model once per input size, so later calls are fast.

        Parameters
        ----------
        sizes : iterable of int or (height, width)
            Patch sizes you will use (an int means a square).
        """
        for size in sizes:
            height, width = (size, size) if isinstance(size, int) else size
            self._loaded.predict(np.zeros((1, height, width, 3), np.float32))

    def upscale(
        self,
        image: ImageInput,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        progress: ProgressCallback | None = None,
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

        Returns
        -------
        PIL.Image.Image or ndarray
            An array for an array input, a PIL image otherwise; grayscale
            stays grayscale and alpha is kept (upscaled separately).
        """
        return self.run(image, patch_size=patch_size, padding=padding, progress=progress).image

    def run(
        self,
        image: ImageInput,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> UpscaleResult:
        """Like :meth:`upscale`, and also return an :class:`UpscaleReport`."""
        start = time.perf_counter()
        loaded = images.load_image(image)
        rgb, report = self._upscale_rgb(loaded.rgb, patch_size, padding, progress)
        restored = images.restore(rgb, loaded, self.scale)
        result = images.to_source_kind(restored, loaded)
        report = replace(report, total_seconds=time.perf_counter() - start)
        return UpscaleResult(result, report)

    def upscale_rgb(
        self,
        rgb: np.ndarray,
        *,
        patch_size: int | None = None,
        padding: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> tuple[np.ndarray, UpscaleReport]:
        """Upscale an H×W×3 uint8 array: the core step, without image handling."""
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ImageError(f"upscale_rgb needs an H×W×3 uint8 array, got {rgb.dtype} {rgb.shape}.")
        return self._upscale_rgb(rgb, patch_size, padding, progress)

    def _settings(self, height: int, width: int, patch_size: int | None, padding: int | None) -> tuple[int | None, int, bool]:
        patch_size, padding = check_patch_settings(patch_size, padding)
        auto = False
        auto_tile = auto_tile_for(self.spec)
        if patch_size is None and height * width * self.scale**2 > auto_tile.max_output_pixels:
            patch_size, padding, auto = auto_tile.patch_size, auto_tile.padding, True
            log.info("Image of %dx%d is large: tiling it %d/%d.", width, height, patch_size, padding)
        factor = self.spec.divisibility_factor
        if factor and patch_size is not None and patch_size % factor:
            rounded = round_up_to_multiple(patch_size, factor)
            warnings.warn(
                f"{self.spec.id} needs sides that are multiples of {factor}: patch size {patch_size} "
                f"was rounded up to {rounded}.",
                stacklevel=4,
            )
            patch_size = rounded
        return patch_size, padding, auto

    def _pad_for_divisibility(self, rgb: np.ndarray, patch_size: int | None) -> np.ndarray:
        factor = self.spec.divisibility_factor
        height, width = rgb.shape[:2]
        if patch_size is None:
            if not factor:
                return rgb
            target = (round_up_to_multiple(height, factor), round_up_to_multiple(width, factor))
        else:
            target = (max(height, patch_size), max(width, patch_size)) if factor else (height, width)
        if target == (height, width):
            return rgb
        return np.pad(rgb, ((0, target[0] - height), (0, target[1] - width), (0, 0)))

    def _preprocess(self, pixels: np.ndarray) -> np.ndarray:
        batch = pixels.astype(np.float32)[None]
        if self.spec.input_range[1] == 1:
            batch *= np.float32(1 / 255)
        return batch

    def _postprocess(self, output: np.ndarray) -> np.ndarray:
        high = self.spec.output_range[1]
        values = np.clip(output, 0, high)
        if high == 1:
            values = values * np.float32(255)
        return np.rint(values).astype(np.uint8)

    def _call(self, pixels: np.ndarray, timings: list[float]) -> np.ndarray:
        start = time.perf_counter()
        output = self._loaded.predict(self._preprocess(pixels))[0]
        timings.append(time.perf_counter() - start)
        expected = (pixels.shape[0] * self.scale, pixels.shape[1] * self.scale)
        if output.shape[:2] != expected or output.shape[2] != 3:
            raise ModelFormatError(
                f"{self.spec.id} returned {output.shape} for a {pixels.shape} input; expected {(*expected, 3)}. "
                "Check the model's scale."
            )
        return self._postprocess(output)

    def _upscale_rgb(
        self, rgb: np.ndarray, patch_size: int | None, padding: int | None, progress: ProgressCallback | None
    ) -> tuple[np.ndarray, UpscaleReport]:
        height, width = rgb.shape[:2]
        patch_size, padding_used, auto = self._settings(height, width, patch_size, padding)
        pixels = self._pad_for_divisibility(rgb, patch_size)
        timings: list[float] = []
        plan: TilePlan | None = None
        if patch_size is None:
            _, traced = self._loaded.traced_for(*pixels.shape[:2])
            output = self._call(pixels, timings)
            if progress:
                progress(1, 1)
        else:
            plan = plan_patches(pixels.shape[0], pixels.shape[1], patch_size, padding_used)
            _, traced = self._loaded.traced_for(*plan.patch_shape)
            total = len(plan)

            def outputs():
                for done, patch in enumerate(plan, 1):
                    crop = pixels[patch.y.origin : patch.y.origin + patch.y.size, patch.x.origin : patch.x.origin + patch.x.size]
                    upscaled = self._call(crop, timings)
                    if progress:
                        progress(done, total)
                    yield upscaled

            output = stitch(plan, outputs(), self.scale)
        output = output[: height * self.scale, : width * self.scale]
        report = UpscaleReport(
            model=self.spec.id,
            input_size=(width, height),
            output_size=(width * self.scale, height * self.scale),
            patch_size=patch_size,
            padding=padding_used if patch_size is not None else None,
            auto_tiled=auto,
            patches=len(timings),
            traced=traced,
            load_seconds=self.load_seconds,
            inference_seconds=sum(timings),
            total_seconds=sum(timings),
            patch_seconds=tuple(timings),
            plan=plan,
        )
        return np.ascontiguousarray(output), report
