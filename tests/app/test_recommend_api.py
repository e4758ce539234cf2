"""``/recommend`` through gradio_client against the launched app: the library's answer, as JSON."""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from explorer.codegen.snippets import generate
from tests.recommend.test_core import DRAWING


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_recommend_answers_with_the_choice_its_settings_the_table_and_the_code(client):
    found = client.predict(handle_file(str(DRAWING)), 2, "", "python", 0, 0, api_name="/recommend")
    rows = found["table"]
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    models = [row for row in rows if row["kind"] == "model"]
    assert found["model"] == models[0]["method"] and found["precision"] == models[0]["precision"]
    assert {row["method"] for row in rows if row["kind"] == "baseline"} == {"nearest", "bilinear", "bicubic", "lanczos"}
    assert all(row["front"] for row in found["front"]) and found["front"]
    assert (found["patch_size"], found["padding"]) == (None, None) and found["settings_line"].startswith("whole image")
    assert found["code"] == generate(found["model"], "python")
    assert found["sentence"] and found["seconds"] > 0 and found["image_size"] == [192, 256]


def test_recommend_refuses_a_bad_request_with_its_message(client):
    with pytest.raises(Exception, match="Give either a scale"):
        client.predict(handle_file(str(DRAWING)), 0, "", "browser", 0, 0, api_name="/recommend")
