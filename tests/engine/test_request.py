"""The request: an image decoded once, settings settled and checked once, a plan computed once, the output as asked."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer import Upscaler, get_spec
from explorer.engine import images
from explorer.engine.limits import WorkLimits
from explorer.engine.request import plan_run, prepare
from explorer.engine.tiling import plan_patches
from explorer.errors import PatchSettingsError, WorkLimitError


@pytest.fixture(scope="module")
def repeat() -> Upscaler:
    return Upscaler("pixel-upsampler/x3")


@pytest.fixture()
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every decode of a file, bytes or PIL image into pixels (they all go through images._channels), by its description."""
    seen: list[str] = []
    real = images._channels

    def counted(image, described):
        seen.append(described)
        return real(image, described)

    monkeypatch.setattr(images, "_channels", counted)
    return seen


def test_a_request_decodes_once_and_runs_its_own_plan(repeat, tmp_path, decodes):
    path = tmp_path / "gray.png"
    Image.fromarray(np.arange(40 * 30, dtype=np.uint8).reshape(40, 30) % 251).save(path)
    request = repeat.prepare(path, patch_size=16, padding=2, layout="array")
    assert len(decodes) == 1 and request.image.grayscale
    assert (request.run.patch_size, request.run.padding, request.run.patches) == (16, 2, len(plan_patches(40, 30, 16, 2)))
    result = repeat.run_request(request)
    assert len(decodes) == 1  # running it decodes nothing
    assert result.report.plan is request.run.plan and result.report.patches == request.run.patches
    assert isinstance(result.image, np.ndarray) and result.image.shape == (120, 90)  # a path in, an array out, gray kept
    np.testing.assert_array_equal(result.image, np.asarray(Image.open(path)).repeat(3, 0).repeat(3, 1))
    assert result.report.total_seconds >= request.prepare_seconds + result.report.inference_seconds


def test_run_and_prepare_then_run_request_agree(repeat):
    image = np.random.default_rng(5).integers(0, 256, (20, 24, 4), dtype=np.uint8)
    whole = repeat.run(image)
    asked = repeat.run_request(repeat.prepare(image, layout="rgb"))
    np.testing.assert_array_equal(asked.image, whole.image[..., :3])
    assert whole.image.shape == (60, 72, 4) and asked.report.patch_size is None and asked.report.patches == 1


def test_a_request_for_another_model_is_refused(repeat):
    request = prepare(get_spec("default-model"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="This request is for @upscalerjs/default-model"):
        repeat.run_request(request)


def test_limits_are_checked_once_in_the_plan_and_the_header_before_decoding(tmp_path, decodes):
    spec = get_spec("pixel-upsampler/x3")
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 200)).save(path)
    with pytest.raises(WorkLimitError, match="This image is 300×200 = 60,000 pixels; this server takes up to 40,000"):
        prepare(spec, path, limits=WorkLimits(max_pixels=200 * 200))
    assert decodes == []  # refused from the header
    with pytest.raises(WorkLimitError, match="below this server's smallest, 16 px"):
        plan_run(spec, 64, 64, 8, 0, WorkLimits())
    with pytest.raises(WorkLimitError, match="would become 192×192 = 36,864 pixels"):
        plan_run(spec, 64, 64, None, None, WorkLimits(max_output_pixels=100 * 100))
    with pytest.raises(PatchSettingsError, match="twice the padding"):
        plan_run(spec, 64, 64, 16, 8, WorkLimits())
    assert plan_run(spec, 64, 64, 32, 4, WorkLimits()).patches == len(plan_patches(64, 64, 32, 4)) == 9


def test_loading_says_whether_this_call_loaded():
    from explorer.engine.loaded_models import clear_model_cache

    clear_model_cache()
    first, again = Upscaler("pixel-upsampler/x2"), Upscaler("pixel-upsampler/x2")
    assert first.loaded_now is True and again.loaded_now is False
