"""Batch upscaling on Ray Data: planned jobs -> an actor pool (one model load per worker) -> files the workers write.

The driver plans every job (inputs, outputs, what is already done), then hands
the rest to Ray Data as rows of ``(source, target)``. ``map_batches`` with the
callable class :class:`UpscaleWorker` runs them on a pool of actors: each
loads the model once in ``__init__`` and, per row, upscales the image exactly
as the in-process ``Upscaler.run`` does and writes the result atomically. A
bad image comes back as a row with its reason; a worker process that dies is
restarted by Ray and its task retried (Ray Data's actor defaults), so the cost
is a retry, never an output. Ray Data streams: rows come back as they finish,
and the driver records each one as done, so a run stopped at 90 % resumes.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.batch import uris
from explorer.batch.plan import Job
from explorer.batch.ray_session import default_workers, ray_cluster
from explorer.batch.record import DoneRecord
from explorer.engine.registry import ModelSpec
from explorer.errors import ExplorerError

__all__ = ["RESULT_COLUMNS", "UpscaleWorker", "WorkerStats", "map_on_pool", "pool_size", "run_rows"]

RESULT_COLUMNS = ("source", "target", "error", "seconds", "pid", "start_seconds", "load_seconds", "peak_mib")
"""What a worker returns per image: where from and to, the error ("" when written), its time, and its worker's
figures: start-up (TensorFlow import and model load), model load alone, peak memory so far (MiB)."""

_QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3"}  # workers' TensorFlow start-up notices (no GPU, ...) would flood the output
# TensorFlow's thread count is left alone: it is part of the arithmetic (held to one thread, default-model changed a
# pixel by one level on a 256² image here), and the outputs must equal the in-process ones on the same machine.


class UpscaleWorker:
    """One actor of the pool: loads the model once, then upscales and writes each row it is given.

    Parameters
    ----------
    model : str
        The model reference (registry id, alias, or your own file or URL, as
        :class:`~explorer.Upscaler` takes it).
    model_options : mapping
        Keyword arguments for :class:`~explorer.Upscaler` (your own model's
        scale, input range, divisibility; offline).
    run_options : mapping
        Keyword arguments for :meth:`~explorer.Upscaler.run` (``patch_size``, ``padding``).
    format, quality : optional
        How results are written (:func:`~explorer.engine.output.save_image`).
    record : DoneRecord, optional
        The run's done record: each local output is recorded as it is renamed
        into place (:meth:`~explorer.batch.record.DoneRecord.save`).
    """

    def __init__(self, model: str, model_options: Mapping[str, Any], run_options: Mapping[str, Any],
                 format: str | None, quality: int | None, record: DoneRecord | None = None) -> None:  # fmt: skip
        start = time.perf_counter()
        from explorer.engine.upscaler import Upscaler

        self._upscaler = Upscaler(model, **model_options)
        self._start_seconds = time.perf_counter() - start
        self._run_options = dict(run_options)
        self._format, self._quality, self._record = format, quality, record

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        """Upscale and write every row of ``batch``; one result row each (:data:`RESULT_COLUMNS`)."""
        from explorer.engine.memory import peak_memory_mib

        rows: dict[str, list] = {name: [] for name in RESULT_COLUMNS}
        for source, target in zip(batch["source"], batch["target"]):
            start = time.perf_counter()
            error = self._one(str(source), str(target))
            values = (str(source), str(target), error, time.perf_counter() - start, os.getpid(), self._start_seconds,
                      self._upscaler.load_seconds, peak_memory_mib())  # fmt: skip
            for name, value in zip(RESULT_COLUMNS, values):
                rows[name].append(value)
        return rows

    def _one(self, source: str, target: str) -> str:
        from explorer.engine.memory import is_out_of_memory
        from explorer.engine.output import save_image

        try:
            image = uris.read_bytes(source) if uris.is_uri(source) else source
            result = self._upscaler.run(image, **self._run_options)
            if uris.is_uri(target):
                uris.save_image_to(result.image, target, format=self._format, quality=self._quality)
            elif self._record is not None:
                self._record.save(Job(Path(source), Path(target)), result.image)
            else:
                save_image(result.image, target, format=self._format, quality=self._quality)
        except ExplorerError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - only running out of memory is this image's fault; the rest is a bug
            if is_out_of_memory(error):
                return f"out of memory ({error}): use a smaller --patch-size, or a worker with more memory"
            raise
        return ""


@dataclass
class WorkerStats:
    """One worker process's figures: start-up (TensorFlow import and model load), model load, peak memory, images."""

    start_seconds: float
    load_seconds: float
    peak_mib: float = 0.0
    images: int = 0


