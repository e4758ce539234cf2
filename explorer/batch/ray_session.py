"""Ray for the batch engine: the optional import, joining or starting a cluster, and the pool size that fits it.

Ray is an optional extra (``pip install "upscaler-explorer[ray]"``); without it
:func:`import_ray` raises an error that names the extra. With no address the
engine starts a local Ray sized to this machine and stops it afterwards; with
an address (``--ray-address``, or Ray's own ``$RAY_ADDRESS``) it joins that
cluster and leaves it running. A Ray already started in this process (a
notebook, a test) is used as it is.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Iterator
from typing import Any

from explorer.engine.registry import ModelSpec
from explorer.errors import ExplorerError
from explorer.settings import ray_address

__all__ = ["EXTRA", "MAXIM_WORKER_MIB", "WORKER_MIB", "default_workers", "import_ray", "ray_cluster", "worker_mib"]

EXTRA = 'pip install "upscaler-explorer[ray]"'
"""How to install the Ray batch engine."""

WORKER_MIB = 1536
"""Memory one worker is planned with for a super-resolution model (bench speed: 0.9–1.8 GiB peak on 256² photos,
more for the 8x models on large images)."""

MAXIM_WORKER_MIB = 2560
"""Memory one worker is planned with for a MAXIM model (bench speed: 2.5–3.4 GiB peak on 256² photos)."""

def import_ray() -> Any:
    """Import Ray and Ray Data, or say how to install them.

    Raises
    ------
    ExplorerError
        Ray (with Ray Data) is not installed.
    """
    try:
        import ray
        import ray.data  # noqa: F401 - the engine needs Ray Data, not only Ray core
    except ImportError as error:
        raise ExplorerError(f"The Ray batch engine needs Ray Data, not installed here ({error}): {EXTRA}.") from None
    return ray


def worker_mib(spec: ModelSpec) -> int:
    """Memory (MiB) to plan one worker of this model with: :data:`MAXIM_WORKER_MIB` or :data:`WORKER_MIB`."""
    return MAXIM_WORKER_MIB if (spec.architecture or "").lower() == "maxim" else WORKER_MIB


def default_workers(cpus: float, memory_bytes: float, spec: ModelSpec) -> int:
    """Workers that fit: one per CPU, and no more than the memory holds at :func:`worker_mib` each (at least one).

    Parameters
    ----------
    cpus : float
        CPUs Ray may use.
    memory_bytes : float
        Memory Ray may give tasks and actors.
    spec : ModelSpec
        The model each worker loads.
    """
    by_memory = math.floor(memory_bytes / (worker_mib(spec) * 2**20))
    return max(1, min(math.floor(cpus), by_memory))


@contextlib.contextmanager
def ray_cluster(address: str | None = None, *, status=None) -> Iterator[Any]:
    """The Ray to run on, for the length of a ``with`` block.

    Parameters
    ----------
    address : str, optional
        A Ray cluster (``ray://host:10001``, ``host:6379`` or ``auto``);
        default ``$RAY_ADDRESS``, else a local Ray on this machine, stopped
        at the end of the block.
    status : callable, optional
        Receives one-line messages (what was started or joined).

    Yields
    ------
    module
        The ``ray`` module, initialised.
    """
    ray = import_ray()
    if ray.is_initialized():  # a Ray this process started itself (a notebook, a test): use it as it is
        yield ray
        return
    address = address or ray_address()
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
    if address is None:
        options["num_cpus"] = os.cpu_count() or 1
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise ExplorerError(f"Could not start or join {where} ({error}): check --ray-address or RAY_ADDRESS.") from None
    if status:
        resources = ray.cluster_resources()
        where = f"Ray cluster at {address}" if address else "local Ray"
        status(f"Using the {where}: {resources.get('CPU', 0):g} CPUs, {resources.get('memory', 0) / 2**30:.1f} GiB.")
    try:
        yield ray
    finally:
        ray.shutdown()
