"""Upscaler end to end on real packages: UpscalerJS's own outputs, patching, image kinds."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from explorer import list_models
from explorer.engine import store, tiling
from explorer.engine.tiling import AutoTile
from explorer.engine.upscaler import Upscaler
from explorer.errors import PatchSettingsError
from tests.helpers import full_only, max_abs_diff, psnr

CI_VARIANTS = {
    "@upscalerjs/default-model",
    "@upscalerjs/esrgan-medium/2x",
    "@upscalerjs/esrgan-legacy/div2k/2x",
    "@upscalerjs/esrgan-legacy/gans",
    "@upscalerjs/esrgan-thick/2x",
}
WITH_SAMPLES = [s for s in list_models() if s.sample]


def _fixture_and_sample(spec):
    root = store.package_dir(spec)
    fixture = np.asarray(Image.open(root / spec.fixture).convert("RGB"))
    sample = np.asarray(Image.open(root / spec.sample).convert("RGB"))
    return fixture, sample


@pytest.mark.parametrize(
    "spec",
    [pytest.param(s, id=s.short_id, marks=() if s.id in CI_VARIANTS else full_only) for s in WITH_SAMPLES],
)
def test_whole_image_output_equals_upscalerjs_sample(spec):
    fixture, sample = _fixture_and_sample(spec)
    ours = Upscaler(spec).upscale(fixture)
    assert ours.shape == sample.shape
    print(f"{spec.short_id}: {psnr(sample, ours):.2f} dB, max abs diff {max_abs_diff(sample, ours)}")  # the table: pytest -s
    assert psnr(sample, ours) >= 80
    assert max_abs_diff(sample, ours) <= 1


def test_ci_covers_the_required_kinds_of_model():
    specs = [s for s in WITH_SAMPLES if s.id in CI_VARIANTS]
    assert {s.family for s in specs} == {"esrgan"}
    assert any(s.quantization == "uint8" for s in specs)
    assert any(s.architecture == "rrdn" and s.quantization is None for s in specs)
    assert len(specs) == len(CI_VARIANTS)


@pytest.fixture(scope="module")
def pixel_repeat() -> Upscaler:
    return Upscaler("pixel-upsampler/x3")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    height=st.integers(1, 70),
    width=st.integers(1, 70),
    patch_size=st.integers(2, 48),
    padding=st.integers(0, 23),
    seed=st.integers(0, 2**16),
)
def test_any_patch_plan_of_a_pixel_repeat_equals_the_whole_image(pixel_repeat, height, width, patch_size, padding, seed):
    padding = min(padding, (patch_size - 1) // 2)
    image = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    whole = pixel_repeat.upscale(image)
    tiled = pixel_repeat.upscale(image, patch_size=patch_size, padding=padding)
    np.testing.assert_array_equal(whole, image.repeat(3, 0).repeat(3, 1))
    np.testing.assert_array_equal(tiled, whole)


@pytest.fixture(scope="module")
def default_model() -> Upscaler:
    return Upscaler()


@pytest.fixture(scope="module")
def fixture_image(default_model) -> np.ndarray:
    return _fixture_and_sample(default_model.spec)[0]


def test_padding_hides_seams_and_converges_to_the_whole_image(default_model, fixture_image):
    whole = default_model.upscale(fixture_image)
    scores = {
        padding: psnr(whole, default_model.upscale(fixture_image, patch_size=48, padding=padding))
        for padding in (0, 2, 8, 16)
    }
    assert scores[0] < 45, scores  # seams
    assert scores[0] < scores[2] < scores[8], scores
    assert scores[16] > 55, scores


def test_progress_is_called_once_per_patch_and_one_trace_serves_all_patches(default_model, fixture_image):
    calls = []
    result = default_model.run(fixture_image, patch_size=40, padding=4, progress=lambda d, t: calls.append((d, t)))
    total = result.report.patches
    assert total == len(result.report.plan) == 16
    assert calls == [(i, total) for i in range(1, total + 1)]
    again = default_model.run(fixture_image, patch_size=40, padding=4)
    assert again.report.traced is False
    np.testing.assert_array_equal(again.image, result.image)


def test_whole_image_progress_is_a_single_step(default_model, fixture_image):
    calls = []
    default_model.upscale(fixture_image[:20, :30], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]


def test_input_kind_is_returned(default_model, fixture_image, tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray(fixture_image).save(path)
    from_array = default_model.upscale(fixture_image)
    from_pil = default_model.upscale(Image.fromarray(fixture_image))
    from_path = default_model.upscale(path)
    from_str = default_model.upscale(str(path))
    assert isinstance(from_array, np.ndarray) and from_array.dtype == np.uint8
    assert isinstance(from_pil, Image.Image) and isinstance(from_path, Image.Image)
    for other in (from_pil, from_path, from_str):
        np.testing.assert_array_equal(np.asarray(other), from_array)


def test_rgba_keeps_alpha_and_gray_stays_gray(default_model, fixture_image):
    rgba = np.dstack([fixture_image[:32, :32], np.full((32, 32), 255, np.uint8)])
    rgba[:, :16, 3] = 0
    out = default_model.upscale(rgba)
    assert out.shape == (64, 64, 4)
    np.testing.assert_array_equal(out[..., :3], default_model.upscale(fixture_image[:32, :32]))
    assert (out[:, :30, 3] == 0).all() and (out[:, 34:, 3] == 255).all()
    gray = default_model.upscale(Image.fromarray(fixture_image[:32, :32]).convert("L"))
    assert gray.mode == "L" and gray.size == (64, 64)


def test_large_images_are_tiled_automatically(default_model, fixture_image, monkeypatch):
    monkeypatch.setattr(tiling.rules, "AUTO_TILE", AutoTile(max_output_pixels=100 * 100, patch_size=48, padding=8))
    result = default_model.run(fixture_image)
    assert result.report.auto_tiled and result.report.patches > 1
    assert (result.report.patch_size, result.report.padding) == (48, 8)
    assert psnr(default_model.upscale(fixture_image, patch_size=48, padding=8), result.image) == float("inf")


def test_warmup_traces_the_shapes_it_is_given(default_model, fixture_image):
    default_model.warmup([(24, 24), 28])
    assert default_model.run(fixture_image[:24, :24]).report.traced is False
    assert default_model.run(fixture_image[:28, :28]).report.traced is False


@pytest.mark.parametrize(("patch_size", "padding"), [(0, None), (-1, 2), (16, 8)])
def test_bad_patch_settings_are_refused(default_model, fixture_image, patch_size, padding):
    with pytest.raises(PatchSettingsError):
        default_model.upscale(fixture_image, patch_size=patch_size, padding=padding)



def test_concurrent_first_requests_share_one_load():
    import threading

    from explorer.engine.loaded_models import clear_model_cache

    clear_model_cache()
    upscalers: list[Upscaler] = []
    threads = [threading.Thread(target=lambda: upscalers.append(Upscaler("esrgan-slim/3x"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(u.model_file) for u in upscalers}) == 1


def test_an_upscale_result_shows_itself_in_a_notebook_as_its_image(default_model, fixture_image):
    result = default_model.run(Image.fromarray(fixture_image[:24, :32]))
    shown = Image.open(io.BytesIO(result._repr_png_()))
    assert shown.format == "PNG" and np.array_equal(np.asarray(shown), np.asarray(result.image))


@pytest.mark.parametrize(("patch_size", "padding", "warned"), [(None, 4, "padding is ignored"), (16, None, "seams may show")])
def test_the_library_warns_about_valid_settings_it_would_advise_against(default_model, fixture_image, patch_size, padding, warned):
    with pytest.warns(UserWarning, match=warned):
        default_model.upscale(fixture_image[:20, :30], patch_size=patch_size, padding=padding)
