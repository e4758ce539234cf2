"""The done record: which outputs a batch run wrote, from which input, with which settings.

Each output folder holds one hidden file, :data:`RECORD_NAME`, with one JSON
line per output written: the output's name, size and modification time, the
input's absolute path, size and modification time, and the key of the
:class:`RunSettings` that made it. A later line for the same output replaces an
earlier one. From it a rerun knows

- what is **done** (same input unchanged, same settings, output still as
  written): skipped;
- which files this tool **wrote** (so it never reads them back as inputs, and
  may replace them when an input or a setting changed);
- and so which existing files it did **not** write (never overwritten unless the
  user says so).

Each line is added with one ``write`` on a file opened for appending, then
flushed to disk, so several processes on one machine can add lines at once, and
a killed run leaves at most one torn line, which is ignored. The line is added
*before* the output's temporary file is renamed into place
(:meth:`DoneRecord.save`), so a kill can leave a recorded output missing (it is
redone) but never an output the record does not know.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.engine.output import save_image
from explorer.engine.registry import ModelSpec

if TYPE_CHECKING:
    from explorer.batch.plan import Job

__all__ = ["RECORD_NAME", "DoneRecord", "RunSettings", "model_identity"]

RECORD_NAME = ".upscaler-explorer-done.jsonl"
"""The done record's file name, in each output folder."""


@dataclass(frozen=True)
class RunSettings:
    """Everything that decides an output's name and pixels; an output made with other settings is redone.

    Attributes
    ----------
    model : str
        The model id.
    model_identity : str
        What the model's files are (:func:`model_identity`): a changed file is another model.
    scale : int
        Output size over input size; outputs are named ``NAME@<scale>x``.
    format : {"png", "jpeg", "webp"}
        File format of the outputs.
    quality : int or None
        JPEG/WebP quality (None: the default).
    patch_size : int, "auto" or None
        As asked for (None: whole image, tiled automatically when large).
    padding : int or None
        As asked for.
    budget_seconds, budget_memory_mib : float or None
        The budgets of ``patch_size="auto"``.
    precision : {"exact", "fast"} or None
        As asked for (None: exact).

    Notes
    -----
    Settings left at None do not enter :attr:`key`, so a setting added later
    with a None default keeps every earlier record valid.
    """

    model: str
    model_identity: str
    scale: int
    format: str
    quality: int | None = None
    patch_size: int | str | None = None
    padding: int | None = None
    budget_seconds: float | None = None
    budget_memory_mib: float | None = None
    precision: str | None = None

    @property
    def key(self) -> str:
        """A short hash of the settings that are set: equal keys, equal settings."""
        given = {name: value for name, value in asdict(self).items() if value is not None}
        return hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()[:16]


def model_identity(spec: ModelSpec) -> str:
    """What a model's files are, cheaply: a registry package's pinned integrity, or a hash of your own files.

    For your own model the hash covers the model file, its TF.js weight shards
    and the calling contract given with it (scale, input range, divisibility),
    so a retrained file or another ``--input-range`` redoes the outputs.
    """
    if not spec.is_custom:
        return f"{spec.package}@{spec.version} {spec.integrity}"
    digest = hashlib.sha256(repr((spec.scale, tuple(spec.input_range), spec.divisibility_factor)).encode())
    for path in _model_files(Path(spec.path)):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return f"sha256-{digest.hexdigest()}"