@dataclass
class RowsResult:
    """What :func:`run_rows` gives back: the result rows and the workers' figures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    workers: dict[int, WorkerStats] = field(default_factory=dict)
    pool_size: int = 0
    ray_seconds: float = 0.0
    run_seconds: float = 0.0


def run_rows(
    jobs: Sequence[tuple[str, str]],
    *,
    spec: ModelSpec,
    model: str,
    model_options: Mapping[str, Any],
    run_options: Mapping[str, Any],
    format: str | None,
    quality: int | None,
    record: DoneRecord | None = None,
    workers: int | None = None,
    address: str | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    status: Callable[[str], None] | None = None,
) -> RowsResult:
    """Run ``(source, target)`` jobs on a Ray actor pool; call ``on_row`` as each result comes back.

    Parameters
    ----------
    jobs : sequence of (str, str)
        Inputs (paths or URIs) and where each result goes.
    spec : ModelSpec
        The model's spec (for the default pool size).
    model, model_options, run_options, format, quality, record
        What each worker runs and how it writes (see :class:`UpscaleWorker`).
    workers : int, optional
        Actors in the pool; default :func:`~explorer.batch.ray_session.default_workers`.
    address : str, optional
        The Ray cluster (default ``$RAY_ADDRESS``, else a local Ray).
    on_row : callable, optional
        Called on the driver with each result row (:data:`RESULT_COLUMNS`) as it arrives.
    status : callable, optional
        Receives one-line messages.
    """
    if workers is not None and workers < 1:
        raise ExplorerError(f"--workers must be at least 1, got {workers}.")
    result = RowsResult()
    start = time.perf_counter()
    with ray_cluster(address, status=status) as ray:
        result.ray_seconds = time.perf_counter() - start
        result.pool_size = size = pool_size(ray, workers, spec, len(jobs))
        if status:
            status(f"Upscaling {len(jobs)} images on Ray with {size} worker{'s' * (size > 1)} "
                   f"(each loads {spec.id} once) ...")
        items = [{"source": source, "target": target} for source, target in jobs]
        worker_args = (model, dict(model_options), dict(run_options), format, quality, record)
        for row in map_on_pool(ray, items, UpscaleWorker, worker_args, size):
            row = {name: _plain(row[name]) for name in RESULT_COLUMNS}
            stats = result.workers.setdefault(row["pid"], WorkerStats(row["start_seconds"], row["load_seconds"]))
            stats.peak_mib = max(stats.peak_mib, row["peak_mib"])
            stats.images += 1
            result.rows.append(row)
            if on_row:
                on_row(row)
    result.run_seconds = time.perf_counter() - start
    return result


def pool_size(ray: Any, workers: int | None, spec: ModelSpec, items: int) -> int:
    """``workers``, else what fits the Ray's free CPUs and memory (:func:`~explorer.batch.ray_session.default_workers`);
    never more than there are items."""
    resources = ray.available_resources() or ray.cluster_resources()
    size = workers or default_workers(resources.get("CPU", 1), resources.get("memory", 0), spec)
    return max(1, min(size, items))


def map_on_pool(ray: Any, items: Sequence[dict], worker: type, args: tuple, size: int) -> Iterator[dict[str, Any]]:
    """Stream ``items`` through a pool of ``size`` actors of the callable class ``worker`` (built with ``args``).

    Rows are cut into blocks small enough to keep every actor busy and a
    retry cheap; a batch is one row (an image is the unit of work). Each
    actor takes one CPU. An actor whose process dies is restarted and its
    task retried (Ray Data's defaults for actor pools). Yields the result
    rows as they arrive, in no particular order.
    """
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller draws one bar over images
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # it would say so, and more, on every run
    per_block = max(1, min(32, len(items) // (size * 8)))
    dataset = ray.data.from_items(list(items), override_num_blocks=math.ceil(len(items) / per_block))
    yield from dataset.map_batches(
        worker,
        fn_constructor_args=args,
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=size),
        num_cpus=1,
        runtime_env={"env_vars": _QUIET_TF},
    ).iter_rows()


def _plain(value: Any) -> Any:
    """A numpy scalar from a result row as the Python value it holds."""
    return value.item() if hasattr(value, "item") else value
