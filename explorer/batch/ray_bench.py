"""``bench quality --engine ray``: the quality benchmark's model runs on a Ray actor pool, scored as in-process.

:func:`~explorer.reports.bench.quality.run_quality` plans the pairs and scores
the baselines on the driver; the models run on Ray: each row is one (model,
image) pair, and each worker keeps the models it has loaded and scores its
output with :func:`~explorer.reports.bench.quality.score_model_output`, the
function the in-process run calls, so the scores are the same. The rows come
back in any order and are put in the in-process order before they are used.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explorer.batch.ray_engine import map_on_pool, pool_size
from explorer.batch.ray_session import ray_cluster, worker_mib
from explorer.engine.registry import ModelSpec

__all__ = ["ScoreWorker", "run_quality_on_ray"]


class ScoreWorker:
    """One actor: runs and scores (model, image) rows; keeps each model it loads for the next rows."""

    def __init__(self) -> None:
        self._upscalers: dict[str, Any] = {}

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        """Score every row of ``batch``: ``index`` and the pickled ``(row, output)``."""
        from explorer.engine.upscaler import Upscaler
        from explorer.reports.bench.quality import score_model_output

        results: dict[str, list] = {"index": [], "scored": []}
        for index, model, pair in zip(batch["index"], batch["model"], batch["pair"]):
            model = str(model)
            if model not in self._upscalers:
                self._upscalers[model] = Upscaler(model)
            reference, low = pickle.loads(pair)
            results["index"].append(int(index))
            results["scored"].append(pickle.dumps(score_model_output(self._upscalers[model], reference, low)))
        return results


def run_quality_on_ray(
    models: Sequence[ModelSpec],
    scales: Sequence[int],
    *,
    sets: Sequence[Any],
    samples: Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    address: str | None = None,
    status=None,
) -> pd.DataFrame:
    """:func:`~explorer.reports.bench.quality.run_quality` with the models run on Ray.

    Parameters
    ----------
    models, scales, sets, samples, progress
        As :func:`~explorer.reports.bench.quality.run_quality` takes them.
    workers : int, optional
        Actors in the pool (default: what fits the CPUs and memory for the largest model).
    address : str, optional
        The Ray cluster (default ``$RAY_ADDRESS``, else a local Ray).
    status : callable, optional
        Receives one-line messages.

    Returns
    -------
    pandas.DataFrame
        The same rows as the in-process run (``seconds`` is timed where it ran).
    """
    from explorer.reports.bench.quality import run_quality

    with ray_cluster(address, status=status) as ray:

        def run_models(specs: Sequence[ModelSpec], pairs: dict, bar) -> Iterator[tuple[ModelSpec, tuple, dict, np.ndarray]]:
            keys = [(spec, key) for spec in specs for key in pairs]
            if not keys:
                return
            packed = {key: pickle.dumps(pair) for key, pair in pairs.items()}
            items = [{"index": i, "model": spec.id, "pair": packed[key]} for i, (spec, key) in enumerate(keys)]
            size = pool_size(ray, workers, max(specs, key=worker_mib), len(items))
            bar.set_postfix_str(f"{len(specs)} models on {size} Ray workers")
            scored: dict[int, tuple[dict, np.ndarray]] = {}
            for row in map_on_pool(ray, items, ScoreWorker, (), size):
                scored[int(row["index"])] = pickle.loads(row["scored"])
                bar.update()
            for i, (spec, key) in enumerate(keys):
                yield spec, key, *scored[i]

        return run_quality(models, scales, sets=sets, samples=samples, progress=progress, run_models=run_models)
