"""``run_on_ray``: upscale files, folders, globs or URIs on Ray Data, with the batch rules every engine follows.

Planning, skipping and refusing are :mod:`explorer.batch.plan`'s and the done
record's (:mod:`explorer.batch.record`), as for the in-process ``upscale``;
the work runs on :mod:`explorer.batch.ray_engine`'s actor pool. Inputs or an
output given as URIs (``s3://bucket/photos``) are read and written through
pyarrow's filesystems (:mod:`explorer.batch.uris`); object stores keep no done
record, so a rerun there redoes everything.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.batch import uris
from explorer.batch.plan import READABLE, BatchPlan, Job, output_format, plan_jobs, sweep_and_say, sweep_leftovers
from explorer.batch.ray_engine import RowsResult, WorkerStats, run_rows
from explorer.batch.ray_session import import_ray
from explorer.batch.record import DoneRecord, RunSettings, model_identity
from explorer.engine.output import FORMATS, format_of
from explorer.engine.registry import DEFAULT_MODEL, ModelSpec
from explorer.errors import ExplorerError

__all__ = ["FAILURES_NAME", "RaySummary", "run_on_ray"]

FAILURES_NAME = "upscale-failures.csv"
"""The failures file (columns ``path``, ``reason``), written beside the outputs when any input failed."""


@dataclass
class RaySummary:
    """What a Ray run did.

    Attributes
    ----------
    done, skipped : int
        Images written, and images skipped as done before.
    failed : list of (str, str)
        ``(input, reason)`` of each image that was not written.
    failures_file : str or None
        Where the failures were written (CSV: ``path``, ``reason``).
    seconds, ray_seconds : float
        Wall time of the Ray part (Ray's start-up, the workers' and all), and of starting or joining Ray alone.
    workers : dict
        Per worker process id: :class:`~explorer.batch.ray_engine.WorkerStats`
        (model load seconds, peak memory, images). A worker Ray restarted
        after it died appears twice.
    pool_size : int
        Actors asked for.
    """

    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    failures_file: str | None = None
    seconds: float = 0.0
    ray_seconds: float = 0.0
    workers: dict[int, WorkerStats] = field(default_factory=dict)
    pool_size: int = 0

    @property
    def images_per_second(self) -> float:
        """Images written per second of the Ray part (start-up and model loads included)."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        """The summary as the CLI prints it: counts and speed, then each worker's model load and peak memory."""
        counts = f"{self.done} done, {self.skipped} skipped (done before), {len(self.failed)} failed"
        if self.seconds:
            workers = f"{self.pool_size} worker{'s' * (self.pool_size != 1)}"
            counts += (f"; {self.images_per_second:.2f} images/s over {self.seconds:.1f} s on {workers} "
                       f"(Ray start-up {self.ray_seconds:.1f} s)")  # fmt: skip
        lines = [counts + "."]
        for pid, stats in sorted(self.workers.items()):
            lines.append(f"  worker {pid}: started in {stats.start_seconds:.1f} s (TensorFlow import and model load; "
                         f"the load alone {stats.load_seconds:.2f} s), {stats.images} images, peak memory "
                         f"{stats.peak_mib:.0f} MiB")  # fmt: skip
        restarted = len(self.workers) - self.pool_size
        if restarted > 0:
            lines.append(f"  {restarted} worker{'s' * (restarted > 1)} restarted by Ray (a process died); "
                         "its images were retried.")
        if self.failures_file:
            lines.append(f"Failures (path, reason): {self.failures_file}")
        return lines


