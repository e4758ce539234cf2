"""Side by side: this project against the real UpscalerJS 1.0 in Node on the wasm backend.

Installs ``upscaler@1.0.0``, ``@tensorflow/tfjs`` and ``@tensorflow/tfjs-backend-wasm`` (the versions
UpscalerJS 1.0 pins) and the model packages into a temporary folder with the ``npm`` client, then, for
each setting, times ``Upscaler.execute`` in Node (``bench.cjs``) and :meth:`explorer.Upscaler.upscale`
here on the same images, and checks that both give the same pixels (within one level: rounding).

``upscaler/node`` requires ``@tensorflow/tfjs-node``, whose native library is a separate download; a
small stand-in (``tfjs-node-shim.cjs``) gives it ``@tensorflow/tfjs`` on the wasm backend instead, which
runs one thread in Node. TensorFlow here uses every core it may (``--threads`` lowers that).

Usage (from the repository root)::

    python scripts/node_compare/run.py                    # the four settings below, 3 photos, 128×128
    python scripts/node_compare/run.py --size 96 --repeats 5 --out node_compare.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

NPM_PACKAGES = (
    "upscaler@1.0.0", "@tensorflow/tfjs@4.11.0", "@tensorflow/tfjs-backend-wasm@4.11.0",
    "@upscalerjs/default-model@1.0.0", "@upscalerjs/esrgan-medium@1.0.0", "@upscalerjs/esrgan-legacy@1.0.0",
)  # fmt: skip
SETTINGS = (
    # name, JS import path, registry id, patch size, padding
    ("default-model whole", "@upscalerjs/default-model", "default-model", 0, 0),
    ("default-model 48/6", "@upscalerjs/default-model", "default-model", 48, 6),
    ("esrgan-medium/3x 40/3", "@upscalerjs/esrgan-medium/3x", "esrgan-medium/3x", 40, 3),
    ("esrgan-legacy/gans 40/5", "@upscalerjs/esrgan-legacy/gans", "esrgan-legacy/gans", 40, 5),
)
IMAGES = ("astronaut", "coffee", "chelsea")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=128, help="side of the central crop of each photo (default: 128)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per image after a warm-up (default: 3)")
    parser.add_argument("--only", help="run only the settings whose name contains this")
    parser.add_argument("--threads", type=int, help="TensorFlow threads here (default: all cores)")
    parser.add_argument("--workdir", type=Path, help="reuse this folder for the npm install (default: a temporary one)")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    if args.threads:
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(args.threads)
    settings = [s for s in SETTINGS if not args.only or args.only in s[0]]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="upscaler-node-compare-"))
    try:
        install(workdir)
        images = write_images(workdir, args.size)
        rows = [compare(workdir, images, setting, args.repeats) for setting in settings]
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    table = markdown(rows, args)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


def install(workdir: Path) -> None:
    """npm-install the packages into ``workdir`` (once) and put the tfjs-node stand-in beside them."""
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "node_modules" / "upscaler").is_dir():
        (workdir / "package.json").write_text('{"name": "upscaler-node-compare", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES], cwd=workdir, check=True)
    shim = workdir / "node_modules" / "@tensorflow" / "tfjs-node"
    shim.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "tfjs-node-shim.cjs", shim / "index.js")
    (shim / "package.json").write_text('{"name": "@tensorflow/tfjs-node", "version": "0.0.0-wasm-stand-in", "main": "index.js"}\n')
    shutil.copy(HERE / "bench.cjs", workdir / "bench.cjs")


def write_images(workdir: Path, size: int) -> list[dict]:
    """The central crops of scikit-image's photos, as raw RGB files for node and arrays for us."""
    from explorer.reports.bench.dataset import load_eval_image

    images = []
    for name in IMAGES:
        pixels = np.ascontiguousarray(load_eval_image(name, size))
        path = workdir / f"{name}.rgb"
        pixels.tofile(path)
        images.append({"name": name, "path": str(path), "height": pixels.shape[0], "width": pixels.shape[1], "pixels": pixels})
    return images


def compare(workdir: Path, images: list[dict], setting: tuple, repeats: int) -> dict:
    """Time one setting in node, then here; return medians (over images of per-image medians) and the pixel check."""
    name, js_model, model_id, patch, padding = setting
    print(f"{name}: UpscalerJS in node (wasm)...", file=sys.stderr, flush=True)
    job = workdir / "job.json"
    result_path = workdir / "result.json"
    job.write_text(json.dumps({
        "outDir": str(workdir), "resultPath": str(result_path),
        "images": [{k: v for k, v in image.items() if k != "pixels"} for image in images],
        "runs": [{"name": "run", "model": js_model, "patchSize": patch, "padding": padding, "repeats": repeats}],
    }))  # fmt: skip
    subprocess.run(["node", "bench.cjs", str(job)], cwd=workdir, check=True)
    node = json.loads(result_path.read_text())
    print(f"{name}: this project (TensorFlow)...", file=sys.stderr, flush=True)
    ours = time_ours(model_id, images, patch, padding, repeats)
    worst = 0
    for image, js in zip(images, node["results"]):
        expected = ours["outputs"][image["name"]]
        theirs = np.fromfile(js["output"], np.uint8).reshape(expected.shape)
        worst = max(worst, int(np.abs(theirs.astype(np.int16) - expected).max()))
    js_seconds = statistics.median(statistics.median(r["seconds"]) for r in node["results"])
    return {
        "setting": name, "node_ms": js_seconds * 1e3, "ours_ms": ours["seconds"] * 1e3,
        "speedup": js_seconds / ours["seconds"], "max_diff": worst, "runtime": ours["runtime"],
        "backend": f"tfjs {node['tfjs']} {node['backend']}",
    }  # fmt: skip


def time_ours(model_id: str, images: list[dict], patch: int, padding: int, repeats: int) -> dict:
    from explorer import Upscaler

    upscaler = Upscaler(model_id)
    kwargs = {"patch_size": patch, "padding": padding} if patch else {}
    outputs, medians = {}, []
    for image in images:
        outputs[image["name"]] = upscaler.upscale(image["pixels"], **kwargs)  # warm-up: traces for this shape
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            upscaler.upscale(image["pixels"], **kwargs)
            seconds.append(time.perf_counter() - start)
        medians.append(statistics.median(seconds))
    runtime = getattr(upscaler, "runtime", "tensorflow")
    return {"outputs": outputs, "seconds": statistics.median(medians), "runtime": runtime}


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    from explorer.reports.bench.speed import machine_description

    lines = [
        f"Side by side on {len(IMAGES)} photos ({', '.join(IMAGES)}; central {args.size}×{args.size} crops), "
        f"median of {args.repeats} calls per image after a warm-up, then the median over the images. "
        f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        f"Machine: {machine_description()}.",
        "",
        "| setting | UpscalerJS 1.0, node, wasm (ms) | this project (ms) | speed-up | max pixel difference |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['setting']} | {row['node_ms']:.0f} | {row['ours_ms']:.0f} ({row['runtime']}) | "
            f"{row['speedup']:.1f}× | {row['max_diff']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
