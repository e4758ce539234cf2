"""Named API endpoints, for ``gradio_client`` and HTTP callers.

=============  ==============================================  ==============================================
endpoint       takes                                           returns
=============  ==============================================  ==============================================
``/upscale``   image, model id, patch size (0: whole image),   the upscaled image (PNG), the run's report
               padding
``/evaluate``  image (the high-resolution original), model id,  the scores table (rows of method, kind,
               patch size, padding                             psnr_y, ssim_y, psnr_rgb, ssim_rgb, gmsd,
                                                               hf_ratio, seconds), the model's output (PNG)
``/recommend`` image, scale (0 for a task), task ("" to         the recommendation: model, precision, patch
               upscale), target, time budget (s), memory        size, padding, sentence, settings and seams
               budget (MiB) (0: none)                          lines, notes, ranked table and front (rows),
                                                               seconds taken, code
``/snippet``   model id, target, patch size, padding           the instantiation code
``/models``    nothing                                         every registry model as a dict
=============  ==============================================  ==============================================

The endpoints are wired to components that are not shown in the page, so
their signatures stay this simple whatever the page looks like; model runs
share the page's concurrency limit.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from explorer.app.code_tab import snippet, targets
from explorer.app.common import DEFAULT_CHOICE, load_upscaler, refuse, user_errors
from explorer.app.config import AppConfig
from explorer.app.inputs import PixelNumber, UploadImage
from explorer.app.pictures import save_result_png
from explorer.app.recommend_tab import run_recommend
from explorer.app.request import refuse_unless_scoring, start_request
from explorer.engine.registry import list_models
from explorer.quality.evaluate import score

__all__ = ["api_evaluate", "api_models", "api_recommend", "api_upscale", "register_api"]


def api_upscale(
    image: str | None,
    model: str = DEFAULT_CHOICE,
    patch_size: float | None = 0,
    padding: float | None = 0,
    *,
    config: AppConfig | None = None,
) -> tuple[str, dict[str, Any]]:
    """Upscale an image (the ``/upscale`` endpoint).

    Parameters
    ----------
    image : str
        Path of the image.
    model : str
        Model id or alias.
    patch_size, padding : number
        UpscalerJS's settings; patch size 0 means the whole image.
    config : AppConfig, optional
        The app's limits.

    Returns
    -------
    tuple
        The path of the upscaled image as PNG (alpha and grayscale kept; encoded
        once, fast, instead of by Gradio at its slower default) and the run's
        report (sizes, settings used, patches, timings in seconds).
    """
    page = start_request(image, model or DEFAULT_CHOICE, patch_size, padding, config=config or AppConfig())
    upscaler = load_upscaler(page.spec).upscaler
    with user_errors():
        result = upscaler.run_request(page.request)
    return str(save_result_png(result.image, "upscaled")), result.report.as_dict()


def api_evaluate(
    image: str | None,
    model: str = DEFAULT_CHOICE,
    patch_size: float | None = 0,
    padding: float | None = 0,
    *,
    config: AppConfig | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Score a model against a high-resolution image (the ``/evaluate`` endpoint).

    The image is shrunk by the model's scale (antialiased bicubic), upscaled
    by the model and by the classical baselines, and every output is scored
    against it (:func:`explorer.quality.evaluate.score`, as
    :func:`~explorer.quality.evaluate.evaluate` does).

    Returns
    -------
    tuple
        The table as a list of rows (the columns of
        :data:`explorer.quality.evaluate.COLUMNS`), model first, and
        the model's output (a PNG file of this request's own: identical
        requests never share a file that is being written).
    """
    page = start_request(
        image, model or DEFAULT_CHOICE, patch_size, padding, reference=True, config=config or AppConfig(), layout="rgb"
    )
    refuse_unless_scoring(page)
    upscaler = load_upscaler(page.spec).upscaler
    with user_errors():
        result = upscaler.run_request(page.request)
        low = page.request.image.rgb
        table, _ = score(page.reference, low, page.spec.scale, {page.spec.id: (result.image, result.report.total_seconds)})
    return table.to_dict(orient="records"), str(save_result_png(result.image, "output"))


