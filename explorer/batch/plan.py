"""Which files a batch run reads, where it writes each result, and what it must refuse.

The rules, in one place for every batch engine:

- inputs are files, folders (their images, not their subfolders) and globs;
  files this tool wrote (its done record says so) are never taken as inputs;
- an output is ``NAME@<scale>x.<format>`` beside its input, in the ``-o``
  folder, or the ``-o`` file name for one input;
- refused, each with the reason: two inputs with one output, an output that
  is an input, and an existing file the tool did not write from this input
  (unless ``overwrite``);
- outputs already made from the same input with the same settings are done;
- ``-o`` mistakes (a file name for several inputs, an existing file for a
  folder of inputs, a place that cannot be written) raise before anything
  runs, so they cost no model load.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from explorer.batch.record import DoneRecord
from explorer.engine.output import FORMATS, format_of, sweep_temporaries
from explorer.errors import ExplorerError

__all__ = ["READABLE", "BatchPlan", "Job", "check_output", "expand_inputs", "output_format", "plan_jobs", "sweep_and_say", "sweep_leftovers"]

READABLE = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
"""Files a folder contributes (other files in it are skipped)."""


@dataclass(frozen=True)
class Job:
    """One input and where its result goes.

    Attributes
    ----------
    source, target : Path
        The input file and its output file.
    reason : str
        Why it must not run (empty if it may): report it as this input's failure.
    done : bool
        Its output was made before from the same input with the same settings: skip it.
    """

    source: Path
    target: Path
    reason: str = ""
    done: bool = False


@dataclass(frozen=True)
class BatchPlan:
    """Every input's :class:`Job`, in order, and the inputs left out because this tool wrote them.

    Attributes
    ----------
    jobs : tuple of Job
        To do, done, or refused.
    own_outputs : tuple of Path
        Files the inputs named that are this tool's outputs (never read back as inputs).
    """

    jobs: tuple[Job, ...]
    own_outputs: tuple[Path, ...] = ()

    @property
    def todo(self) -> list[Job]:
        """Jobs to run."""
        return [job for job in self.jobs if not job.reason and not job.done]

    @property
    def done(self) -> list[Job]:
        """Jobs whose output is already made (skip them)."""
        return [job for job in self.jobs if job.done]

    @property
    def refused(self) -> list[Job]:
        """Jobs that must not run, each with its ``reason``."""
        return [job for job in self.jobs if job.reason]


def expand_inputs(inputs: Sequence[str]) -> list[tuple[Path, str]]:
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
    return fmt or _named_format(output) or "png"


def check_output(inputs: Sequence[str], output: str | None, fmt: str | None) -> None:
    """Refuse ``-o`` settings that cannot work, before anything loads or runs.

    Parameters
    ----------
    inputs : sequence of str
        Files, folders and globs, as given.
    output : str or None
        ``-o``: a folder, or a file name (``.png``, ``.jpg``, ``.webp``) for one input.
    fmt : str or None
        ``--format``.

    Raises
    ------
    ExplorerError
        A file name for several inputs or a folder, a format that disagrees with
        it, an output that is the input, an existing file where a folder is
        needed, or an output place that cannot be written.
    """
    _check_output(inputs, expand_inputs(inputs), output, fmt)


def plan_jobs(inputs: Sequence[str], output: str | None, record: DoneRecord, *, overwrite: bool = False) -> BatchPlan:
    """Plan a batch run: every input's output, what is done, what must be refused.

    Parameters
    ----------
    inputs : sequence of str
        Files, folders (their images, not subfolders) and globs.
    output : str or None
        ``-o``: a folder for the results, or a file name for one input;
        None: beside each input.
    record : DoneRecord
        The run's done record; its settings give the scale and the format.
    overwrite : bool, default False
        Replace existing files this tool did not write from the same input
        (an input is never replaced).

    Returns
    -------
    BatchPlan

    Raises
    ------
    ExplorerError
        ``-o`` mistakes (see :func:`check_output`).
    """
    settings = record.settings
    found = expand_inputs(inputs)
    _check_output(inputs, found, output, settings.format)
    own = tuple(path for path, reason in found if not reason and record.wrote(path))
    found = [(path, reason) for path, reason in found if path not in own]
    inputs_at = {_identity(path): path for path, reason in found if not reason}
    named = _named_format(output) is not None
    suffix = FORMATS[settings.format]
    taken: dict[str, Path] = {}
    jobs = []
    for source, reason in found:
        if named:
            target = Path(output)
        else:
            target = (Path(output) if output else source.parent) / f"{source.stem}@{settings.scale}x{suffix}"
        job = Job(source, target)
        reason = reason or _refusal(job, taken, inputs_at, record, overwrite)
        taken.setdefault(_identity(target), source)
        jobs.append(Job(source, target, reason, done=not reason and record.is_done(job)))
    return BatchPlan(tuple(jobs), own)


def sweep_leftovers(plan: BatchPlan) -> list[Path]:
    """Delete the hidden temporary files that killed runs on this machine left in the plan's output folders."""
    folders = dict.fromkeys(job.target.parent for job in plan.jobs if not job.reason)
    return [path for folder in folders for path in sweep_temporaries(folder)]


