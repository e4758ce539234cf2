"""Which files ``upscale`` reads and where it writes each result."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from explorer.engine.output import FORMATS, format_of
from explorer.errors import ExplorerError

__all__ = ["READABLE", "Job", "expand_inputs", "plan"]

READABLE = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
"""Files a folder contributes (other files in it are skipped)."""


@dataclass(frozen=True)
class Job:
    """One input, where its result goes, and why it cannot run (``reason``), if so."""

    source: Path
    target: Path
    reason: str = ""


def expand_inputs(inputs: list[str]) -> list[tuple[Path, str]]:
    """The image files named by files, folders and globs, in order: ``(path, "")``, or ``(path, why not)``."""
    found: list[tuple[Path, str]] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in READABLE)
            found += [(p, "") for p in images] or [(path, f"no images ({', '.join(sorted(READABLE))}) in this folder")]
        elif not path.exists() and glob.has_magic(given):
            matches = sorted(Path(p) for p in glob.glob(given) if Path(p).is_file())
            found += [(p, "") for p in matches] or [(path, f"no file matches {given!r}")]
        else:
            found.append((path, ""))  # a missing or unreadable file is reported by load_image, in its own words
    return list(dict.fromkeys(found))


def output_format(output: str | None, fmt: str | None) -> str:
    """The format results are written in: ``--format``, else the ``-o`` file's suffix, else PNG."""
    named = format_of(output) if output and not Path(output).is_dir() else None
    return fmt or named or "png"


def plan(inputs: list[str], output: str | None, fmt: str | None, scale: int) -> list[Job]:
    """Where each input's result goes; raises for output settings that cannot work, before anything runs."""
    found = expand_inputs(inputs)
    named = format_of(output) if output and not Path(output).is_dir() else None
    if named:
        one_file = len(inputs) == 1 and len(found) == 1 and found[0][0] == Path(inputs[0])
        if not one_file:
            raise ExplorerError(f"-o {output} names one file, but the inputs are several files: give a folder instead.")
        if fmt and fmt != named:
            raise ExplorerError(f"-o {output} is a {named.upper()} name but --format is {fmt}: make them agree.")
        return [Job(found[0][0], Path(output), found[0][1])]
    if output and Path(output).suffix and not Path(output).is_dir():
        raise ExplorerError(f"Cannot write {output}: name a folder, or a file ending in .png, .jpg or .webp.")
    suffix = FORMATS[output_format(output, fmt)]
    jobs: list[Job] = []
    taken: dict[Path, Path] = {}
    for source, reason in found:
        target = (Path(output) if output else source.parent) / f"{source.stem}@{scale}x{suffix}"
        if target in taken and not reason:
            reason = f"its result would overwrite that of {taken[target]} ({target.name}): rename one of them"
        taken.setdefault(target, source)
        jobs.append(Job(source, target, reason))
    return jobs
