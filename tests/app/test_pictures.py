"""Images in the page: the app's limits, layouts kept through the model, display copies."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from explorer.app.config import AppConfig
from explorer.app.pictures import display_copy, read_image, rgb_view


def test_images_over_the_app_limit_are_refused_with_the_limit(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 200)).save(path)
    with pytest.raises(gr.Error) as caught:
        read_image(str(path), AppConfig(max_pixels=200 * 200))
    assert "300×200 = 60,000 pixels; this server takes up to 40,000 (200×200)" in caught.value.message
    assert read_image(str(path), AppConfig()).size == (300, 200)


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG header declaring a size, with no pixel data (what a decompression bomb or a 0×0 file looks like)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


BAD_UPLOADS = {
    "empty.png": (b"", "empty (0 bytes)"),
    "notes.txt": (b"just some text\n", "not an image"),
    "page.png": (b"<!doctype html><html><body>hello</body></html>", "not an image"),
    "bomb.png": (_png_declaring(30000, 30000), "declares more pixels than this server takes"),
    "nothing.png": (_png_declaring(0, 0), "not an image"),
    "cut.png": (None, "truncated or damaged"),
}


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_bad_uploads_get_one_line_without_server_paths(tmp_path, name):
    data, message = BAD_UPLOADS[name]
    if data is None:  # a real PNG cut short
        whole = tmp_path / "whole.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(whole)
        data = whole.read_bytes()[:300]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(gr.Error) as caught:
        read_image(str(path), AppConfig())
    text = caught.value.message
    assert message in text and "\n" not in text and str(tmp_path) not in text and "/" not in text.replace("×", "")
    assert "PIL" not in text and "environment" not in text


def test_unreadable_or_missing_images_are_errors(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        read_image(str(broken), AppConfig())
    with pytest.raises(gr.Error, match="Add an image"):
        read_image(None, AppConfig())


def test_display_copies_are_capped_but_small_images_untouched():
    small = np.zeros((40, 30, 3), np.uint8)
    assert display_copy(small) is small
    assert display_copy(np.zeros((3000, 1500, 3), np.uint8), max_side=1000).shape == (1000, 500, 3)



def test_rgb_view_for_every_array_layout():
    gray = np.full((2, 3), 7, np.uint8)
    assert rgb_view(gray).shape == (2, 3, 3) and (rgb_view(gray) == 7).all()
    rgba = np.zeros((2, 3, 4), np.uint8)
    assert rgb_view(rgba).shape == (2, 3, 3)