def sweep_and_say(plan: BatchPlan, status: Callable[[str], None]) -> None:
    """Sweep what killed runs left (:func:`sweep_leftovers`) and say, one line each, what was swept, what was left
    out as this tool's outputs, and what was skipped as done before: every batch engine says it in these words."""
    swept = sweep_leftovers(plan)
    if swept:
        status(f"Deleted {_count(swept, 'temporary file')} that an interrupted run left ({swept[0].name}, ...).")
    if plan.own_outputs:
        names = ", ".join(path.name for path in plan.own_outputs[:3]) + (", ..." if len(plan.own_outputs) > 3 else "")
        status(f"Left out {_count(plan.own_outputs, 'file')} this tool wrote ({names}): its outputs are not read as inputs.")
    if plan.done:
        status(f"Skipped {len(plan.done)} of {len(plan.jobs)} images done before with the same model, settings and "
               "input (delete an output to redo it).")  # fmt: skip


def _count(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _refusal(job: Job, taken: dict[str, Path], inputs_at: dict[str, Path], record: DoneRecord, overwrite: bool) -> str:
    target = job.target
    if _identity(target) in taken:
        return f"its result would overwrite that of {taken[_identity(target)]} ({target.name}): rename one of them"
    if _identity(target) in inputs_at:
        return f"its result {target} would replace the input {inputs_at[_identity(target)]}: choose another -o"
    if not os.path.lexists(target) or record.is_done(job):
        return ""
    if not target.is_file() or target.is_symlink():
        return f"its result {target} exists and is not a plain file: move it or choose another -o"
    if overwrite or record.wrote(target, job.source):
        return ""
    return f"{target} exists and this tool did not write it from this input: move it, choose another -o, or add --overwrite"


def _check_output(inputs: Sequence[str], found: list[tuple[Path, str]], output: str | None, fmt: str | None) -> None:
    named = _named_format(output)
    if named:
        if not (len(inputs) == 1 and len(found) == 1 and found[0][0] == Path(inputs[0])):
            raise ExplorerError(f"-o {output} names one file, but the inputs are several files or a folder: give a folder instead.")
        if fmt and fmt != named:
            raise ExplorerError(f"-o {output} is a {named.upper()} name but --format is {fmt}: make them agree.")
        if _identity(Path(output)) == _identity(found[0][0]):
            raise ExplorerError(f"-o {output} is the input itself: name another file, or a folder.")
    elif output and os.path.lexists(output) and not Path(output).is_dir():
        raise ExplorerError(f"-o {output} is an existing file, not a folder: name a folder for the results.")
    elif output and Path(output).suffix and not Path(output).is_dir():
        raise ExplorerError(f"Cannot write {output}: name a folder, or a file ending in .png, .jpg or .webp.")
    if output:
        folders = {Path(output).absolute().parent if named else Path(output).absolute()}
    else:
        folders = {path.absolute().parent for path, reason in found if not reason}
    for folder in folders:
        existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            raise ExplorerError(f"Cannot write the output into {folder}: choose another place with -o.")


def _named_format(output: str | None) -> str | None:
    """The format of an ``-o`` that names a file (not an existing folder), or None."""
    return format_of(output) if output and not Path(output).is_dir() else None


def _identity(path: Path) -> str:
    """One spelling per file: absolute, links followed, case as the system compares it."""
    return os.path.normcase(os.path.realpath(path))
