"""The named API endpoints, driven with gradio_client against the launched app."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from explorer import Upscaler
from explorer.codegen.snippets import generate
from explorer.quality.evaluate import evaluate

from .conftest import crop_png


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_the_endpoints_are_named(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/upscale", "/evaluate", "/snippet", "/models"} <= names


def test_upscale_returns_the_librarys_pixels_first(client, photo):
    image, report = client.predict(handle_file(str(photo)), "esrgan-slim/2x", 32, 4, api_name="/upscale")
    expected = Upscaler("esrgan-slim/2x").upscale(np.asarray(Image.open(photo)), patch_size=32, padding=4)
    np.testing.assert_array_equal(np.asarray(Image.open(image)), expected)  # PNG: lossless
    assert report["output_size"] == [128, 96] and report["patch_size"] == 32 and report["patches"] == 6


def test_upscale_whole_image_when_patch_size_is_zero(client, photo):
    _, report = client.predict(handle_file(str(photo)), "default-model", 0, 0, api_name="/upscale")
    assert report["patch_size"] is None and report["patches"] == 1 and report["model"] == "@upscalerjs/default-model"


def test_evaluate_scores_like_the_library(client, photo):
    rows, output = client.predict(handle_file(str(photo)), "default-model", 0, 0, api_name="/evaluate")
    expected = evaluate("default-model", str(photo)).table
    assert [row["method"] for row in rows] == list(expected["method"])
    np.testing.assert_allclose([row["psnr_y"] for row in rows], expected["psnr_y"], rtol=1e-9)
    assert np.asarray(Image.open(output)).shape == (48, 64, 3)


def test_snippet_and_models(client):
    code = client.predict("esrgan-slim/4x", "node", 64, 4, api_name="/snippet")
    assert code == generate("esrgan-slim/4x", "node", patch_size=64, padding=4)
    models = client.predict(api_name="/models")
    assert {"default-model", "esrgan-slim/4x"} <= {model["short_id"] for model in models}


def test_errors_come_back_with_their_message(client, photo, tmp_path):
    with pytest.raises(Exception, match="twice the padding"):
        client.predict(handle_file(str(photo)), "default-model", 32, 16, api_name="/upscale")
    big = crop_png(tmp_path, 128, 128, "big.png")
    Image.open(big).resize((600, 600)).save(big)
    with pytest.raises(Exception, match="takes up to 262,144"):  # the launched app's limit: 512×512
        client.predict(handle_file(str(big)), "default-model", 0, 0, api_name="/upscale")
    with pytest.raises(Exception, match="Unknown target"):
        client.predict("default-model", "cobol", 0, 0, api_name="/snippet")


@pytest.mark.parametrize(
    ("patch_size", "padding", "message"),
    [
        (100000, 4, "out of range"),
        (64, 200, "twice the padding"),
        (64, -5, "cannot be negative"),
        (-10, 4, "cannot be negative"),
        ("NaN", 4, "not a number"),  # JSON has no NaN or infinity: clients send them as text
        ("inf", 4, "out of range"),
        (64, "-Infinity", "out of range"),
        (3.5, 0, "use 3 or 4"),
        (1e300, 4, "out of range"),
    ],
)
def test_out_of_range_settings_get_the_projects_message(client, photo, patch_size, padding, message):
    with pytest.raises(Exception, match=message) as caught:
        client.predict(handle_file(str(photo)), "default-model", patch_size, padding, api_name="/upscale")
    assert "Value" not in str(caught.value)  # not Gradio's own range check


def test_a_file_that_is_not_an_image_gets_one_line(client, tmp_path):
    page = tmp_path / "page.png"
    page.write_text("<!doctype html><html><body>not a picture</body></html>")
    with pytest.raises(Exception, match="not an image the app can read") as caught:
        client.predict(handle_file(str(page)), "default-model", 0, 0, api_name="/upscale")
    assert "preprocess" not in str(caught.value) and "/tmp" not in str(caught.value)
