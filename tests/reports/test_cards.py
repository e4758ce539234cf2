"""Model cards: Hugging Face form, and measured parts that match the committed results."""

from __future__ import annotations

import dataclasses
import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from explorer.cli import main
from explorer.engine.registry import cards_dir, read_card
from explorer.reports.cards import (
    HUB_DATASETS,
    SECTIONS,
    card_results,
    hub_datasets,
    model_index,
    render_card,
    update_cards,
)

CARDS = sorted(cards_dir().glob("*.md"))
RESULTS = cards_dir() / "results"


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"\A---\n(.*?\n)---\n", text, re.S)
    assert match, f"{path.name}: no front matter"
    return yaml.safe_load(match.group(1))


@pytest.fixture(scope="module")
def quality() -> pd.DataFrame:
    return pd.read_csv(RESULTS / "quality.csv")


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_card_is_a_valid_hugging_face_model_card(card):
    data = front_matter(card)
    assert read_card(card)  # the registry reads it
    assert isinstance(data["license"], str) and data["license"]
    assert data["pipeline_tag"] == "image-to-image"
    assert isinstance(data["tags"], list) and data["tags"] and all(isinstance(t, str) for t in data["tags"])
    assert isinstance(data["datasets"], list) and all(isinstance(d, str) for d in data["datasets"])
    for entry in data.get("model-index", []):
        assert set(entry) == {"name", "results"} and entry["results"]
        for result in entry["results"]:
            assert result["task"]["type"] == "image-to-image" and result["task"]["name"]
            assert isinstance(result["dataset"]["name"], str) and isinstance(result["dataset"]["type"], str)
            for metric in result["metrics"]:
                assert metric["type"] in ("psnr", "ssim", "gmsd") and isinstance(metric["name"], str)
                assert isinstance(metric["value"], float) and metric["value"] > 0


UPSCALING_CARDS = [card for card in CARDS if any(spec.task == "upscaling" for spec in read_card(card))]


def variant_results(model_index: list[dict]) -> dict[str, dict[str, list[tuple[str, str, float]]]]:
    """Each variant's metrics per dataset type, found by its ``dataset.config``, as (type, name, value)."""
    found: dict[str, dict] = {}
    for entry in model_index:
        for result in entry["results"]:
            variant = result["dataset"]["config"]
            assert variant in result["task"]["name"]
            on_set = found.setdefault(variant, {}).setdefault(result["dataset"]["type"], [])
            on_set.extend((m["type"], m["name"], m["value"]) for m in result["metrics"])
    return found


@pytest.mark.parametrize("card", UPSCALING_CARDS, ids=[c.stem for c in UPSCALING_CARDS])
def test_model_index_matches_the_committed_results(card, quality):
    index = front_matter(card).get("model-index", [])
    specs = read_card(card)
    assert [entry["name"] for entry in index] == [specs[0].package]
    measured = [spec for spec in specs if spec.id in set(quality["method"])]
    found = variant_results(index)
    assert set(found) == {spec.short_id for spec in measured}
    types = {"set5": "set5", "set14": "set14", "skimage": "skimage-photographs"}
    for spec in measured:
        assert list(found[spec.short_id])[:2] == ["set5", "set14"], spec.id  # the standard sets first
        for set_name, rows in quality[(quality["method"] == spec.id) & (quality["scale"] == spec.scale)].groupby("set"):
            assert len(rows) == rows["image"].nunique() >= 5
            expected = [
                ("psnr", round(rows["psnr_y"].mean(), 2)),
                ("ssim", round(rows["ssim_y"].mean(), 4)),
                ("psnr", round(rows["psnr_rgb"].mean(), 2)),
                ("ssim", round(rows["ssim_rgb"].mean(), 4)),
                ("gmsd", round(rows["gmsd"].mean(), 4)),
            ]
            assert [(kind, value) for kind, _, value in found[spec.short_id][types[set_name]]] == expected, spec.id


RESTORATION_CARDS = [card for card in CARDS if any(spec.scale == 1 for spec in read_card(card))]


