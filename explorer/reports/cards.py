"""Write measured results into the model cards: ``python -m explorer cards``.

The cards in ``model_cards/`` are Hugging Face model cards. Their measured
parts are generated from the benchmark results (``model_cards/results/*.csv``)
and never typed by hand:

* the front matter's ``model-index``: PSNR, SSIM (Y and RGB) and GMSD per
  variant and evaluation set (Set5, Set14, photographs; restoration models:
  per synthetic degradation), in Hugging Face's format (see
  :func:`model_index`), and its ``datasets``: the Hugging Face Hub ids of
  the variants' training sets, where the Hub has one (:data:`HUB_DATASETS`);
* regions of the body between ``<!-- BEGIN GENERATED: name -->`` and
  ``<!-- END GENERATED: name -->``: ``variants`` (the spec table, from the
  front matter), ``quality``, ``restoration``, ``speed`` and ``samples``
  (the quality and restoration text is written by :mod:`explorer.reports.story`).

Everything else (the rest of the front matter, hand-written prose) is kept
byte for byte. A card without the markers of ``quality``, ``speed`` or
``samples`` gets that region appended at its end when there are results for
it; the ``variants`` table is written only where its markers are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
import yaml

from explorer.engine.registry import ModelSpec, cards_dir, read_card, split_card
from explorer.errors import ModelFormatError
from explorer.reports.bench.dataset import SKIMAGE, set_order
from explorer.reports.bench.quality import set_protocol, set_title
from explorer.reports.bench.tables import markdown_table, write_text
from explorer.reports.results import SAMPLE, results_dir, sample_names, samples_dir
from explorer.reports.story import quality_section, restoration_section

__all__ = [
    "HUB_DATASETS",
    "SECTIONS",
    "CardResults",
    "hub_datasets",
    "card_results",
    "model_index",
    "render_card",
    "update_cards",
]

SECTIONS = ("variants", "quality", "restoration", "speed", "samples")
"""The generated body regions, in the order they are appended to a card that lacks them."""

DATASET_TYPES = {"set5": "set5", "set14": "set14", SKIMAGE: "skimage-photographs"}
"""``model-index`` dataset type of each named evaluation set (a folder's set uses its name)."""

HUB_DATASETS = {"div2k": "eugenesiow/Div2k"}
"""Training sets named in the cards (a variant's ``dataset``) that have a Hugging Face Hub dataset id.

The others (the MAXIM sets: GoPro, SIDD, Rain13k, RESIDE, LOL, FiveK) have
no canonical Hub copy; they stay in each variant's ``dataset`` and the
variants table, out of the Hub's ``datasets`` list.
"""

# The block runs to the next top-level key (its list items may start at column 0 with "-").
_MODEL_INDEX_BLOCK = re.compile(r"^model-index:.*?(?=^[^\s#-]|\Z)", re.S | re.M)
_DATASETS_BLOCK = re.compile(r"^datasets:.*?(?=^[^\s#-]|\Z)", re.S | re.M)
_SAMPLE_WIDTH = 144
_ARCHITECTURES = {"rdn": "RDN", "rrdn": "RRDN"}


def _begin(name: str) -> str:
    return f"<!-- BEGIN GENERATED: {name} -->"


def _end(name: str) -> str:
    return f"<!-- END GENERATED: {name} -->"


@dataclass(frozen=True)
class CardResults:
    """The benchmark results the cards are generated from.

    Attributes
    ----------
    quality : pandas.DataFrame
        Rows of ``quality.csv`` (empty if there is none).
    speed : pandas.DataFrame
        Rows of ``speed.csv`` (empty if there is none).
    samples : pathlib.Path
        Folder of the sample crops.
    restoration : pandas.DataFrame
        Rows of ``restoration.csv`` (empty if there is none).
    """

    quality: pd.DataFrame
    speed: pd.DataFrame
    samples: Path
    restoration: pd.DataFrame = field(default_factory=pd.DataFrame)


def card_results(results: Path | None = None, samples: Path | None = None) -> CardResults:
    """Read ``quality.csv``, ``speed.csv`` and ``restoration.csv`` (missing files give empty tables).

    Parameters
    ----------
    results : pathlib.Path, optional
        The results folder (default ``model_cards/results``).
    samples : pathlib.Path, optional
        The sample crops folder (default ``model_cards/samples``).
    """
    results = results or results_dir()
    samples = samples or samples_dir()
    names = ("quality.csv", "speed.csv", "restoration.csv")
    frames = [pd.read_csv(results / name) if (results / name).exists() else pd.DataFrame() for name in names]
    quality = frames[0] if frames[0].empty or "set" in frames[0].columns else frames[0].assign(set=SKIMAGE)
    return CardResults(quality=quality, speed=frames[1], samples=samples, restoration=frames[2])


def model_index(specs: Sequence[ModelSpec], quality: pd.DataFrame, restoration: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Hugging Face ``model-index`` of one card: one entry, one result per measured variant and evaluation set.

    The entry is named after the package (the card's repository). Hugging
    Face's tooling (``huggingface_hub``'s ``ModelCard``) keeps only one entry
    name and merges results that share task and dataset (type, config,
    split), so each variant's result carries the variant in its task name
    and as its ``dataset.config``, and each set its own ``dataset.type``
    (``set5``, ``set14``, ``skimage-photographs``, ``synthetic-noise-25``...):
    every variant's numbers on every set survive a ``ModelCard.load(...).save(...)``
    round trip, and say whose they are.

    Upscalers: the mean PSNR (dB, 2 decimals), SSIM and GMSD (4 decimals), on
    Y (and PSNR/SSIM on RGB), over each set's images at the variant's scale,
    Set5 and Set14 first. Restoration models: the same on each synthetic
    degradation of their task (:mod:`explorer.reports.bench.restoration`).
    """
    results = []
    for spec in specs:
        if not quality.empty:
            rows = quality[(quality["method"] == spec.id) & (quality["scale"] == spec.scale)]
            for set_name in set_order(rows["set"]):
                on_set = rows[rows["set"] == set_name]
                what = f"super-resolution {spec.scale}x" if spec.task == "upscaling" else spec.task
                task = {"type": "image-to-image", "name": f"Image {what}: {spec.short_id}"}
                dataset = {"name": f"{set_title(set_name)} ({set_protocol(quality, set_name)})",
                           "type": DATASET_TYPES.get(set_name, set_name), "config": spec.short_id}  # fmt: skip
                results.append({"task": task, "dataset": dataset, "metrics": _metrics(on_set, "y")})
        if restoration is not None and not restoration.empty:
            rows = restoration[restoration["method"] == spec.id]
            for degradation, on_set in rows.groupby("degradation", sort=False):
                task = {"type": "image-to-image", "name": f"Image {spec.task} ({degradation}): {spec.short_id}"}
                sets = " + ".join(f"{set_title(n)} ({set_protocol(rows, n)})" for n in set_order(on_set["set"]))
                dataset = {"name": f"{sets}, synthetic {degradation}", "type": f"synthetic-{degradation}", "config": spec.short_id}
                results.append({"task": task, "dataset": dataset, "metrics": _metrics(on_set, "rgb")})
    return [{"name": specs[0].package, "results": results}] if results else []


def _metrics(rows: pd.DataFrame, first: str) -> list[dict[str, Any]]:
    """PSNR and SSIM on ``first`` (``y`` or ``rgb``), then on the other, then GMSD."""
    second = "rgb" if first == "y" else "y"
    label = {"y": "Y, BT.601", "rgb": "RGB"}
    return [
        _metric("psnr", rows[f"psnr_{first}"].mean(), 2, f"PSNR ({label[first]})"),
        _metric("ssim", rows[f"ssim_{first}"].mean(), 4, f"SSIM ({label[first]})"),
        _metric("psnr", rows[f"psnr_{second}"].mean(), 2, f"PSNR ({label[second]})"),
        _metric("ssim", rows[f"ssim_{second}"].mean(), 4, f"SSIM ({label[second]})"),
        _metric("gmsd", rows["gmsd"].mean(), 4, "GMSD (lower is better)"),
    ]


def hub_datasets(specs: Sequence[ModelSpec]) -> list[str]:
    """The Hub dataset ids of the variants' training sets (:data:`HUB_DATASETS`), in variant order."""
    names = (HUB_DATASETS.get((spec.dataset or "").lower()) for spec in specs)
    return list(dict.fromkeys(name for name in names if name))


def _metric(kind: str, value: float, decimals: int, name: str) -> dict[str, Any]:
    return {"type": kind, "value": round(float(value), decimals), "name": name}


def render_card(text: str, specs: Sequence[ModelSpec], results: CardResults, *, source: str = "card") -> str:
    """Return a card's text with its generated parts rewritten from ``results``.

    Parameters
    ----------
    text : str
        The card as it is.
    specs : sequence of ModelSpec
        Its variants (read from the same text).
    results : CardResults
        Benchmark results.
    source : str
        Name used in error messages.

    Returns
    -------
    str
        The new text; equal to ``text`` when nothing changed.
    """
    front, body = split_card(text, source)
    index = model_index(specs, results.quality, results.restoration)
    if index:
        front = _with_model_index(front, index)
    front = _with_datasets(front, hub_datasets(specs))
    for name in SECTIONS:
        body = _with_section(body, name, _SECTION_BUILDERS[name](specs, results), append=name != "variants")
    return f"---\n{front}---\n{body}"


def _with_model_index(front: str, index: list[dict[str, Any]]) -> str:
    block = yaml.safe_dump({"model-index": index}, sort_keys=False, allow_unicode=True, width=1000)
    if _MODEL_INDEX_BLOCK.search(front):
        return _MODEL_INDEX_BLOCK.sub(lambda _: block, front, count=1)
    package = re.search(r"^package:", front, re.M)
    cut = package.start() if package else len(front)
    return front[:cut] + block + front[cut:]


def _with_datasets(front: str, datasets: list[str]) -> str:
    block = yaml.safe_dump({"datasets": datasets}, default_flow_style=False)
    if _DATASETS_BLOCK.search(front):
        return _DATASETS_BLOCK.sub(lambda _: block, front, count=1)
    return front + block


def _with_section(body: str, name: str, content: str | None, *, append: bool) -> str:
    """Replace the region ``name``; without its markers, append it if ``append`` and there is content."""
    begin, end = _begin(name), _end(name)
    has_markers = begin in body and end in body
    if not has_markers and (content is None or not append):
        return body
    if content is None:
        content = _not_measured(name)
    region = f"{begin}\n{content.strip()}\n{end}"
    if has_markers:
        start, stop = body.index(begin), body.index(end) + len(end)
        if stop < start:
            raise ModelFormatError(f"The '{name}' generated region ends before it begins; fix its markers.")
        return body[:start] + region + body[stop:]
    return body.rstrip("\n") + "\n\n" + region + "\n"


def _not_measured(name: str) -> str:
    command = {"speed": "bench speed", "restoration": "bench restoration"}.get(name, "bench quality")
    return f"Not measured yet: run `python -m explorer {command}`, then `python -m explorer cards`."


def _variants_section(specs: Sequence[ModelSpec], results: CardResults) -> str:  # noqa: ARG001
    rows = []
    for spec in specs:
        config = spec.config
        rows.append(
            {
                "variant": f"`{spec.id}`",
                "scale": f"{spec.scale}x",
                "architecture": _ARCHITECTURES.get(spec.architecture or "", spec.architecture or "–"),
                **{key: config.get(key, math.nan) for key in ("C", "D", "G", "G0", "T")},
                "parameters": f"{spec.parameters:,}",
                "size": f"{spec.size_bytes / 1e6:.2f} MB",
                "weights": spec.quantization or "float32",
                "input range": f"[0, {spec.input_range[1]:g}]",
                "training data": spec.dataset or "–",
                "platforms": ", ".join(spec.platforms),
            }
        )
    frame = pd.DataFrame(rows)
    return markdown_table(frame, dict.fromkeys(("C", "D", "G", "G0", "T"), ".0f"))


def _quality_section(specs: Sequence[ModelSpec], results: CardResults) -> str | None:
    return quality_section(specs, results.quality)


def _restoration_section(specs: Sequence[ModelSpec], results: CardResults) -> str | None:
    return restoration_section(specs, results.restoration)


def _speed_section(specs: Sequence[ModelSpec], results: CardResults) -> str | None:
    speed = results.speed
    if speed.empty:
        return None
    ids = [spec.id for spec in specs if spec.id in set(speed["model"])]
    if not ids:
        return None
    rows = speed.set_index("model").loc[ids].reset_index()  # in the card's variant order
    size, patch, padding = (int(rows[c].iloc[0]) for c in ("size", "patch", "padding"))
    shown = pd.DataFrame(
        {
            "variant": [f"`{m}`" for m in rows["model"]],
            "load (s)": rows["load_s"].to_numpy(),
            "first call (s)": rows["first_s"].to_numpy(),
            f"{size}² (ms)": rows["whole_ms"].to_numpy(),
            "Mpx/s": rows["whole_mpx_s"].to_numpy(),
            "GFLOP": rows["whole_gflop"].to_numpy(),
            "GFLOP/s": rows["whole_gflop_s"].to_numpy(),
            f"tiled {patch}/{padding} (ms)": rows["tiled_ms"].to_numpy(),
            "tiled Mpx/s": rows["tiled_mpx_s"].to_numpy(),
            "peak RSS (MiB)": rows["peak_rss_mib"].to_numpy(),
        }
    )
    formats = {"load (s)": ".2f", "first call (s)": ".2f", f"{size}² (ms)": ".0f", "Mpx/s": ".3f", "GFLOP": ".1f", "GFLOP/s": ".1f",
               f"tiled {patch}/{padding} (ms)": ".0f", "tiled Mpx/s": ".3f", "peak RSS (MiB)": ".0f"}  # fmt: skip
    return "\n".join(
        [
            f"On a {size}×{size} input (a crop of scikit-image's `astronaut`), each variant in a fresh process, on CPU: "
            "load time, first call (tracing included), median of later calls, input megapixels per second, the "
            "convolution work counted from the model's layers and its rate, the same tiled with UpscalerJS's "
            f"patch size {patch} and padding {padding}, and the process's peak memory (TensorFlow included). The "
            "machine is named in [results/speed.md](results/speed.md). Generated from "
            "[results/speed.csv](results/speed.csv) by `python -m explorer cards`.",
            "",
            markdown_table(shown, formats),
            *_precision_table(rows, size),
        ]
    )


def _precision_table(rows: pd.DataFrame, size: int) -> list[str]:
    """Both precisions and the runtimes side by side, with the CPU they were measured on ([] for older results)."""
    if "fast_ms" not in rows:
        return []
    rows = rows[rows["fast_ms"].notna()]  # rows from before precisions were measured have none
    if rows.empty:
        return []
    cpus = ", ".join(f"{cpu} (bf16 units: {units})" for cpu, units in dict.fromkeys(zip(rows["cpu"], rows["bf16_units"])))
    shown = pd.DataFrame(
        {
            "variant": [f"`{m}`" for m in rows["model"]],
            "exact (ms)": rows["whole_ms"].to_numpy(),
            "fast (ms)": rows["fast_ms"].to_numpy(),
            "speed-up": rows["fast_speedup"].to_numpy(),
            "fast runs": rows["fast_runtime"].to_numpy(),
            "bf16 vs exact (dB)": rows["fast_psnr_db"].to_numpy(),
            "max levels": rows["fast_max_levels"].to_numpy(),
            "TensorFlow (ms)": rows["tf_ms"].to_numpy(),
            "OpenVINO f32 (ms)": rows["openvino_ms"].to_numpy(),
            "OpenVINO bf16 (ms)": rows["openvino_bf16_ms"].to_numpy(),
            "TensorFlow bf16 (ms)": rows["tf_bf16_ms"].to_numpy(),
            "why": rows["fast_reason"].to_numpy(),
        }
    )
    formats = {"exact (ms)": ".0f", "fast (ms)": ".0f", "speed-up": ".2f", "bf16 vs exact (dB)": ".1f", "max levels": ".0f",
               "TensorFlow (ms)": ".0f", "OpenVINO f32 (ms)": ".0f", "OpenVINO bf16 (ms)": ".0f",
               "TensorFlow bf16 (ms)": ".0f"}  # fmt: skip
    return [
        "",
        f"Precision (`Upscaler(model, precision=\"fast\")`, `upscale --precision fast`), measured on {cpus}, "
        f"{size}×{size} whole image: exact (fp32) and fast times of a whole call, the speed-up, what fast ran, and "
        "the fidelity its verdict measured against exact on real photo crops (fast runs bf16 only at ≥ 50 dB and "
        "≤ 2 levels, and at least 1.1× faster; else exact runs, and `why` says so); then the model's raw call in "
        "each runtime, side by side in the same process. A CPU without bf16 units (AMX or AVX512-BF16) runs exact.",
        "",
        markdown_table(shown, formats),
    ]


def _samples_section(specs: Sequence[ModelSpec], results: CardResults) -> str | None:
    rows = []
    for spec in specs:
        files = list(sample_names(spec).values())
        if all((results.samples / name).is_file() for name in files):
            cells = [_image_cell(name, alt) for name, alt in zip(files, ("input", "bicubic", spec.short_id, "reference"))]
            rows.append({"variant": f"`{spec.short_id}`", "input (low resolution)": cells[0], "bicubic": cells[1],
                         "this variant": cells[2], "original": cells[3]})  # fmt: skip
    if not rows:
        return None
    return "\n".join(
        [
            f"A {SAMPLE.side}×{SAMPLE.side} detail of `{SAMPLE.image}` (scikit-image, CC0) from the quality "
            "benchmark: the downscaled input, bicubic, this variant, and the original, all shown at the same size "
            "(the input enlarged with nearest neighbour by the browser).",
            "",
            markdown_table(pd.DataFrame(rows)),
        ]
    )


def _image_cell(name: str, alt: str) -> str:
    return f'<img src="samples/{name}" alt="{alt}" width="{_SAMPLE_WIDTH}" style="image-rendering: pixelated">'


_SECTION_BUILDERS: dict[str, Callable[[Sequence[ModelSpec], CardResults], str | None]] = {
    "variants": _variants_section,
    "quality": _quality_section,
    "restoration": _restoration_section,
    "speed": _speed_section,
    "samples": _samples_section,
}


def update_cards(
    directory: Path | None = None,
    results: CardResults | None = None,
    *,
    check: bool = False,
) -> list[Path]:
    """Rewrite the generated parts of every card in ``directory``.

    Parameters
    ----------
    directory : pathlib.Path, optional
        The cards folder (default: the registry's).
    results : CardResults, optional
        Default: :func:`card_results` beside the cards (``results/``, ``samples/``).
    check : bool, default False
        Write nothing; only report which cards are out of date.

    Returns
    -------
    list of pathlib.Path
        The cards that changed (or, with ``check``, would change).
    """
    directory = directory or cards_dir()
    results = results or card_results(directory / "results", directory / "samples")
    changed = []
    for card in sorted(directory.glob("*.md")):
        text = card.read_text(encoding="utf-8")
        new = render_card(text, read_card(card), results, source=str(card))
        if new != text:
            changed.append(card)
            if not check:
                write_text(card, new)
    return changed
