"""The command line on real files and real models: in this process through ``main(argv)`` (the ``cli`` fixture),
and as a user starts it, in a subprocess, where only a real process can show it (start-up noise, program name).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer import list_models
from explorer.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``python -m explorer ARGS`` in a new process (each costs a Python and TensorFlow start: use ``cli`` instead)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def test_upscale_writes_a_png_with_a_progress_bar(tmp_path):
    output = tmp_path / "out" / "big.png"
    result = run_cli("upscale", str(EXAMPLE), "-o", str(output), "--model", "esrgan-slim/2x", "--patch-size", "64", "--padding", "4")
    assert result.returncode == 0, result.stderr
    assert Image.open(output).size == (256, 256)
    bars = [line for line in re.split(r"[\r\n]", result.stderr) if line.startswith("Upscaling")]
    assert bars and all("/9 [" in bar for bar in bars) and "9/9" in bars[-1]  # one step per patch, its total known from the start
    assert f"Wrote {output}" in result.stdout and "9 patches" in result.stdout
    assert "WARNING" not in result.stderr  # TensorFlow's start-up noise is kept away from users


def test_upscale_fast_precision_says_what_ran_and_why(tmp_path, monkeypatch):
    from explorer import Upscaler

    monkeypatch.setenv("UPSCALER_EXPLORER_BF16", "off")  # the path of a CPU without bf16 units
    output = tmp_path / "fast.png"
    result = run_cli("upscale", str(EXAMPLE), "-o", str(output), "-q", "--precision", "fast")
    assert result.returncode == 0, result.stderr
    assert "Fast precision: exact runs: bf16 is off (UPSCALER_EXPLORER_BF16=off)." in result.stdout
    np.testing.assert_array_equal(np.asarray(Image.open(output)), Upscaler().upscale(np.asarray(Image.open(EXAMPLE))))
    wrong = run_cli("upscale", str(EXAMPLE), "-o", str(output), "--precision", "half")
    assert wrong.returncode == 2 and "invalid choice: 'half' (choose from 'exact', 'fast')" in wrong.stderr


def test_upscale_output_equals_the_library(cli, tmp_path):
    from explorer import Upscaler

    output = tmp_path / "cli.png"
    assert cli("upscale", str(EXAMPLE), "-o", str(output), "-q").returncode == 0
    expected = Upscaler().upscale(np.asarray(Image.open(EXAMPLE)))
    np.testing.assert_array_equal(np.asarray(Image.open(output)), expected)


def test_default_output_name_sits_next_to_the_input(cli, tmp_path):
    source = tmp_path / "photo.png"
    Image.open(EXAMPLE).crop((0, 0, 32, 24)).save(source)
    assert cli("upscale", str(source), "-q").returncode == 0
    assert Image.open(tmp_path / "photo@2x.png").size == (64, 48)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(EXAMPLE.read_bytes()[:2000]), "truncated"),
        (lambda p: p.write_text("hello, not an image"), "not an image"),
        (lambda p: Image.new("RGB", (5000, 4000)).save(p), "pixels"),
    ],
    ids=["zero-bytes", "truncated", "not-an-image", "too-many-pixels"],
)
def test_bad_images_give_a_clear_error_and_no_traceback(cli, tmp_path, make, message):
    bad = tmp_path / "bad.png"
    make(bad)
    result = cli("upscale", str(bad), "-o", str(tmp_path / "out.png"), "-q")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")
    assert message in result.stderr.lower()
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "esrgan-slim/5x"], "Did you mean"),
        (["--patch-size", "0"], "greater than 0"),
        (["--patch-size", "16", "--padding", "8"], "too large"),
        (["-o", "out.gif"], "ending in .png, .jpg or .webp"),
        (["-o", "out.png", "--quality", "80"], "PNG is lossless"),
        (["-o", "out.jpg", "--format", "png"], "make them agree"),
        (["--format", "jpeg", "--quality", "0"], "1 to 100"),
        (["--model", "esrgan-slim/2x", "--offline", "--source", "npm"], None),
    ],
)
def test_bad_settings_give_a_clear_error(cli, tmp_path, args, message):
    result = cli("upscale", str(EXAMPLE), "-q", *(["-o", str(tmp_path / "o.png")] if "-o" not in args else []), *args, cwd=tmp_path)
    if message is None:  # cached model, offline: works
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr


def test_one_output_file_for_several_inputs_is_refused(cli, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(EXAMPLE, shots / name)
    result = cli("upscale", str(shots), "-q", "-o", str(tmp_path / "o.png"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "give a folder instead" in result.stderr
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["a.png", "b.png", "shots"]  # nothing written


UNREACHABLE_MODEL = "http://127.0.0.1:9/never/model.json"  # the discard port: nothing answers there


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.png"], "No file at"),
        (["notes.txt"], "not an image"),
        ([str(EXAMPLE), "--patch-size", "16", "--padding", "8"], "too large"),
        ([str(EXAMPLE), "--scale", "0"], "scale must be a whole number"),
        ([str(EXAMPLE), "--input-range", "0,2"], "is not supported"),
        ([str(EXAMPLE), "--divisibility", "0"], "divisibility_factor must be"),
    ],
    ids=["missing-image", "not-an-image", "padding", "scale", "input-range", "divisibility"],
)
def test_inputs_and_settings_are_checked_before_the_model_is_fetched(cli, tmp_path, args, message):
    # The model is a URL nobody answers: had the CLI fetched or loaded it first, the error would be about the download.
    (tmp_path / "notes.txt").write_text("hello")
    result = cli("upscale", *args, "-o", str(tmp_path / "o.png"), "--model", UNREACHABLE_MODEL, "-q", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr and "Loading" not in result.stderr


def test_offline_without_cache_says_how_to_fetch(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path / "empty-cache"))
    result = cli("upscale", str(EXAMPLE), "-o", str(tmp_path / "o.png"), "--offline")
    assert result.returncode == 2 and "python -m explorer fetch" in result.stderr


def test_models_json_lists_every_variant_with_an_id(cli):
    result = cli("models", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [s.id for s in list_models()]
    assert {"scale", "architecture", "parameters", "size_bytes", "quantization", "input_range"} <= rows[0].keys()


def test_models_table_and_filter(cli):
    result = cli("models", "esrgan-slim/*")
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["id", "task", "scale"]
    assert len(lines) == 1 + 4 and all("esrgan-slim" in line for line in lines[1:])


def test_fetch_verifies_into_the_cache(cli):
    result = cli("fetch", "pixel-upsampler/x2", "default")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("verified") == 2


@pytest.mark.parametrize("command", [[], ["upscale"], ["models"], ["fetch"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser("upscaler-explorer").parse_args([*command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: {' '.join(['upscaler-explorer', *command])}" in capsys.readouterr().out


def test_help_names_the_program_as_it_was_started():
    assert run_cli("--help").stdout.startswith("usage: python -m explorer ")


def _photos(folder: Path, names: list[str]) -> list[Path]:
    """Real photo crops of different sizes, saved under ``names`` (format from the suffix)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, name in enumerate(names):
        path = folder / name
        Image.open(EXAMPLE).convert("RGB").crop((0, 0, 24 + 8 * number, 16 + 4 * number)).save(path)
        paths.append(path)
    return paths


