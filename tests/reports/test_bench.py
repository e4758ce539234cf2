"""The benchmark runner: evaluation set, FLOP counting, quality and speed runs on a tiny subset."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from explorer import Upscaler, get_spec, list_models
from explorer.cli import main
from explorer.engine.cpu import cpu_name
from explorer.engine.precision import MAX_FAST_LEVELS, MIN_FAST_PSNR_DB
from explorer.engine.runner import BATCH_PIXELS, MAX_BATCH
from explorer.engine.tiling import plan_patches
from explorer.errors import ExplorerError
from explorer.quality.evaluate import evaluate
from explorer.reports.bench import (
    EVAL_IMAGES,
    QUALITY_COLUMNS,
    SPEED_COLUMNS,
    EvalSet,
    SpeedSettings,
    central_crop,
    conv_flops,
    load_eval_image,
    measure_speed,
    run_quality,
    select_models,
    summarise,
    write_quality,
    write_speed,
)
from explorer.reports.bench.peak import paper_gflop_s, peak_memory_mib
from explorer.reports.bench.tables import markdown_table
from explorer.reports.results import SAMPLE, sample_name, shared_sample_name


def test_evaluation_images_are_central_crops_of_colour_photographs():
    import skimage.data

    assert len(EVAL_IMAGES) >= 5
    for image in EVAL_IMAGES:
        full = getattr(skimage.data, image.name)()
        crop = load_eval_image(image.name)
        assert crop.dtype == np.uint8 and crop.shape == (256, 256, 3), image.name
        top, left = (full.shape[0] - 256) // 2, (full.shape[1] - 256) // 2
        assert np.array_equal(crop, full[top : top + 256, left : left + 256])
        assert image.source and image.title


def test_central_crop_keeps_a_short_side_whole():
    image = np.arange(10 * 30).reshape(10, 30)
    assert np.array_equal(central_crop(image, 20), image[:, 5:25])
    with pytest.raises(ExplorerError, match="at least 1 pixel"):
        central_crop(image, 0)
    with pytest.raises(ExplorerError, match="No evaluation image called 'camera'"):
        load_eval_image("camera")


def test_conv_flops_counts_each_conv_at_its_own_resolution():
    from explorer.engine._tf import import_tensorflow

    import_tensorflow()
    import keras

    inputs = keras.Input(shape=(None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = keras.layers.UpSampling2D(2)(x)
    x = keras.layers.Conv2D(4, 5, padding="same")(x)
    x = keras.layers.Conv2D(2, 3, strides=2, padding="valid")(x)
    model = keras.Model(inputs, x)
    expected = 2 * 3 * 3 * 3 * 8 * 10 * 12 + 2 * 5 * 5 * 8 * 4 * 20 * 24 + 2 * 3 * 3 * 4 * 2 * 9 * 11
    assert conv_flops(model, 10, 12) == expected


def test_conv_flops_of_real_models():
    slim = Upscaler("esrgan-slim/2x").model_file.keras_model
    small, large = conv_flops(slim, 16, 16), conv_flops(slim, 32, 32)
    assert large == 4 * small
    # every convolution of this RDN runs at the input resolution: about 2 FLOPs per weight per pixel
    assert small == pytest.approx(2 * get_spec("esrgan-slim/2x").parameters * 16 * 16, rel=0.01)
    assert conv_flops(Upscaler("pixel-upsampler/x2").model_file.keras_model, 16, 16) == 0


def test_select_models_keeps_upscaling_models_of_the_scales():
    specs = select_models(None, [2, 4])
    assert specs and all(s.task == "upscaling" and s.scale in (2, 4) for s in specs)
    assert {s.id for s in specs} == {s.id for s in list_models(task="upscaling") if s.scale in (2, 4)}
    assert all(s.scale >= 2 for s in select_models())
    with pytest.raises(ExplorerError, match="No upscaling model matches 'esrgan-slim/2x' at scales \\[4\\]"):
        select_models("esrgan-slim/2x", [4])


@pytest.fixture(scope="module")
def quality_run(tmp_path_factory) -> tuple[pd.DataFrame, object]:
    samples = tmp_path_factory.mktemp("samples")
    models = [get_spec("esrgan-slim/2x"), get_spec("pixel-upsampler/x2"), get_spec("esrgan-slim/4x")]
    photos = EvalSet("skimage", 128, {name: load_eval_image(name, 128) for name in ("chelsea", "coffee")})
    frame = run_quality(models, [2], sets=[photos], samples=samples, progress=False)
    return frame, samples


def test_quality_rows(quality_run):
    frame, _ = quality_run
    assert tuple(frame.columns) == QUALITY_COLUMNS
    assert len(frame) == 2 * (4 + 2)  # two images, four baselines and the two 2x models (not the 4x one)
    assert set(frame["scale"]) == {2} and set(frame["crop"]) == {128} and set(frame["set"]) == {"skimage"}
    for image in ("chelsea", "coffee"):
        rows = frame[frame["image"] == image].set_index("method")
        expected = evaluate("esrgan-slim/2x", load_eval_image(image, 128)).table.set_index("method")
        for method in expected.index:
            for column in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio"):
                assert rows.loc[method, column] == pytest.approx(expected.loc[method, column], abs=1e-4)
        for column in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "gmsd", "hf_ratio"):
            assert rows.loc["@upscalerjs/pixel-upsampler/x2", column] == rows.loc["nearest", column]


def test_quality_saves_small_sample_crops(quality_run):
    _, samples = quality_run
    sizes = {
        sample_name(get_spec("esrgan-slim/2x")): SAMPLE.side,
        shared_sample_name("bicubic", 2): SAMPLE.side,
        shared_sample_name("reference", 2): SAMPLE.side,
        shared_sample_name("input", 2): SAMPLE.side // 2,
    }
    for name, side in sizes.items():
        with Image.open(samples / name) as image:
            assert image.size == (side, side) and image.mode == "RGB"
        assert (samples / name).stat().st_size < 20_000
    reference = load_eval_image(SAMPLE.image, 128)[SAMPLE.top : SAMPLE.top + SAMPLE.side, SAMPLE.left : SAMPLE.left + SAMPLE.side]
    assert np.array_equal(np.asarray(Image.open(samples / shared_sample_name("reference", 2))), reference)


def test_summary_compares_with_bicubic_and_the_best_baseline(quality_run):
    frame, _ = quality_run
    summary = summarise(frame).set_index("method")
    by_image = {m: frame[frame["method"] == m].set_index("image")["psnr_y"] for m in ("nearest", "bilinear", "bicubic", "lanczos")}
    bicubic, nearest = by_image["bicubic"], by_image["nearest"]
    assert summary.loc["nearest", "delta_psnr_y"] == pytest.approx((nearest - bicubic).mean())
    assert summary.loc["nearest", "beats_bicubic"] == int((nearest > bicubic).sum())
    assert summary.loc["bicubic", "delta_psnr_y"] == 0 and summary.loc["bicubic", "images"] == 2
    assert list(summary["psnr_y"]) == sorted(summary["psnr_y"], reverse=True)
    best = max(by_image, key=lambda m: by_image[m].mean())
    assert set(summary["best_baseline"]) == {best}
    model = summary.loc["@upscalerjs/esrgan-slim/2x"]
    assert model["delta_best_psnr_y"] == pytest.approx(model["psnr_y"] - by_image[best].mean(), abs=1e-9)
    assert summary.loc[best, "delta_best_psnr_y"] == 0


def test_write_quality_merges_runs(quality_run, tmp_path):
    frame, _ = quality_run
    first = frame[frame["method"] != "@upscalerjs/pixel-upsampler/x2"]
    write_quality(first, tmp_path)
    merged = write_quality(frame[frame["method"] == "@upscalerjs/pixel-upsampler/x2"], tmp_path)
    assert len(merged) == len(frame)
    on_disk = pd.read_csv(tmp_path / "quality.csv")
    assert len(on_disk) == len(frame) and set(on_disk.columns) == set(QUALITY_COLUMNS)
    report = (tmp_path / "quality.md").read_text()
    assert "## scikit-image photographs, scale 2" in report and "| @upscalerjs/pixel-upsampler/x2 | model | 2 |" in report
    other_set = frame.assign(set="mine", crop=0).iloc[:1]
    assert len(write_quality(other_set, tmp_path)) == len(frame) + 1  # another set: kept side by side
    other_crop = frame.assign(crop=64).iloc[:1]
    assert len(write_quality(other_crop, tmp_path)) == 2  # that set's rows of another protocol are dropped


def test_bench_quality_cli_on_a_folder_of_images(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    Image.fromarray(load_eval_image("rocket", 96)).save(folder / "rocket.png")
    Image.fromarray(load_eval_image("coffee", 80)).convert("L").save(folder / "grey.jpg")
    (folder / "notes.txt").write_text("not an image")
    code = main(
        ["bench", "quality", "--models", "pixel-upsampler/x4", "--scales", "4", "--sets", str(folder),
         "--out", str(tmp_path / "results"), "--samples-dir", str(tmp_path / "samples"), "-q"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "mine x4:" in out and "Wrote" in out
    rows = pd.read_csv(tmp_path / "results" / "quality.csv")
    assert set(rows["set"]) == {"mine"} and set(rows["image"]) == {"rocket", "grey"} and set(rows["crop"]) == {0}
    assert sorted(set(rows["method"])) == sorted(["@upscalerjs/pixel-upsampler/x4", "nearest", "bilinear", "bicubic", "lanczos"])
    assert not (tmp_path / "samples").exists()  # the sample crop comes from the skimage set only


def test_bench_quality_cli_errors(tmp_path, capsys):
    assert main(["bench", "quality", "--models", "nothing-like-this", "-q"]) == 2
    assert main(["bench", "quality", "--sets", str(tmp_path / "absent"), "-q"]) == 2
    assert "No evaluation set" in capsys.readouterr().err
    assert main(["bench", "quality", "--sets", "set5", "--datasets", str(tmp_path), "-q"]) == 2
    assert "Set5 is not in" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["bench", "quality", "--sets", str(tmp_path / "empty"), "-q"]) == 2
    assert "holds no image" in capsys.readouterr().err
    assert main(["bench", "quality", "--limit-size", "0", "-q"]) == 2


def test_measure_speed_in_process():
    settings = SpeedSettings(size=32, patch_size=16, padding=2, repeats=1)
    row = measure_speed("esrgan-slim/2x", settings)
    assert tuple(row) == SPEED_COLUMNS
    assert row["model"] == "@upscalerjs/esrgan-slim/2x" and row["scale"] == 2
    keras_model = Upscaler("esrgan-slim/2x").model_file.keras_model
    assert row["whole_gflop"] == conv_flops(keras_model, 32, 32) / 1e9
    patches = len(plan_patches(32, 32, 16, 2))
    assert row["tiled_patches"] == patches and row["tiled_batch"] == min(patches, MAX_BATCH, BATCH_PIXELS // (16 * 16))
    assert row["runtime"] == "tensorflow"  # the suite's default (tests/conftest.py)
    assert row["tiled_gflop"] == pytest.approx(patches * conv_flops(keras_model, 16, 16) / 1e9)
    assert row["peak_rss_mib"] >= row["base_rss_mib"] > 0
    assert row["whole_gflop_s"] == pytest.approx(row["whole_gflop"] / (row["whole_ms"] / 1e3))
    assert row["conv_peak_gflop_s"] > 0
    assert row["whole_peak_pct"] == pytest.approx(100 * row["whole_gflop_s"] / row["conv_peak_gflop_s"])
    assert row["start_worst_x"] >= 1 and row["tf_ms"] > 0 and row["cpu"] == cpu_name()
    # TensorFlow with bf16 convolutions, side by side on the whole image: within the fast precision's bounds
    assert row["tf_bf16_psnr_db"] >= MIN_FAST_PSNR_DB and row["tf_bf16_max_levels"] <= MAX_FAST_LEVELS
    assert row["fast_speedup"] == pytest.approx(row["whole_ms"] / row["fast_ms"])
    assert row["fast_peak_pct"] == pytest.approx(100 * row["fast_gflop_s"] / row["conv_peak_bf16_gflop_s"])
    assert row["fast_reason"].startswith("exact runs: " if row["fast_runtime"] == "exact" else "bf16 runs: ")


_CPUINFO = "processor\t: 0\ncpu MHz\t\t: 2500.000\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\ncpu MHz\t\t: 9999\n"


@pytest.mark.parametrize(("flags", "per_cycle"), [("avx avx2 fma avx512f", 64), ("avx avx2 fma", 32), ("avx", 8)])
def test_paper_peak_is_cores_times_clock_times_flops_per_cycle(flags, per_cycle):
    assert paper_gflop_s(_CPUINFO.format(flags=flags), cores=2) == pytest.approx(2 * 2.5 * per_cycle)


def test_paper_peak_unknown_without_clock_or_flags():
    assert math.isnan(paper_gflop_s("processor\t: 0\n", cores=2))


def _child_peak_mib() -> float:
    return peak_memory_mib()


def test_peak_memory_of_a_child_is_its_own():
    ballast = np.ones(400 * 2**20, np.uint8)  # 400 MiB resident in this process
    assert peak_memory_mib("VmRSS") > 400
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        child = pool.submit(_child_peak_mib).result()
    assert 0 < child < 400 <= peak_memory_mib()  # getrusage's ru_maxrss would carry this process's size over
    del ballast


def test_speed_settings_are_checked():
    with pytest.raises(ExplorerError, match="1 to 512"):
        SpeedSettings(size=600)
    with pytest.raises(ExplorerError, match="at least 1"):
        SpeedSettings(repeats=0)


def test_bench_speed_cli_runs_each_model_in_its_own_process(tmp_path, capsys):
    out = tmp_path / "results"
    args = ["bench", "speed", "--models", "pixel-upsampler/x2", "--size", "24", "--patch-size", "16", "--padding", "2"]
    assert main([*args, "--repeats", "1", "--out", str(out), "-q"]) == 0
    assert "pixel-upsampler/x2" in capsys.readouterr().out
    rows = pd.read_csv(out / "speed.csv")
    assert list(rows["model"]) == ["@upscalerjs/pixel-upsampler/x2"] and rows["whole_gflop"].iloc[0] == 0
    assert rows["tiled_patches"].iloc[0] == len(plan_patches(24, 24, 16, 2))
    assert "| @upscalerjs/pixel-upsampler/x2 |" in (out / "speed.md").read_text()


def test_write_speed_keeps_rows_of_an_older_layout(tmp_path):
    row = {column: 1 for column in SPEED_COLUMNS}
    older = pd.DataFrame([{**row, "model": "old"}]).drop(columns=["fast_ms", "fast_reason"])
    (tmp_path / "speed.csv").write_text(older.to_csv(index=False))
    merged = write_speed(pd.DataFrame([{**row, "model": "new"}]), tmp_path, machine="test machine")
    assert list(merged["model"]) == ["new", "old"]  # sorted by model
    assert math.isnan(merged.set_index("model").loc["old", "fast_ms"])
    assert merged.set_index("model").loc["new", "fast_ms"] == 1


def test_write_speed_keeps_other_models(tmp_path):
    row = {column: 1 for column in SPEED_COLUMNS}
    write_speed(pd.DataFrame([{**row, "model": "a"}]), tmp_path, machine="test machine")
    merged = write_speed(pd.DataFrame([{**row, "model": "b"}]), tmp_path, machine="test machine")
    assert list(merged["model"]) == ["a", "b"]
    assert "Machine: test machine." in (tmp_path / "speed.md").read_text()


def test_markdown_table():
    frame = pd.DataFrame({"name": ["x", "y"], "value": [1.23456, math.nan], "flag": [True, False], "peak": [math.inf, 2.0]})
    assert markdown_table(frame, {"value": ".2f"}).splitlines() == [
        "| name | value | flag | peak |",
        "|---|---:|---|---:|",
        "| x | 1.23 | True | ∞ |",
        "| y | – | False | 2.0 |",
    ]
