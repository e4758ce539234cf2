"""The model registry, read from the YAML front matter of ``model_cards/*.md``.

One card describes one npm package; its ``variants`` list holds the
machine-readable spec of every model the package exports. Adding a model is
adding a card: nothing in the code names a model.

Ids are the JavaScript import paths (``@upscalerjs/esrgan-slim/4x``); every
variant also answers to its short alias (``esrgan-slim/4x``) and to any extra
aliases its card lists.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import yaml

from explorer.errors import ModelFormatError, ModelNotFoundError
from explorer.settings import cards_dir

__all__ = [
    "DEFAULT_MODEL",
    "ModelSpec",
    "cards_dir",
    "split_card",
    "get_spec",
    "list_models",
    "read_card",
]

DEFAULT_MODEL = "@upscalerjs/default-model"
"""Id of the model used when none is named (the one UpscalerJS uses too)."""

_SCOPE = "@upscalerjs/"


@dataclass(frozen=True, eq=True)
class ModelSpec:
    """Everything we know about one model variant, before loading it.

    Attributes
    ----------
    id : str
        The JavaScript import path, e.g. ``"@upscalerjs/esrgan-slim/4x"``.
    aliases : tuple of str
        Other names the variant answers to (``"esrgan-slim/4x"``).
    package, version : str
        The npm package and its pinned version.
    integrity : str
        The package tarball's Subresource-Integrity string (``sha512-...``).
    export : str
        The key in the package's ``exports`` (``"./4x"``, ``"."``).
    path : str
        Path of the model's ``model.json`` inside the package.
    scale : int
        Output size over input size (1 for restoration models).
    model_type : str
        ``"layers"`` or ``"graph"`` (TF.js model formats).
    input_range, output_range : tuple of float
        Pixel ranges the model reads and writes: ``(0, 255)`` or ``(0, 1)``.
    task : str
        What the model does: ``"upscaling"``, ``"deblurring"``, ...
    architecture : str or None
        ``"rdn"``, ``"rrdn"``, ``"pixel-repeat"``, ...
    config : mapping
        Architecture hyper-parameters (``C``, ``D``, ``G``, ``G0``, ``T``).
    parameters : int
        Number of weights.
    size_bytes : int
        Bytes of weight shards on disk.
    quantization : str or None
        Weight quantization dtype (``"uint8"``) or None for plain float32.
    dataset : str or None
        Training data set.
    license : str
        The package's license, as a Hugging Face card writes it (``"mit"``).
    divisibility_factor : int or None
        Input sides must be a multiple of this (None: any size).
    platforms : tuple of str
        Where UpscalerJS supports it: ``"browser"``, ``"node"``.
    fixture, sample : str or None
        Paths in the package of UpscalerJS's test input and of its output
        on it (made by UpscalerJS, no patching).
    auto_tile : mapping or None
        Overrides of :data:`explorer.engine.upscaler.AUTO_TILE` for this model
        (``max_output_pixels``, ``patch_size``, ``padding``), for models that
        need far more memory per pixel than the SR models.
    reference : str or None
        Path in the package of a reference result that is not pixel-aligned
        with the fixture (MAXIM packages ship a differently framed crop).
    files : mapping
        ``{path in package: sha256}`` of every file this variant needs; used
        when fetching file by file from a CDN.
    title, family : str
        Human-readable package title and model family.
    umd_path, umd_global : str or None
        The variant's UMD bundle inside the package and the global variable
        it defines (for ``<script>`` tags), from the card's ``upscalerjs`` key.
    tfjs_peer : str or None
        The package's peer-dependency range on ``@tensorflow/tfjs``.
    card : pathlib.Path or None
        The card this spec was read from.
    """

    id: str
    package: str
    version: str
    integrity: str
    export: str
    path: str
    scale: int
    model_type: str = "layers"
    input_range: tuple[float, float] = (0.0, 255.0)
    output_range: tuple[float, float] = (0.0, 255.0)
    task: str = "upscaling"
    architecture: str | None = None
    config: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    parameters: int = 0
    size_bytes: int = 0
    quantization: str | None = None
    dataset: str | None = None
    license: str = "unknown"
    divisibility_factor: int | None = None
    platforms: tuple[str, ...] = ("browser", "node")
    fixture: str | None = None
    sample: str | None = None
    reference: str | None = None
    auto_tile: Mapping[str, int] | None = None
    files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()
    title: str = ""
    family: str = ""
    umd_path: str | None = None
    umd_global: str | None = None
    tfjs_peer: str | None = None
    card: Path | None = field(default=None, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.version))

    @property
    def is_custom(self) -> bool:
        """True for a model the user brought (a path or URL), not a registry package."""
        return not self.package

    @property
    def short_id(self) -> str:
        """The id without the ``@upscalerjs/`` scope."""
        return self.id[len(_SCOPE):] if self.id.startswith(_SCOPE) else self.id

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this variant answers to, id first."""
        return (self.id, *self.aliases)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for ``models --json`` and the app)."""
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "package": self.package,
            "version": self.version,
            "export": self.export,
            "path": self.path,
            "task": self.task,
            "scale": self.scale,
            "model_type": self.model_type,
            "input_range": list(self.input_range),
            "output_range": list(self.output_range),
            "architecture": self.architecture,
            "config": dict(self.config),
            "parameters": self.parameters,
            "size_bytes": self.size_bytes,
            "quantization": self.quantization,
            "dataset": self.dataset,
            "license": self.license,
            "divisibility_factor": self.divisibility_factor,
            "platforms": list(self.platforms),
            "umd_path": self.umd_path,
            "umd_global": self.umd_global,
            "tfjs_peer": self.tfjs_peer,
        }


_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.S)


def split_card(text: str, source: Path | str = "card") -> tuple[str, str]:
    """Split a model card into its YAML front matter and its Markdown body.

    The one reader of the card format: the registry parses the front matter,
    the card generator rewrites parts of both, the app shows the body.

    Returns
    -------
    tuple of str
        ``(front matter without its '---' lines, body)``.

    Raises
    ------
    ModelFormatError
        The text does not start with a ``---`` line, or the front matter has
        no closing ``---`` line.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ModelFormatError(f"{source}: a model card must start with '---' YAML front matter ending in a '---' line.")
    return match.group(1), text[match.end() :]