@pytest.mark.parametrize("card", RESTORATION_CARDS, ids=[c.stem for c in RESTORATION_CARDS])
def test_restoration_cards_carry_their_measured_results(card):
    restoration = pd.read_csv(RESULTS / "restoration.csv")
    spec = read_card(card)[0]
    text = card.read_text(encoding="utf-8")
    found = variant_results(front_matter(card).get("model-index", [])).get(spec.short_id, {})
    rows = restoration[restoration["method"] == spec.id]
    if spec.task == "retouching":  # no synthetic degradation stands for an expert's taste: said, not measured
        assert rows.empty and not found and "Not measured: retouching has no synthetic degradation" in text
        return
    assert set(rows["degradation"]) and set(found) == {f"synthetic-{d}" for d in rows["degradation"]}
    for degradation, on_set in rows.groupby("degradation"):
        psnr_rgb = found[f"synthetic-{degradation}"][0]
        assert psnr_rgb[:2] == ("psnr", "PSNR (RGB)") and psnr_rgb[2] == round(on_set["psnr_rgb"].mean(), 2)
        assert f"`{degradation}`" in text
    assert "What the numbers say:" in text


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_card_survives_a_hugging_face_round_trip(card, tmp_path):
    """The Hub's own tooling rewrites the model-index (one name, results merged by task and dataset):
    after ``ModelCard.load(...).save(...)`` every variant still has its own results, the registry
    still reads the card, and parsing raised no warning."""
    huggingface_hub = pytest.importorskip("huggingface_hub")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = huggingface_hub.ModelCard.load(card)
    saved = tmp_path / card.name
    loaded.save(saved)
    before, after = front_matter(card), front_matter(saved)
    assert variant_results(after.get("model-index", [])) == variant_results(before.get("model-index", []))
    assert after["datasets"] == before["datasets"]
    assert read_card(saved) == read_card(card)


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_datasets_are_hub_ids_of_the_training_sets(card):
    specs = read_card(card)
    datasets = front_matter(card)["datasets"]
    assert datasets == hub_datasets(specs)
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+", name) for name in datasets)
    trained_on = {(spec.dataset or "").lower() for spec in specs}
    assert set(datasets) == {HUB_DATASETS[name] for name in trained_on if name in HUB_DATASETS}


def test_every_upscaling_model_is_measured_on_set5_and_set14_with_the_four_baselines(quality):
    for spec in (s for card in CARDS for s in read_card(card)):
        if spec.task == "upscaling":
            for set_name, images in (("set5", 5), ("set14", 14)):
                rows = quality[(quality["set"] == set_name) & (quality["scale"] == spec.scale)]
                assert set(rows.loc[rows["method"] == spec.id, "image"]) == set(rows["image"]), (spec.id, set_name)
                assert rows["image"].nunique() == images
                for baseline in ("nearest", "bilinear", "bicubic", "lanczos"):
                    assert (rows["method"] == baseline).sum() == images, (set_name, spec.scale, baseline)


def test_generated_parts_are_up_to_date():
    assert update_cards(check=True) == []


def test_cards_show_quality_speed_and_samples_that_exist():
    assert len(UPSCALING_CARDS) >= 6
    for card in UPSCALING_CARDS:
        text = card.read_text(encoding="utf-8")
        for name in (n for n in SECTIONS if n != "restoration"):
            assert f"<!-- BEGIN GENERATED: {name} -->" in text, (card.name, name)
        for sample in re.findall(r'src="(samples/[^"]+)"', text):
            path = cards_dir() / sample
            assert path.is_file() and path.stat().st_size < 20_000, sample


HAND_WRITTEN = "Hand-written prose, kept as it is.\n"


