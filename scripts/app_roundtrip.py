"""Where the app's ``/upscale`` round trip goes, against the library, side by side in one process.

Starts the app on 127.0.0.1 (a free port), then times, interleaved so a busy
CPU slows all alike (medians of ``--repeats``):

* ``library``: ``Upscaler(model).run(path)``, the image read from a PNG file;
* ``handler``: the ``/upscale`` handler called directly (the app's image
  checks, the same run, the PNG written for the response);
* ``client``: ``gradio_client`` calling ``/upscale`` (upload, queue, the
  handler, the response and the PNG download).

``handler - library`` is the app's own work; ``client - handler`` is Gradio's
(HTTP, upload, queue, server-sent events, download). Run from a checkout::

    python scripts/app_roundtrip.py --size 256 --repeats 9
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default-model")
    parser.add_argument("--size", type=int, default=256, help="side of the square input (a crop of astronaut)")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()

    from gradio_client import Client, handle_file

    from explorer.app import build_app, launch_app
    from explorer.app.api import api_upscale
    from explorer.engine.upscaler import Upscaler
    from explorer.reports.bench.dataset import load_eval_image

    folder = Path(tempfile.mkdtemp(prefix="roundtrip-"))
    path = folder / "input.png"
    Image.fromarray(load_eval_image("astronaut", args.size)).save(path)
    upscaler = Upscaler(args.model)
    _, url, _ = launch_app(build_app(), host="127.0.0.1", port=_free_port(), prevent_thread_lock=True, quiet=True,
                           preload=False)  # fmt: skip
    client = Client(url, verbose=False)
    calls = {
        "library": lambda: upscaler.run(str(path)),
        "handler": lambda: api_upscale(str(path), args.model, 0, 0),
        "client": lambda: client.predict(handle_file(str(path)), args.model, 0, 0, api_name="/upscale"),
    }
    for call in calls.values():  # first calls: tracing, the client's first connection
        call()
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    inference: list[float] = []
    for _ in range(args.repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            result = call()
            seconds[name].append(time.perf_counter() - start)
            if name == "library":
                inference.append(result.report.inference_seconds)
    median = {name: statistics.median(values) * 1e3 for name, values in seconds.items()}
    print(f"{args.model}, {args.size}×{args.size} input, medians of {args.repeats} interleaved calls:")
    print(f"  library {median['library']:.0f} ms (model {statistics.median(inference) * 1e3:.0f} ms), "
          f"handler {median['handler']:.0f} ms, gradio_client {median['client']:.0f} ms "
          f"= {median['client'] / median['library']:.2f}× the library")  # fmt: skip
    print(f"  the app's own work (checks, PNG written): {median['handler'] - median['library']:.0f} ms; "
          f"Gradio's (HTTP, upload, queue, events, download): {median['client'] - median['handler']:.0f} ms")


if __name__ == "__main__":
    main()
