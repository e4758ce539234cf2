"""Images for the batch engines' tests (the session's local Ray is ``local_ray`` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Four images of different sizes and kinds (RGB, RGBA, grayscale, JPEG) and one corrupt file."""
    from skimage import data

    photo = data.astronaut()
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(photo[100:117, 180:203]).save(folder / "rgb.png")
    rgba = np.dstack([photo[200:209, 200:213], np.linspace(0, 255, 9 * 13).reshape(9, 13).astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "rgba.png")
    Image.fromarray(photo[300:311, 50:67, 1], "L").save(folder / "gray.png")
    Image.fromarray(photo[20:39, 400:414]).save(folder / "photo.jpg", quality=90)
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return folder