@pytest.fixture()
def card_copy(tmp_path) -> Path:
    """esrgan-slim's card with its generated parts and model-index removed, plus prose around a marker pair."""
    text = (cards_dir() / "esrgan-slim.md").read_text(encoding="utf-8")
    text = re.sub(r"^model-index:.*?(?=^package:)", "", text, count=1, flags=re.S | re.M)
    text = re.sub(r"<!-- BEGIN GENERATED: (\w+) -->.*?<!-- END GENERATED: \1 -->\n?", "", text, flags=re.S)
    text += f"\n{HAND_WRITTEN}\n<!-- BEGIN GENERATED: variants -->\nstale\n<!-- END GENERATED: variants -->\n\nAfter.\n"
    (tmp_path / "results").mkdir()
    path = tmp_path / "esrgan-slim.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_render_keeps_prose_and_the_registry_data_and_is_idempotent(card_copy):
    results = card_results(RESULTS, cards_dir() / "samples")
    text = card_copy.read_text(encoding="utf-8")
    specs = read_card(card_copy)
    new = render_card(text, specs, results)
    assert HAND_WRITTEN in new and new.rstrip().endswith("<!-- END GENERATED: samples -->")
    assert "stale" not in new and "\nAfter.\n" in new
    for name in ("quality", "speed", "samples"):  # appended: there are results for them
        assert new.count(f"<!-- BEGIN GENERATED: {name} -->") == 1
    assert "GENERATED: restoration" not in new  # an upscaler has no restoration results
    assert "What the numbers say:" in new and "the best classical filter" in new
    card_copy.write_text(new, encoding="utf-8")
    assert read_card(card_copy) == specs  # package and variants untouched
    data = front_matter(card_copy)
    assert [entry["name"] for entry in data["model-index"]] == [specs[0].package]
    measured = [s.short_id for s in specs if s.id in set(results.quality["method"])]
    assert list(variant_results(data["model-index"])) == measured
    assert list(data).index("model-index") < list(data).index("package")
    assert render_card(new, specs, results) == new


def test_a_card_without_results_gets_no_measurements(card_copy):
    empty = card_results(card_copy.parent / "results", card_copy.parent / "samples")
    text = card_copy.read_text(encoding="utf-8")
    new = render_card(text, read_card(card_copy), empty)
    card_copy.write_text(new, encoding="utf-8")
    assert "model-index" not in front_matter(card_copy) and "GENERATED: quality" not in new
    assert "| `@upscalerjs/esrgan-slim/2x` | 2x | RDN |" in new  # only the variants region (from the front matter)


def test_model_index_needs_results():
    specs = read_card(cards_dir() / "esrgan-slim.md")
    assert model_index(specs, pd.DataFrame()) == []


def test_cards_cli_check_and_update(card_copy, capsys):
    directory = card_copy.parent
    shutil.copytree(RESULTS, directory / "results", dirs_exist_ok=True)
    shutil.copytree(cards_dir() / "samples", directory / "samples")
    assert main(["cards", "--check", "--dir", str(directory)]) == 1
    assert "esrgan-slim.md: out of date" in capsys.readouterr().out
    assert main(["cards", "--dir", str(directory)]) == 0
    assert main(["cards", "--check", "--dir", str(directory)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_speed_section_shows_both_precisions_and_the_cpu_where_measured(card_copy):
    results = card_results(RESULTS, cards_dir() / "samples")
    specs = read_card(card_copy)
    speed = results.speed[results.speed["model"].isin([spec.id for spec in specs])].reset_index(drop=True)
    assert not speed.empty
    measured = speed.assign(  # what `bench speed` writes now, on a CPU without bf16 units, for the first variant only
        fast_ms=[speed["whole_ms"].iloc[0], *[float("nan")] * (len(speed) - 1)], fast_speedup=1.0, fast_runtime="exact",
        fast_psnr_db=float("nan"), fast_max_levels=float("nan"), tf_ms=10.0, openvino_ms=11.0, openvino_bf16_ms=11.0,
        tf_bf16_ms=12.0, cpu="AMD EPYC", bf16_units="none",
        fast_reason="exact runs: this CPU (AMD EPYC) has no bf16 units (AMX or AVX512-BF16)",
    )  # fmt: skip
    text = card_copy.read_text(encoding="utf-8")
    new = render_card(text, specs, dataclasses.replace(results, speed=measured))
    assert "measured on AMD EPYC (bf16 units: none)" in new
    assert f"| `{speed['model'].iloc[0]}` |" in new.split("Precision (")[1]
    assert "| exact runs: this CPU (AMD EPYC) has no bf16 units (AMX or AVX512-BF16) |" in new
    assert f"| `{speed['model'].iloc[-1]}` |" not in new.split("Precision (")[1] or len(speed) == 1  # unmeasured rows left out
    assert "Precision (" not in render_card(text, specs, results)  # older results: no precision table