def _front_matter(text: str, source: Path) -> dict[str, Any]:
    block, _ = split_card(text, source)
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        raise ModelFormatError(f"{source}: cannot parse the YAML front matter ({exc}).") from exc
    if not isinstance(data, dict):
        raise ModelFormatError(f"{source}: the front matter must be a YAML mapping.")
    return data


def _range(value: Any, where: str) -> tuple[float, float]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ModelFormatError(f"{where}: a range must be a list of two numbers, got {value!r}.")
    low, high = (float(v) for v in value)
    if not high > low:
        raise ModelFormatError(f"{where}: range {value!r} must go from low to high.")
    return (low, high)


def _variant_id(package: str, export: str) -> str:
    if export in (".", "./"):
        return package
    if not export.startswith("./"):
        raise ModelFormatError(f"{package}: export {export!r} must start with './'.")
    return f"{package}/{export[2:]}"


_REQUIRED_VARIANT_KEYS = ("export", "path", "scale")


def _upscalerjs_facts(value: Any, where: str) -> dict[str, str | None]:
    """The ``upscalerjs`` key of a variant: UMD bundle, its global, tfjs peer range."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelFormatError(f"{where}: 'upscalerjs' must be a mapping with umd, global and tfjs_peer.")
    return {"umd_path": value.get("umd"), "umd_global": value.get("global"), "tfjs_peer": value.get("tfjs_peer")}


def read_card(path: Path) -> list[ModelSpec]:
    """Read one card and return the specs of all its variants.

    Parameters
    ----------
    path : pathlib.Path
        A ``model_cards/*.md`` file.

    Raises
    ------
    ModelFormatError
        If the front matter is missing, malformed, or lacks a required key.
    """
    data = _front_matter(path.read_text(encoding="utf-8"), path)
    pkg = data.get("package")
    if not isinstance(pkg, dict) or not {"name", "version", "integrity"} <= pkg.keys():
        raise ModelFormatError(f"{path}: 'package' must give name, version and integrity.")
    variants = data.get("variants")
    if not isinstance(variants, list) or not variants:
        raise ModelFormatError(f"{path}: 'variants' must be a non-empty list.")
    specs = []
    for number, raw in enumerate(variants, 1):
        where = f"{path} variant {number}"
        if not isinstance(raw, dict):
            raise ModelFormatError(f"{where}: must be a mapping.")
        missing = [key for key in _REQUIRED_VARIANT_KEYS if key not in raw]
        if missing:
            raise ModelFormatError(f"{where}: missing {', '.join(missing)}.")
        variant_id = _variant_id(pkg["name"], raw["export"])
        short = variant_id[len(_SCOPE):] if variant_id.startswith(_SCOPE) else variant_id
        aliases = tuple(dict.fromkeys(a for a in (short, *raw.get("aliases", ())) if a != variant_id))
        specs.append(
            ModelSpec(
                id=variant_id,
                aliases=aliases,
                package=pkg["name"],
                version=str(pkg["version"]),
                integrity=pkg["integrity"],
                title=pkg.get("title", pkg["name"]),
                family=pkg.get("family", ""),
                license=str(data.get("license", "unknown")),
                export=raw["export"],
                path=raw["path"],
                scale=int(raw["scale"]),
                model_type=raw.get("model_type", "layers"),
                input_range=_range(raw.get("input_range", [0, 255]), where),
                output_range=_range(raw.get("output_range", [0, 255]), where),
                task=raw.get("task", "upscaling"),
                architecture=raw.get("architecture"),
                config=MappingProxyType(dict(raw.get("config") or {})),
                parameters=int(raw.get("parameters", 0)),
                size_bytes=int(raw.get("size_bytes", 0)),
                quantization=raw.get("quantization"),
                dataset=raw.get("dataset"),
                divisibility_factor=raw.get("divisibility_factor"),
                platforms=tuple(raw.get("platforms", ("browser", "node"))),
                fixture=raw.get("fixture"),
                sample=raw.get("sample"),
                reference=raw.get("reference"),
                auto_tile=MappingProxyType(dict(raw["auto_tile"])) if raw.get("auto_tile") else None,
                files=MappingProxyType(dict(raw.get("files") or {})),
                **_upscalerjs_facts(raw.get("upscalerjs"), where),
                card=path,
            )
        )
    return specs


@functools.lru_cache(maxsize=4)
def _load(directory: Path) -> tuple[ModelSpec, ...]:
    if not directory.is_dir():
        raise ModelFormatError(
            f"No model cards folder at {directory}. Reinstall the package (its wheel carries the cards) "
            "or set UPSCALER_EXPLORER_CARDS to the folder holding the *.md cards."
        )
    specs: list[ModelSpec] = []
    for card in sorted(directory.glob("*.md")):
        specs.extend(read_card(card))
    seen: dict[str, str] = {}
    for spec in specs:
        for name in spec.names:
            if name in seen and seen[name] != spec.id:
                raise ModelFormatError(f"Name {name!r} is used by both {seen[name]} and {spec.id}.")
            seen[name] = spec.id
    return tuple(specs)


def _all_specs() -> tuple[ModelSpec, ...]:
    return _load(cards_dir())


def list_models(filter: str | None = None, *, task: str | None = None) -> list[ModelSpec]:
    """List registry variants, optionally filtered.

    Parameters
    ----------
    filter : str, optional
        A shell-style pattern (``"esrgan-*/4x"``) matched against the id and
        every alias.
    task : str, optional
        Keep only models for this task (``"upscaling"``, ``"denoising"``, ...).

    Returns
    -------
    list of ModelSpec
        In card order (cards sorted by file name, variants as listed).
    """
    specs: Iterable[ModelSpec] = _all_specs()
    if filter:
        specs = [s for s in specs if any(fnmatch.fnmatchcase(n, filter) for n in s.names)]
    if task:
        specs = [s for s in specs if s.task == task]
    return list(specs)


def get_spec(name: str | ModelSpec) -> ModelSpec:
    """Return the spec for an id or alias (a spec is returned as it is).

    Raises
    ------
    ModelNotFoundError
        If no variant has that name; the message suggests close matches.
    """
    if isinstance(name, ModelSpec):
        return name
    specs = _all_specs()
    for spec in specs:
        if name in spec.names:
            return spec
    every_name = [n for s in specs for n in s.names]
    close = difflib.get_close_matches(name, every_name, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ModelNotFoundError(
        f"No model called {name!r} in the registry.{hint} "
        "Run `python -m explorer models` to list them."
    )
