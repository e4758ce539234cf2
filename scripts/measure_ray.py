"""Measure the Ray batch engine against in-process upscaling, side by side in one run (README, "Batch on Ray").

    python scripts/measure_ray.py [--images 24] [--models default-model esrgan-slim/4x]

For each model, on the same 256×256 photographs (central-ish crops of scikit-image's photographs): in-process
(the model loaded once, every image upscaled and written as ``upscale`` does), then on a local Ray with 1 and with 2
workers (``run_on_ray``). Prints Ray's start-up, each worker's start-up and peak memory, and images per second: over
the whole run, and steady (from the first image written to the last, so start-ups are left out).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def photos(folder: Path, count: int, side: int = 256) -> list[Path]:
    """``count`` different side×side crops of scikit-image's colour photographs."""
    import numpy as np
    from PIL import Image
    from skimage import data

    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.immunohistochemistry()]
    paths = []
    for i in range(count):
        photo = sources[i % len(sources)]
        top = (i * 37) % (photo.shape[0] - side)
        left = (i * 53) % (photo.shape[1] - side)
        path = folder / f"photo{i:03d}.png"
        Image.fromarray(np.ascontiguousarray(photo[top : top + side, left : left + side])).save(path)
        paths.append(path)
    return paths


def in_process(model: str, paths: list[Path], out: Path) -> dict:
    from explorer.engine.memory import peak_memory_mib
    from explorer.engine.output import save_image
    from explorer.engine.upscaler import Upscaler

    start = time.perf_counter()
    upscaler = Upscaler(model)
    loaded = time.perf_counter()
    times = []
    for path in paths:
        begin = time.perf_counter()
        save_image(upscaler.upscale(path), out / f"{path.stem}.png")
        times.append(time.perf_counter() - begin)
    total = time.perf_counter() - start
    steady = times[1:]  # the first call traces the model
    return {"start_s": loaded - start, "total_ips": len(paths) / total, "steady_ips": len(steady) / sum(steady),
            "peak_mib": peak_memory_mib()}  # fmt: skip


def on_ray(model: str, folder: Path, out: Path, workers: int) -> dict:
    from explorer.batch import run_on_ray

    arrivals: list[float] = []
    summary = run_on_ray([str(folder)], str(out), model=model, workers=workers, progress=False,
                         on_row=lambda row: arrivals.append(time.perf_counter()))  # fmt: skip
    steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else float("nan")
    stats = list(summary.workers.values())
    return {"start_s": max(s.start_seconds for s in stats), "total_ips": summary.images_per_second, "steady_ips": steady,
            "peak_mib": max(s.peak_mib for s in stats), "done": summary.done, "workers_seen": len(stats)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--models", nargs="+", default=["default-model", "esrgan-slim/4x"])
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RAY_worker_niceness", "0")  # Ray starts workers at a lower priority: compete evenly here
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))
    import ray

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        paths = photos(folder, args.images)
        began = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_start = time.perf_counter() - began
        print(f"load average at start: {os.getloadavg()[0]:.1f} (this machine: {os.cpu_count()} CPUs, shared)")
        print(f"Ray local start-up (ray.init, 2 CPUs): {ray_start:.1f} s")
        print("| model | run | worker start-up (s) | images/s, whole run | images/s, steady | peak memory per worker (MiB) |")
        print("|---|---|---:|---:|---:|---:|")
        for model in args.models:
            for run, measure in (
                ("in-process", lambda: in_process(model, paths, Path(scratch) / f"in-{model.replace('/', '-')}")),
                ("Ray, 1 worker", lambda: on_ray(model, folder, Path(scratch) / f"r1-{model.replace('/', '-')}", 1)),
                ("Ray, 2 workers", lambda: on_ray(model, folder, Path(scratch) / f"r2-{model.replace('/', '-')}", 2)),
            ):
                found = measure()
                print(f"| {model} | {run} | {found['start_s']:.1f} | {found['total_ips']:.2f} | {found['steady_ips']:.2f} | "
                      f"{found['peak_mib']:.0f} |", flush=True)  # fmt: skip
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
