"""Batch ``upscale`` attacked as a user's folders would: no file lost, no output read back, reruns resume.

Each test runs the command as a user does, in a fresh HOME whose model cache
is the default one (the model is fetched into it with npm once per module);
in this process (one TensorFlow start), except where a run is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"
MODEL = "pixel-upsampler/x2"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def upscale(home, monkeypatch, capsys):
    """Run ``upscale ARGS -q`` (with the test model unless ``--model`` is given) in ``cwd``, as HOME ``home``."""
    for name in [name for name in os.environ if name.startswith("UPSCALER_EXPLORER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("UPSCALER_EXPLORER_RUNTIME", "tensorflow")

    def run(*args: str, cwd: Path) -> SimpleNamespace:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        status = main(["upscale", *args, "-q", *([] if "--model" in args else ["--model", MODEL])], prog="upscaler-explorer")
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=status, stdout=out, stderr=err)

    return run


def _environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("UPSCALER_EXPLORER_")}
    return {**env, "HOME": str(home), "PYTHONPATH": str(REPO), "UPSCALER_EXPLORER_RUNTIME": "tensorflow"}


def _picture(path: Path, corner: int, size: tuple[int, int] = (24, 16)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.open(EXAMPLE).convert("RGB").crop((corner, corner, corner + size[0], corner + size[1])).save(path)
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file() and not path.name.startswith(".")}


@pytest.mark.parametrize(("names", "options"), [(("icon.png", "icon@2x.png"), []),
                                                (("b.jpg", "b@2x.jpg"), ["-o", ".", "--format", "jpeg"])])  # fmt: skip
def test_a_users_retina_files_are_neither_overwritten_nor_upscaled_twice(upscale, home, tmp_path, names, options):
    folder = tmp_path / "d1"
    _picture(folder / names[0], 0)
    _picture(folder / names[1], 40, (48, 32))  # another picture, named as retina assets are everywhere
    before = _snapshot(folder)
    result = upscale("d1", *options, cwd=tmp_path) if not options else upscale(".", *options, cwd=folder)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"would replace the input {Path('d1', names[1]) if not options else names[1]}" in result.stderr
    after = _snapshot(folder)
    assert {name: after[name] for name in before} == before  # nothing of the user's changed
    stem, suffix = names[1].rsplit(".", 1)
    assert set(after) - set(before) == {f"{stem}@2x.{suffix}"}  # the user's retina file is upscaled once
    again = upscale("d1", *options, cwd=tmp_path) if not options else upscale(".", *options, cwd=folder)
    assert _snapshot(folder) == after and "Left out 1 file this tool wrote" in again.stderr


def test_an_existing_output_is_kept_unless_overwrite(upscale, home, tmp_path):
    photo = _picture(tmp_path / "photo.png", 0)
    theirs = _picture(tmp_path / "out" / "photo@2x.png", 30)
    kept = theirs.read_bytes()
    result = upscale("photo.png", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2 and "did not write it from this input" in result.stderr and "--overwrite" in result.stderr
    assert theirs.read_bytes() == kept and "Loading" not in result.stderr  # refused before the model loads
    assert upscale("photo.png", "-o", "out", "--overwrite", cwd=tmp_path).returncode == 0
    assert Image.open(theirs).size == tuple(2 * side for side in Image.open(photo).size)


@pytest.mark.parametrize("output", ["x/photo.png", "x/same.png"])
def test_an_output_that_is_the_input_is_refused_before_the_model_loads(upscale, home, tmp_path, output):
    photo = _picture(tmp_path / "x" / "photo.png", 0)
    (tmp_path / "x" / "same.png").symlink_to("photo.png")
    kept = photo.read_bytes()
    result = upscale("x/photo.png", "-o", output, cwd=tmp_path)
    assert result.returncode == 2 and f"-o {output} is the input itself" in result.stderr
    assert photo.read_bytes() == kept and "Loading" not in result.stderr


def test_a_rerun_skips_what_is_done_and_redoes_what_changed(upscale, home, tmp_path):
    a, b = _picture(tmp_path / "x" / "a.png", 0), _picture(tmp_path / "x" / "b.png", 20)
    assert upscale("x", cwd=tmp_path).returncode == 0
    written = {name: (tmp_path / "x" / name).stat().st_mtime_ns for name in ("a@2x.png", "b@2x.png")}
    again = upscale("x", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""
    assert "Skipped 2 of 2 images done before" in again.stderr and "Left out 2 files this tool wrote" in again.stderr
    assert "Loading" not in again.stderr  # nothing left to do: the model is not even loaded
    assert sorted(p.name for p in (tmp_path / "x").glob("*.png")) == ["a.png", "a@2x.png", "b.png", "b@2x.png"]
    assert {name: (tmp_path / "x" / name).stat().st_mtime_ns for name in written} == written
    _picture(a, 50)  # the input changed
    changed = upscale(str(a), str(b), str(tmp_path / "x" / "a@2x.png"), cwd=tmp_path)  # as a shell's x/* names them
    assert changed.returncode == 0 and changed.stdout.count("Wrote ") == 1 and "Skipped 1 of 2" in changed.stderr
    expected = np.asarray(Image.open(a)).repeat(2, axis=0).repeat(2, axis=1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "x" / "a@2x.png")), expected)
    other = upscale("x", "--patch-size", "8", "--padding", "2", cwd=tmp_path)  # a setting changed
    assert other.returncode == 0 and other.stdout.count("Wrote ") == 2


@pytest.mark.parametrize(
    ("output", "message"),
    [("one.png", "names one file, but the inputs are several files or a folder"),
     ("notes", "-o notes is an existing file, not a folder")],
)  # fmt: skip
def test_output_mistakes_are_refused_before_your_model_loads(upscale, home, tmp_path, output, message):
    _picture(tmp_path / "in" / "a.png", 0)
    _picture(tmp_path / "in" / "b.png", 20)
    (tmp_path / "notes").write_text("the user's notes")
    model = _own_model(home, tmp_path)
    result = upscale("in", "-o", output, "--model", str(model), cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Loading" not in result.stderr
    assert (tmp_path / "notes").read_text() == "the user's notes"


def _own_model(home: Path, tmp_path: Path) -> Path:
    """A copy of the fetched model's files, given as the user's own model (its scale is found by loading it)."""
    done = subprocess.run([sys.executable, "-m", "explorer", "fetch", MODEL], capture_output=True, text=True,
                          env=_environment(home), check=True)  # fmt: skip
    model_json = Path(done.stdout.strip().rsplit(", ", 1)[1])
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in model_json.parent.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder / model_json.name


def test_a_killed_run_resumes_and_leaves_no_temporary_files(upscale, home, tmp_path):
    small = _picture(tmp_path / "in" / "a.png", 0)
    big = tmp_path / "in" / "b.png"
    noise = np.random.default_rng(0).integers(0, 256, (1536, 1536, 3), dtype=np.uint8)
    Image.fromarray(noise).save(big)  # its 3072² output takes a while to write: time to kill the run mid-write
    out = tmp_path / "out"
    command = [sys.executable, "-m", "explorer", "upscale", str(small), str(big), "-o", str(out), "--model", MODEL, "-q"]
    process = subprocess.Popen(command, env=_environment(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not list(out.glob(".b@2x.png.*.tmp")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert list(out.glob(".b@2x.png.*.tmp")) and not (out / "b@2x.png").exists(), "the run ended before it was killed"
    assert (out / "a@2x.png").is_file()
    resumed = upscale(str(small), str(big), "-o", str(out), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "Skipped 1 of 2 images done before" in resumed.stderr and "Deleted 1 temporary file" in resumed.stderr
    assert sorted(p.name for p in out.iterdir()) == [".upscaler-explorer-done.jsonl", "a@2x.png", "b@2x.png"]
    with Image.open(out / "b@2x.png") as written:
        assert written.size == (3072, 3072)
