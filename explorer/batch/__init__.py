"""Batch runs: plan inputs to outputs, refuse what would lose a file, and record what is done.

Every batch engine (the in-process ``upscale`` command, the Ray engine) plans
and records through this package, so they follow one set of rules:

>>> from explorer.batch import DoneRecord, RunSettings, model_identity, plan_jobs, sweep_leftovers  # doctest: +SKIP
>>> settings = RunSettings(spec.id, model_identity(spec), spec.scale, "png", patch_size=64, padding=4)  # doctest: +SKIP
>>> record = DoneRecord(settings)                      # doctest: +SKIP
>>> plan = plan_jobs(["photos"], "out", record)         # raises for -o mistakes  # doctest: +SKIP
>>> sweep_leftovers(plan)                               # temporaries of killed runs  # doctest: +SKIP
>>> for job in plan.todo:                               # plan.done: skipped; plan.refused: job.reason  # doctest: +SKIP
...     record.save(job, upscaler.upscale(job.source, patch_size=64, padding=4))

- :mod:`~explorer.batch.plan`: inputs (files, folders, globs) → :class:`Job`
  per input; collisions between outputs, with inputs, and with files the tool
  did not write are refused; ``-o`` mistakes raise before anything runs.
- :mod:`~explorer.batch.record`: the done record in each output folder
  (:class:`DoneRecord`, keyed by output, holding input path, size and time and
  the :class:`RunSettings`), added to atomically before each output is renamed
  into place.
- :func:`run_on_ray` (:mod:`~explorer.batch.ray_batch`): the same jobs on Ray
  Data, an actor pool whose workers load the model once and write the outputs
  (:mod:`~explorer.batch.ray_engine`; Ray itself: :mod:`~explorer.batch.ray_session`;
  URIs: :mod:`~explorer.batch.uris`; ``bench quality`` on Ray:
  :mod:`~explorer.batch.ray_bench`). Ray is the optional extra
  ``upscaler-explorer[ray]``.
"""

from explorer.batch.plan import (
    READABLE,
    BatchPlan,
    Job,
    check_output,
    expand_inputs,
    output_format,
    plan_jobs,
    sweep_and_say,
    sweep_leftovers,
)
from explorer.batch.ray_batch import RaySummary, run_on_ray
from explorer.batch.record import RECORD_NAME, DoneRecord, RunSettings, model_identity

__all__ = [
    "READABLE",
    "RECORD_NAME",
    "BatchPlan",
    "DoneRecord",
    "Job",
    "RaySummary",
    "RunSettings",
    "check_output",
    "expand_inputs",
    "model_identity",
    "output_format",
    "plan_jobs",
    "run_on_ray",
    "sweep_and_say",
    "sweep_leftovers",
]