def test_batch_goes_past_a_bad_file_and_fails_at_the_end(cli, tmp_path):
    first, bad, last = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.jpg"
    _photos(tmp_path, ["a.png", "c.jpg"])
    bad.write_bytes(b"this is not an image")
    out = tmp_path / "out"
    result = cli("upscale", str(first), str(bad), str(last), "-o", str(out), "--format", "webp", "--quality", "85",
                     "--model", "pixel-upsampler/x2", "-q")  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [".upscaler-explorer-done.jsonl", "a@2x.webp", "c@2x.webp"]
    for source in (first, last):
        with Image.open(out / f"{source.stem}@2x.webp") as written, Image.open(source) as original:
            assert written.format == "WEBP" and written.size == (original.width * 2, original.height * 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and str(bad) in errors[0] and "not an image" in errors[0]
    assert errors[1].startswith("error: 1 of 3 images failed") and str(bad) in errors[1]
    assert result.stdout.count("Wrote ") == 2


def test_batch_takes_a_folder_and_a_glob_and_writes_what_the_library_gives(cli, tmp_path):
    from explorer import Upscaler

    folder_inputs = _photos(tmp_path / "shots", ["x.png", "y.jpg"])
    (tmp_path / "shots" / "notes.txt").write_text("not an image, and not taken: the wrong suffix")
    globbed = _photos(tmp_path / "more", ["z1.png", "z2.png"])
    out = tmp_path / "out"
    result = cli("upscale", str(tmp_path / "shots"), str(tmp_path / "more" / "z*.png"), "-o", str(out),
                     "--model", "pixel-upsampler/x2", "-q")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == [".upscaler-explorer-done.jsonl", *sorted(f"{p.stem}@2x.png" for p in folder_inputs + globbed)]
    expected = Upscaler("pixel-upsampler/x2").upscale(np.asarray(Image.open(globbed[0]).convert("RGB")))
    np.testing.assert_array_equal(np.asarray(Image.open(out / "z1@2x.png")), expected)


@pytest.mark.parametrize(
    ("inputs", "output", "message"),
    [(["a.png", "c.jpg"], "one.png", "give a folder instead"), (["a.png"], "one.jpg", "make them agree")],
)
def test_batch_output_settings_that_cannot_work_are_refused_before_running(cli, tmp_path, inputs, output, message):
    _photos(tmp_path, ["a.png", "c.jpg"])
    extra = ["--format", "webp"] if output == "one.jpg" else []
    result = cli("upscale", *inputs, "-o", output, *extra, "--model", "pixel-upsampler/x2", "-q", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "c.jpg"]


def test_a_glob_or_folder_with_nothing_in_it_is_reported(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    _photos(tmp_path, ["a.png"])
    result = cli("upscale", "a.png", "empty", "nothing-*.png", "--model", "pixel-upsampler/x2", "-q", cwd=tmp_path)
    assert result.returncode == 2
    assert "no images" in result.stderr and "no file matches 'nothing-*.png'" in result.stderr
    assert (tmp_path / "a@2x.png").is_file()


def test_one_input_is_decoded_once_and_its_notes_said_in_the_options_names(tmp_path, monkeypatch, capsys):
    from explorer.cli import main
    from explorer.engine import images

    decodes = []
    real = images._channels
    monkeypatch.setattr(images, "_channels", lambda image, described: decodes.append(described) or real(image, described))
    source = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (40, 50, 3), dtype=np.uint8)).save(source)
    assert main(["upscale", str(source), "-m", "pixel-upsampler/x2", "--patch-size", "32", "-q"]) == 0
    assert len(decodes) == 1  # checked before the model loads, and that decoded image is what runs
    assert "--patch-size without --padding: seams may show" in capsys.readouterr().err
    assert Image.open(tmp_path / "in@2x.png").size == (100, 80)
