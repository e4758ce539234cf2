"""Fixtures for the app tests: small real images and one app, started as users start it, for the API and browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "explorer" / "examples" / "astronaut.png"
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def crop_png(folder: Path, width: int, height: int, name: str = "crop.png") -> Path:
    """A real photo crop (the bundled astronaut) saved as PNG."""
    path = folder / name
    Image.open(EXAMPLE).convert("RGB").crop((0, 0, width, height)).save(path)
    return path


_BROKEN_WORDS_JS = """selector => [...document.querySelectorAll(selector)].flatMap(cell => {
  const words = cell.innerText.trim();
  if (!words || /[\\s\\/-]/.test(words)) return [];  // only cells of one word: they must not wrap
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), lines = new Set();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {  // the text's line boxes, not the cell's
    const range = document.createRange(); range.selectNodeContents(text);
    [...range.getClientRects()].filter(r => r.width > 0).forEach(r => lines.add(Math.round(r.top)));
  }
  return lines.size > 1 ? [words] : [];
})"""


def broken_words(page, selector: str) -> list[str]:
    """The one-word cells under ``selector`` that are broken across lines ("upscalin / g")."""
    return page.evaluate(_BROKEN_WORDS_JS, selector)


def odd_uploads(folder: Path) -> dict[str, tuple[Path, str]]:
    """Uploads a new user may bring, each with what the page says of it (``"✗ …"``: refused; ``"⚠ …"``: a note):
    a PNG cut short after a valid header, a JPEG over the app's default size, an animated GIF, a CMYK JPEG without a colour profile and a 16-bit PNG."""
    rng = np.random.default_rng(7)
    crop = Image.open(crop_png(folder, 64, 48, "whole.png"))
    uploads = {
        "cut.png": "✗ This image is truncated or damaged",
        "large.jpg": "✗ This image is 3000×3000 = 9,000,000 pixels; this server takes up to",
        "animated.gif": "⚠ This image has 3 frames: only the first one is used.",
        "cmyk.jpg": "⚠ This image is CMYK with no colour profile",
        "deep.png": "⚠ This image has 16 bits per sample",
    }
    (folder / "cut.png").write_bytes((folder / "whole.png").read_bytes()[:2000])
    Image.new("RGB", (3000, 3000), (120, 80, 40)).save(folder / "large.jpg")  # over the app's default 2048×2048
    frames = [crop, *(Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)) for _ in range(2))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    Image.fromarray(np.asarray(crop.convert("L"), np.uint16) * 257).save(folder / "deep.png")
    crop.convert("CMYK").save(folder / "cmyk.jpg")
    return {name: (folder / name, said) for name, said in uploads.items()}


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A 64×48 crop of the astronaut: small enough for every model test."""
    return crop_png(tmp_path, 64, 48)


SERVED_PACKAGES = ("default-model", "esrgan-slim", "esrgan-medium", "esrgan-thick", "pixel-upsampler")
"""Packages put in the served app's cache before it starts (hard links to the test cache: no download)."""


def _user_home(model_cache: Path) -> Path:
    """A fresh home folder outside the system temp folder and the working folder, as a user's is.

    Gradio serves files from those two folders to anyone; a test app whose
    cache sits there hides every bug of files the app must not hand out.
    """
    home = Path(tempfile.mkdtemp(prefix="home-", dir=model_cache))
    assert not home.is_relative_to(tempfile.gettempdir()) and not home.is_relative_to(REPO)
    packages = home / ".cache" / "upscaler-explorer" / "packages"  # the default cache place on Linux
    for folder in sorted((model_cache / "packages").iterdir()):
        if folder.name.split("@")[1].split("+")[-1] in SERVED_PACKAGES:
            shutil.copytree(folder, packages / folder.name, copy_function=os.link)
    return home


@dataclass(frozen=True)
class ServedApp:
    """The app the tests share: its address and the file its output (its log) goes to."""

    url: str
    log: Path


@pytest.fixture(scope="session")
def app_url(served_app: ServedApp) -> str:
    """The shared app's address."""
    return served_app.url


@pytest.fixture(scope="session")
def served_app(model_cache: Path) -> Iterator[ServedApp]:
    """The whole app started as users start it: ``python -m explorer serve``, in its own process.

    HOME is a fresh folder (see :func:`_user_home`), the cache is in its default
    place there (no ``UPSCALER_EXPLORER_CACHE``), and the input limit is 512×512.
    The server's log is ``<home>/server.log``.
    """
    home = _user_home(model_cache)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("UPSCALER_EXPLORER_CACHE", "XDG_CACHE_HOME")}
    env.update(HOME=str(home), PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    log = (home / "server.log").open("w")
    command = [sys.executable, "-m", "explorer", "serve", "--port", str(port), "--max-pixels", str(512 * 512)]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The app did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/config", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        yield ServedApp(url, home / "server.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(home / "server.log", ARTIFACTS / "server.log")
        shutil.rmtree(home, ignore_errors=True)