def run_on_ray(
    inputs: Sequence[str],
    output: str | None = None,
    *,
    model: str = DEFAULT_MODEL,
    patch_size: int | None = None,
    padding: int | None = None,
    format: str | None = None,
    quality: int | None = None,
    precision: str = "exact",
    overwrite: bool = False,
    workers: int | None = None,
    address: str | None = None,
    model_options: dict[str, Any] | None = None,
    progress: bool = True,
    status: Callable[[str], None] | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> RaySummary:
    """Upscale images on Ray Data: one model load per worker, results written by the workers.

    Parameters
    ----------
    inputs : sequence of str
        Image files, folders (their images), globs, or URIs a pyarrow
        filesystem opens (``s3://bucket/photos``, ``gs://…/*.jpg``).
    output : str, optional
        A folder (or URI) for the results, or a file name for one input;
        default: beside each input, as ``NAME@<scale>x.png``.
    model : str, default ``"@upscalerjs/default-model"``
        Registry id or alias, or your own model file or URL (every worker must be able to read it).
    patch_size, padding : int, optional
        As :meth:`explorer.Upscaler.upscale` takes them: the outputs equal its outputs.
    format, quality : optional
        ``"png"``, ``"jpeg"`` or ``"webp"`` (default: PNG, or the ``-o`` file's), and JPEG/WebP quality.
    precision : {"exact", "fast"}, default ``"exact"``
        As :class:`explorer.Upscaler` takes it; with ``"fast"`` each worker
        decides bf16 for its own CPU, so nodes of different CPUs may differ.
    overwrite : bool, default False
        Replace existing files this tool did not write from the same input.
    workers : int, optional
        Actors in the pool (default: one per CPU, as many as memory holds).
    address : str, optional
        A Ray cluster; default ``$RAY_ADDRESS``, else a local Ray (a Ray this
        process already started is used as it is).
    model_options : dict, optional
        For your own model: ``scale``, ``input_range``, ``divisibility_factor``; and ``offline``, ``source``.
    progress : bool, default True
        One progress bar over images on stderr.
    status : callable, optional
        Receives one-line messages (what was skipped, started, ...).
    on_row : callable, optional
        Called with each worker's result row as it arrives.

    Returns
    -------
    RaySummary

    Raises
    ------
    ExplorerError
        Settings or ``-o`` mistakes (before Ray starts), a missing Ray, or a
        run Ray could not finish (finished outputs are kept; rerun to resume).
    """
    from explorer.engine.resolve import resolve
    from explorer.engine.tiling import validate_patch_settings

    import_ray()  # a missing Ray is said before anything is planned or fetched
    if patch_size == "auto":
        raise ExplorerError("--patch-size auto measures one image in-process: run it on one image without "
                            "--engine ray, then give the patch size and padding it chose.")  # fmt: skip
    validate_patch_settings(patch_size, padding)
    say = status or (lambda message: None)
    options = dict(model_options or {})
    spec = resolve(model, status=say, **options).spec  # fetched here once: workers on this machine find it cached
    if precision != "exact":
        options["precision"] = precision  # each worker decides bf16 for its own CPU, as Upscaler does
    settings = RunSettings(spec.id, model_identity(spec), spec.scale, output_format(output, format), quality,
                           patch_size, padding, precision=None if precision == "exact" else precision)  # fmt: skip
    record = None
    if any(uris.is_uri(name) for name in (*inputs, output or "")):
        jobs = _plan_uris(inputs, output, settings)
        summary = RaySummary()
    else:
        record = DoneRecord(settings)
        plan = plan_jobs(inputs, output, record, overwrite=overwrite)
        sweep_and_say(plan, say)
        jobs, summary = plan.jobs, RaySummary(skipped=len(plan.done))
    summary.failed = [(str(job.source), job.reason) for job in jobs if job.reason]
    todo = [job for job in jobs if not job.reason and not job.done]
    if todo:
        result = _run(todo, spec, model, options, {"patch_size": patch_size, "padding": padding}, settings, record,
                      workers, address, progress, say, on_row)  # fmt: skip
        summary.done = sum(not row["error"] for row in result.rows)
        given = {_absolute(job.source): str(job.source) for job in todo}  # report inputs as they were named
        summary.failed += [(given[row["source"]], row["error"]) for row in result.rows if row["error"]]
        summary.seconds, summary.ray_seconds = result.run_seconds, result.ray_seconds
        summary.workers, summary.pool_size = result.workers, result.pool_size
    if summary.failed:
        summary.failures_file = _write_failures(summary.failed, jobs, output)
    return summary


def _run(todo: list[Job], spec: ModelSpec, model: str, options: dict, run_options: dict, settings: RunSettings,
         record: DoneRecord | None, workers: int | None, address: str | None, progress: bool, say, on_row) -> RowsResult:  # fmt: skip
    from tqdm import tqdm

    pairs = [(_absolute(job.source), _absolute(job.target)) for job in todo]  # workers run in other folders
    with tqdm(total=len(pairs), unit="image", desc="Upscaling on Ray", file=sys.stderr, disable=not progress) as bar:

        def arrived(row: dict[str, Any]) -> None:
            bar.update()
            if on_row:
                on_row(row)

        try:
            return run_rows(pairs, spec=spec, model=model, model_options=options, run_options=run_options,
                            format=settings.format, quality=settings.quality, workers=workers,
                            record=None if record is None else DoneRecord(record.settings),  # not the planning's reads
                            address=address, on_row=arrived, status=say)  # fmt: skip
        except KeyboardInterrupt:
            _sweep(todo)
            raise
        except ExplorerError:
            raise
        except Exception as error:  # Ray's own errors: a worker that kept dying, a lost cluster
            _sweep(todo)
            raise ExplorerError(f"Ray could not finish the run ({type(error).__name__}: {_first_line(error)}); the "
                                "outputs written so far are kept and a rerun resumes after them.") from error


def _absolute(path: Path | str) -> str:
    return str(path) if uris.is_uri(str(path)) else str(Path(path).absolute())


def _sweep(todo: list[Job]) -> None:
    """Delete what stopped workers left half-written (their hidden temporary files)."""
    local = [job for job in todo if not uris.is_uri(str(job.target))]
    sweep_leftovers(BatchPlan(tuple(local)))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[-1] if text else ""


def _plan_uris(inputs: Sequence[str], output: str | None, settings: RunSettings) -> list[Job]:
    """Jobs for inputs or an output given as URIs; local inputs become ``file://`` URIs."""
    found: list[tuple[str, str]] = []
    for name in inputs:
        found += uris.list_images(name if uris.is_uri(name) else Path(name).absolute().as_uri(), READABLE)
    if output and not uris.is_uri(output):
        output = Path(output).absolute().as_uri()
    suffix = FORMATS[settings.format]
    taken: dict[str, str] = {}
    jobs = []
    for source, reason in dict.fromkeys(found):
        stem = Path(source.rsplit("/", 1)[-1]).stem
        target = uris.join(output or source.rsplit("/", 1)[0], f"{stem}@{settings.scale}x{suffix}")
        if not reason and target in taken:
            name = target.rsplit("/", 1)[-1]
            reason = f"its result would overwrite that of {taken[target]} ({name}): rename one of them"
        taken.setdefault(target, source)
        jobs.append(Job(source, target, reason))  # type: ignore[arg-type] - URIs are kept as text
    return jobs


def _write_failures(failed: list[tuple[str, str]], jobs: Sequence[Job], output: str | None) -> str:
    """Write ``path,reason`` rows beside the outputs (the ``-o`` folder, else the first output's folder)."""
    if output and not format_of(output):
        folder = output
    else:
        target = str(jobs[0].target)
        folder = target.rsplit("/", 1)[0] if uris.is_uri(target) else str(Path(target).parent)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["path", "reason"])
    writer.writerows(failed)
    if uris.is_uri(folder):
        return uris.write_bytes(uris.join(folder, FAILURES_NAME), text.getvalue().encode())
    path = Path(folder) / FAILURES_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.getvalue(), encoding="utf-8", newline="")
    return str(path)
