"""Instantiation code for a model and its settings, ready to copy.

Six targets, in display order (:data:`TARGETS`):

* ``browser`` — UpscalerJS as an ES module: the ``npm install`` line, the
  model imported by its package export path, the upscale call, and the result
  shown on the page;
* ``node`` — UpscalerJS in Node (``upscaler/node`` with
  ``@tensorflow/tfjs-node``), reading and writing image files;
* ``script`` — CDN ``<script>`` tags for TensorFlow.js, the model's UMD bundle
  and UpscalerJS, using the global name the model's bundle defines;
* ``python`` — this project's Python API;
* ``cli`` — this project's command line;
* ``ray`` — this project's Ray Data batch engine over a folder or bucket.

A model you brought (a TF.js ``model.json``) gets an UpscalerJS model
definition object (``path``, ``scale``, ``modelType``, ranges) instead of a
package import. Settings UpscalerJS would warn about, and models it supports
on one platform only, carry a comment saying so.

Examples
--------
>>> print(generate("esrgan-slim/4x", "python", patch_size=64, padding=4))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from explorer.codegen import explorer_api, upscalerjs
from explorer.codegen.common import (  # noqa: F401 - the pinned versions are part of this module's API
    CDN_BASE,
    INPUT_FILE,
    OUTPUTS,
    TARGETS,
    TFJS_UMD,
    TFJS_VERSION,
    UPSCALER_TFJS_PEER,
    UPSCALER_UMD,
    UPSCALER_VERSION,
    Settings,
)
from explorer.engine.precision import check_precision
from explorer.engine.registry import ModelSpec, get_spec
from explorer.engine.resolve import is_model_file
from explorer.engine.tiling import validate_patch_settings
from explorer.errors import SnippetError

__all__ = [
    "CDN_BASE",
    "OUTPUTS",
    "TARGETS",
    "TFJS_VERSION",
    "UPSCALER_VERSION",
    "Settings",
    "SnippetError",
    "generate",
    "language",
]

_LANGUAGES = {"browser": "javascript", "node": "javascript", "script": "html", "python": "python", "cli": "bash", "ray": "python"}


def language(target: str) -> str:
    """The language of a target's snippet, for syntax highlighting.

    Parameters
    ----------
    target : str
        One of :data:`TARGETS`.

    Returns
    -------
    str
        ``"javascript"``, ``"html"``, ``"python"`` or ``"bash"``.

    Raises
    ------
    SnippetError
        If the target is unknown.
    """
    return _LANGUAGES[_checked_target(target)]


def generate(
    model: str | ModelSpec,
    target: str,
    *,
    patch_size: int | None = None,
    padding: int | None = None,
    warmup_sizes: Iterable[int] = (),
    progress: bool = False,
    output: str = "base64",
    precision: str = "exact",
) -> str:
    """The code that sets up ``model`` with these settings and upscales an image.

    Parameters
    ----------
    model : str or ModelSpec
        A registry id or alias, or a spec; for your own model file, the spec of
        the loaded model (``Upscaler("path/to/model.json").spec``), whose scale
        is known.
    target : str
        One of :data:`TARGETS`.
    patch_size, padding : int, optional
        UpscalerJS's ``patchSize`` and ``padding``; unset, the whole image is
        upscaled at once.
    warmup_sizes : iterable of int, optional
        Patch sides to warm the model up for before the first upscale
        (UpscalerJS's ``warmupSizes``; ignored by the ``cli`` target, which runs
        once).
    progress : bool, default False
        Report progress after each patch (the ``cli`` target always shows a
        progress bar).
    output : {"base64", "tensor"}, default "base64"
        The result form UpscalerJS returns in the ``browser`` and ``script``
        targets. The ``node`` target always asks for a tensor (it writes a PNG
        file); ``python`` and ``cli`` produce an image.
    precision : {"exact", "fast"}, default "exact"
        The ``python``, ``cli`` and ``ray`` targets' precision
        (:mod:`explorer.engine.precision`); UpscalerJS runs at its TF.js
        backend's own precision, so the other targets do not take it.

    Returns
    -------
    str
        The snippet, ending in a newline.

    Raises
    ------
    SnippetError
        Unknown target or output, bad warm-up sizes, a model file UpscalerJS
        cannot load (Keras), or a model given as a path instead of a spec.
    PatchSettingsError
        ``patch_size``/``padding`` break UpscalerJS's rules.
    SettingsError
        ``precision`` is neither ``exact`` nor ``fast``.
    ModelNotFoundError
        No registry model has that name.
    """
    build = _BUILDERS[_checked_target(target)]
    spec = _resolve(model)
    settings = _settings(patch_size, padding, warmup_sizes, progress, output, precision)
    return "\n".join(build(spec, settings)) + "\n"


# -- inputs -------------------------------------------------------------------------------------------------


def _checked_target(target: str) -> str:
    if target not in TARGETS:
        raise SnippetError(f"Unknown snippet target {target!r}: choose one of {', '.join(TARGETS)}.")
    return target


def _resolve(model: str | ModelSpec) -> ModelSpec:
    if isinstance(model, str) and is_model_file(model):
        raise SnippetError(
            f"{model} is a model file, not a registry id: pass the spec of the loaded model, "
            f"generate(Upscaler({model!r}).spec, ...), so its scale is known."
        )
    spec = get_spec(model)
    if spec.is_custom and spec.scale < 1:
        raise SnippetError(
            f"The scale of {spec.id} is not known yet: pass the spec of the loaded model "
            "(Upscaler(path).spec), or give the scale."
        )
    return spec


def _settings(
    patch_size: int | None, padding: int | None, warmup_sizes: Iterable[int], progress: bool, output: str, precision: str
) -> Settings:
    validate_patch_settings(patch_size, padding)  # warnings become comments in the snippet instead
    sizes = tuple(warmup_sizes)
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise SnippetError(f"Warm-up sizes are patch sides in pixels, whole numbers above 0; got {list(sizes)}.")
    if output not in OUTPUTS:
        raise SnippetError(f"Unknown output {output!r}: choose one of {', '.join(OUTPUTS)}.")
    return Settings(
        patch_size=None if patch_size is None else int(patch_size),
        padding=None if padding is None else int(padding),
        warmup_sizes=sizes,
        progress=bool(progress),
        output=output,
        precision=check_precision(precision),
    )


_BUILDERS: dict[str, Callable[[ModelSpec, Settings], list[str]]] = {
    "browser": upscalerjs.browser,
    "node": upscalerjs.node,
    "script": upscalerjs.script,
    "python": explorer_api.python,
    "cli": explorer_api.cli,
    "ray": explorer_api.ray,
}