def _model_files(path: Path) -> list[Path]:
    if path.suffix.lower() != ".json":
        return [path]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8")).get("weightsManifest", [])
        shards = [path.parent / name for group in manifest for name in group.get("paths", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        shards = []  # the loader has already refused a malformed file; hash what there is
    return [path, *(shard for shard in shards if shard.is_file())]


class DoneRecord:
    """The done records of one run's output folders, read lazily, added to as outputs are written.

    Parameters
    ----------
    settings : RunSettings
        The run's settings: an output is done only if made with these.

    Notes
    -----
    Plan with it once (:func:`explorer.batch.plan_jobs` asks :meth:`is_done`
    and :meth:`wrote`), then write each output with :meth:`save` — from any
    number of processes on this machine, each with its own copy (it pickles).
    A process reads each folder's record once; lines other processes add later
    are seen by the next run.

    Examples
    --------
    >>> record = DoneRecord(settings)                         # doctest: +SKIP
    >>> plan = plan_jobs(["photos"], "out", record)            # doctest: +SKIP
    >>> for job in plan.todo:                                  # doctest: +SKIP
    ...     record.save(job, upscaler.upscale(job.source))
    """

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self._folders: dict[Path, dict[str, dict[str, Any]]] = {}

    def is_done(self, job: Job) -> bool:
        """True if ``job.target`` holds what this run makes of ``job.source``: same input, settings, output untouched."""
        entry = self._entry(job.target)
        return (
            entry is not None
            and entry.get("settings") == self.settings.key
            and entry.get("input") == _absolute(job.source)
            and entry.get("input_stamp") == _stamp(job.source)
        )

    def wrote(self, path: Path, source: Path | None = None) -> bool:
        """True if this tool wrote ``path`` (with any settings) and it is unchanged since; ``source``: from that input."""
        entry = self._entry(path)
        return entry is not None and (source is None or entry.get("input") == _absolute(source))

    def save(self, job: Job, image: Any) -> Path:
        """Write ``job``'s output atomically in the run's format, recorded before it is renamed into place.

        Parameters
        ----------
        job : Job
            Its ``source`` and ``target``.
        image : PIL.Image.Image or ndarray
            The upscaled image.

        Returns
        -------
        Path
            ``job.target``.

        Raises
        ------
        ImageError
            The output cannot be written (nothing is recorded then).
        """
        return save_image(
            image,
            job.target,
            format=self.settings.format,
            quality=self.settings.quality,
            before_replace=lambda written: self.mark_done(job, written),
        )

    def mark_done(self, job: Job, written: Path | None = None) -> None:
        """Record that ``job.target`` was made from ``job.source`` with this run's settings.

        ``written``: the file whose size and time to record, when it is not yet
        at ``job.target`` (a temporary file about to be renamed there). Use
        :meth:`save` unless you write outputs yourself.
        """
        source, target = job.source, job.target
        entry = {
            "output": target.name,
            "output_stamp": _stamp(written or target),
            "input": _absolute(source),
            "input_stamp": _stamp(source),
            "settings": self.settings.key,
            "model": self.settings.model,
        }
        line = f"\n{json.dumps(entry, separators=(',', ':'))}\n"  # newlines on both sides: a torn line stays alone
        record = target.parent / RECORD_NAME
        descriptor = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        known = self._folders.get(Path(_absolute(target.parent)))
        if known is not None:  # a writer that never planned (a Ray worker) need not read a million-line record
            known[target.name] = entry

    def _entry(self, path: Path) -> dict[str, Any] | None:
        """The record's latest entry for ``path``, if the file is still as it was written."""
        entry = self._read(path.parent).get(path.name)
        stamp = _stamp(path)
        return entry if entry is not None and stamp is not None and entry.get("output_stamp") == stamp else None

    def _read(self, folder: Path) -> dict[str, dict[str, Any]]:
        key = Path(_absolute(folder))
        if key not in self._folders:
            entries: dict[str, dict[str, Any]] = {}
            try:
                text = (key / RECORD_NAME).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by a kill, or an empty one
                if isinstance(entry, dict) and isinstance(entry.get("output"), str):
                    entries[entry["output"]] = entry
            self._folders[key] = entries
        return self._folders[key]


def _absolute(path: Path) -> str:
    return os.path.abspath(os.path.realpath(path))


def _stamp(path: Path) -> list[int] | None:
    """``[size, modification time in ns]`` of a regular file, None if there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns] if stat.S_ISREG(info.st_mode) else None