def api_recommend(
    image: str | None,
    scale: float | None = 2,
    task: str | None = "",
    target: str = "browser",
    budget_seconds: float | None = 0,
    budget_memory_mib: float | None = 0,
    *,
    config: AppConfig | None = None,
) -> dict[str, Any]:
    """Recommend a model, its settings and code for a picture (the ``/recommend`` endpoint).

    Give a scale (2, 3, 4; 8 for python) to upscale, or a restoration task with scale 0
    (:func:`explorer.recommend.recommend`; bounded by the app's time limit).

    Returns
    -------
    dict
        :meth:`explorer.recommend.Recommendation.as_dict`.
    """
    task = (task or "").strip() or None
    wanted = None if scale in (None, "", 0) else float(scale)
    if wanted is not None and not wanted.is_integer():
        raise refuse(f"The scale is a whole number (2, 3, 4 or 8), got {scale}.")
    found = run_recommend(
        image, None if wanted is None else int(wanted), task, target, budget_seconds, budget_memory_mib,
        config=config or AppConfig(),
    )  # fmt: skip
    return found.as_dict()


def api_models() -> list[dict[str, Any]]:
    """Every registry model (the ``/models`` endpoint): its spec as a dict, with ``short_id`` and ``title``.

    The spec's ``path`` (of model.json in the package) is given as ``model_json``: clients
    take any object with a ``path`` key for a file to download.
    """
    models = []
    for spec in list_models():
        facts = spec.to_dict()
        facts["model_json"] = facts.pop("path")
        models.append({"short_id": spec.short_id, "title": spec.title, **facts})
    return models


def register_api(config: AppConfig, heavy: dict) -> None:
    """Add the endpoints to the app being built (call inside ``gr.Blocks``).

    Parameters
    ----------
    config : AppConfig
    heavy : dict
        Event options of model runs (their shared concurrency group).
    """
    with gr.Column(visible=False):
        image = UploadImage(type="filepath", image_mode=None, label="image")
        model = gr.Textbox(DEFAULT_CHOICE, label="model")
        target = gr.Textbox(targets()[0], label="target")
        patch_size = PixelNumber(0, label="patch_size")
        padding = PixelNumber(0, label="padding")
        upscaled = gr.Image(type="numpy", image_mode=None, format="png", label="upscaled")
        report = gr.JSON(label="report")
        scores = gr.JSON(label="scores")
        output = gr.Image(type="numpy", image_mode=None, format="png", label="output")
        code = gr.Textbox(label="code")  # exact text (a Code block strips the final newline)
        models = gr.JSON(label="models")
        scale = gr.Number(2, label="scale")
        task = gr.Textbox("", label="task")
        budget_seconds = gr.Number(0, label="budget_seconds")
        budget_memory = gr.Number(0, label="budget_memory_mib")
        recommendation = gr.JSON(label="recommendation")
    gr.on(
        [], functools.partial(api_upscale, config=config), inputs=[image, model, patch_size, padding],
        outputs=[upscaled, report], api_name="upscale", api_description=api_upscale.__doc__.split("\n")[0], **heavy,
    )  # fmt: skip
    gr.on(
        [], functools.partial(api_evaluate, config=config), inputs=[image, model, patch_size, padding],
        outputs=[scores, output], api_name="evaluate", api_description=api_evaluate.__doc__.split("\n")[0], **heavy,
    )  # fmt: skip
    gr.on(
        [], functools.partial(api_recommend, config=config),
        inputs=[image, scale, task, target, budget_seconds, budget_memory],
        outputs=recommendation, api_name="recommend", api_description=api_recommend.__doc__.split("\n")[0], **heavy,
    )  # fmt: skip
    gr.on(
        [], snippet, inputs=[model, target, patch_size, padding], outputs=code, api_name="snippet",
        api_description="The instantiation code for a model and settings (targets: " + ", ".join(targets()) + ").",
        queue=False,
    )  # fmt: skip
    gr.on([], api_models, outputs=models, api_name="models", api_description=api_models.__doc__.split("\n")[0], queue=False)
