"""Example images: the bundled astronaut and small copies of scikit-image's photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer.app.examples import BUNDLED_EXAMPLE, degrade, example_images


def test_examples_are_written_once_and_small(tmp_path):
    paths = example_images(tmp_path, side=96)
    assert paths[0] == BUNDLED_EXAMPLE
    assert [path.name for path in paths[1:4]] == ["chelsea-96.png", "coffee-96.png", "astronaut-96.png"]
    assert [path.name.split("-")[0] for path in paths[4:]] == ["rainy", "hazy", "noisy", "dark", "blurry"]
    sizes = [Image.open(path).size for path in paths[1:]]
    assert sizes == [(96, 64), (96, 64), (96, 96), (96, 64), (96, 64), (96, 64), (96, 64), (96, 64)]
    stamp = paths[1].stat().st_mtime_ns
    assert example_images(tmp_path, side=96) == paths and paths[1].stat().st_mtime_ns == stamp


def test_an_unwritable_cache_leaves_the_bundled_image(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert example_images(blocker / "examples") == [BUNDLED_EXAMPLE]  # cannot create a folder inside a file


def test_degraded_copies_are_what_their_names_say():
    from skimage import data

    photo = data.chelsea()[:128, :128]
    clean = photo.astype(float)
    noisy, dark, hazy, blurry, rainy = (degrade(photo, how).astype(float) for how in ("noisy", "dark", "hazy", "blurry", "rainy"))
    assert 20 < np.std(noisy - clean) < 30  # σ = 25 levels, a little less where clipped
    assert dark.mean() < 0.3 * clean.mean()
    assert hazy[:16].std() < 0.5 * clean[:16].std() and hazy[-16:].std() > 0.8 * clean[-16:].std()  # thicker haze far away (top)
    assert np.abs(np.diff(blurry, axis=1)).mean() < 0.6 * np.abs(np.diff(clean, axis=1)).mean()
    assert rainy.mean() > clean.mean() and (rainy >= clean - 1).all()  # streaks only brighten
    with pytest.raises(ValueError, match="Unknown degradation"):
        degrade(photo, "sunny")
