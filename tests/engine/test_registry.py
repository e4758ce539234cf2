"""The registry: every card parses, names are unique, and the cards tell the truth about the packages."""

from __future__ import annotations

import json
import math

import pytest

from explorer import DEFAULT_MODEL, get_spec, list_models
from explorer.engine import store
from explorer.engine.registry import cards_dir, read_card
from explorer.errors import ModelFormatError, ModelNotFoundError

REQUIRED_PACKAGES = {
    "@upscalerjs/default-model": {"."},
    "@upscalerjs/esrgan-slim": {"./2x", "./3x", "./4x", "./8x"},
    "@upscalerjs/esrgan-medium": {"./2x", "./3x", "./4x", "./8x"},
    "@upscalerjs/esrgan-thick": {"./2x", "./3x", "./4x", "./8x"},
    "@upscalerjs/esrgan-legacy": {"./div2k/2x", "./div2k/3x", "./div2k/4x", "./psnr-small", "./gans"},
    "@upscalerjs/pixel-upsampler": {"./x2", "./x3", "./x4"},
}
SMALL_PACKAGES = ["@upscalerjs/default-model", "@upscalerjs/esrgan-slim", "@upscalerjs/esrgan-legacy", "@upscalerjs/pixel-upsampler"]


def test_every_required_variant_is_registered():
    found: dict[str, set[str]] = {}
    for spec in list_models():
        found.setdefault(spec.package, set()).add(spec.export)
    for package, exports in REQUIRED_PACKAGES.items():
        assert exports <= found.get(package, set()), package


def test_every_spec_is_complete_and_names_are_unique():
    names = [name for spec in list_models() for name in spec.names]
    assert len(names) == len(set(names))
    for spec in list_models():
        assert spec.id.startswith("@upscalerjs/") and spec.short_id in spec.aliases
        assert spec.scale >= 1 and spec.model_type in ("layers", "graph") and spec.license == "mit"
        assert spec.integrity.startswith("sha512-")
        assert spec.path in spec.files and spec.fixture in spec.files
        assert spec.input_range in ((0.0, 255.0), (0.0, 1.0))
        assert set(spec.platforms) <= {"browser", "node"}
        assert ("browser" not in spec.platforms) == (spec.scale == 8)


def test_ranges_follow_the_architecture():
    for spec in list_models():
        if spec.architecture == "rrdn":
            assert spec.input_range == (0.0, 1.0), spec.id
        elif spec.architecture == "rdn":
            assert spec.input_range == (0.0, 255.0), spec.id


def test_default_model_and_aliases():
    assert get_spec("default").id == DEFAULT_MODEL
    assert get_spec("esrgan-slim/4x") is get_spec("@upscalerjs/esrgan-slim/4x")
    assert get_spec("pixel-upsampler/2x").id == "@upscalerjs/pixel-upsampler/x2"
    spec = get_spec("esrgan-thick/2x")
    assert get_spec(spec) is spec


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ModelNotFoundError, match="Did you mean.*esrgan-slim/4x"):
        get_spec("esrgan-slim/4")


def test_every_card_variant_loads_as_its_declared_type():
    for spec in list_models():
        assert (spec.model_type == "graph") == (spec.family == "maxim"), spec.id
        assert (spec.divisibility_factor is not None) == (spec.model_type == "graph"), spec.id


def test_filter_and_task():
    assert {s.short_id for s in list_models("esrgan-*/4x")} == {
        "esrgan-slim/4x",
        "esrgan-medium/4x",
        "esrgan-thick/4x",
        "esrgan-legacy/div2k/4x",
    }
    assert {s.family for s in list_models(task="upscaling")} == {"esrgan", "pixel-upsampler"}
    assert [s.short_id for s in list_models(task="denoising")] == ["maxim-denoising"]


@pytest.mark.parametrize("package", SMALL_PACKAGES)
def test_card_matches_the_real_package(package):
    specs = [s for s in list_models() if s.package == package]
    root = store.package_dir(specs[0])
    manifest = json.loads((root / "package.json").read_text())
    assert manifest["name"] == package and manifest["version"] == specs[0].version
    for spec in specs:
        assert spec.export in manifest["exports"]
        model = json.loads((root / spec.path).read_text())
        entries = [w for group in model["weightsManifest"] for w in group["weights"]]
        assert spec.parameters == sum(math.prod(w["shape"]) for w in entries)
        shards = [root / spec.path.rsplit("/", 1)[0] / p for g in model["weightsManifest"] for p in g["paths"]]
        assert spec.size_bytes == sum(p.stat().st_size for p in shards)
        quantized = {w.get("quantization", {}).get("dtype") for w in entries} - {None}
        assert spec.quantization == (quantized.pop() if quantized else None)
        assert (root / spec.fixture).is_file()
        assert spec.sample is None or (root / spec.sample).is_file()


def test_broken_cards_are_reported(tmp_path, monkeypatch):
    card = tmp_path / "broken.md"
    card.write_text("no front matter")
    with pytest.raises(ModelFormatError, match="front matter"):
        read_card(card)
    card.write_text("---\npackage: {name: x, version: '1', integrity: sha512-x}\nvariants: [{export: ./a}]\n---\n")
    with pytest.raises(ModelFormatError, match="missing path, scale"):
        read_card(card)
    card.write_text("---\npackage: {name: x, version: '1', integrity: s}\nvariants:\n - {export: ./a, path: m.json, scale: 2, input_range: [1, 0]}\n---\n")
    with pytest.raises(ModelFormatError, match="low to high"):
        read_card(card)


def test_cards_folder_can_be_moved(tmp_path, monkeypatch):
    source = cards_dir() / "pixel-upsampler.md"
    (tmp_path / "only.md").write_text(source.read_text())
    monkeypatch.setenv("UPSCALER_EXPLORER_CARDS", str(tmp_path))
    assert {s.package for s in list_models()} == {"@upscalerjs/pixel-upsampler"}
    monkeypatch.setenv("UPSCALER_EXPLORER_CARDS", str(tmp_path / "nowhere"))
    with pytest.raises(ModelFormatError, match="No model cards folder"):
        list_models()
