"""Load and abuse, against a real server on 127.0.0.1 driven by gradio_client: many identical requests at once,
requests over the work limits, and a run that outlasts its time.

The server runs in this process (so the test can see which models it loaded and
set the clock its time limit reads) with small limits: 2 runs at a time, runs
stopped after 2 s.
"""

from __future__ import annotations

import re
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from explorer import Upscaler
from explorer.engine import limits, loaded_models
from explorer.engine.tiling import plan_patches
from explorer.quality.evaluate import evaluate

from tests.helpers import SteppedClock

from .conftest import crop_png, free_port

CLIENTS = 16
MAX_PATCHES = 256


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from explorer.app import AppConfig, build_app, launch_app

    config = AppConfig(max_pixels=512 * 512, concurrency=2, max_queue=64, max_seconds=2, max_patches=MAX_PATCHES)
    demo = build_app(config)
    _, url, _ = launch_app(demo, host="127.0.0.1", port=free_port(), prevent_thread_lock=True, quiet=True, preload=False)
    try:
        yield url.rstrip("/")
    finally:
        demo.close()


def _client(url: str) -> Client:
    return Client(url, verbose=False)


def test_identical_concurrent_requests_all_get_complete_correct_results(server, tmp_path):
    photo = crop_png(tmp_path, 96, 80)
    pixels = np.asarray(Image.open(photo).convert("RGB"))
    expected = Upscaler("esrgan-slim/2x").upscale(pixels)
    expected_rows = evaluate("esrgan-slim/2x", pixels).table

    def one_client(number: int) -> tuple[list[float], list[str]]:
        client, seconds, failures = _client(server), [], []
        for round_ in range(2):  # bounded: two rounds of both endpoints per client
            start = time.perf_counter()
            try:
                image, report = client.predict(handle_file(str(photo)), "esrgan-slim/2x", 0, 0, api_name="/upscale")
                got = np.asarray(Image.open(image))  # a truncated download fails to decode here
                if not np.array_equal(got, expected) or report["output_size"] != [192, 160]:
                    failures.append(f"client {number} round {round_}: /upscale pixels differ")
                rows, output = client.predict(handle_file(str(photo)), "esrgan-slim/2x", 0, 0, api_name="/evaluate")
                if [row["method"] for row in rows] != list(expected_rows["method"]) or np.asarray(Image.open(output)).shape != (80, 96, 3):
                    failures.append(f"client {number} round {round_}: /evaluate differs")
            except Exception as error:  # noqa: BLE001 - every failure is counted and reported
                failures.append(f"client {number} round {round_}: {type(error).__name__}: {error}")
            seconds.append(time.perf_counter() - start)
        return seconds, failures

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(one_client, range(CLIENTS)))
    seconds = sorted(s for times, _ in outcomes for s in times)
    failures = [f for _, fails in outcomes for f in fails]
    print(
        f"\n{CLIENTS} clients x 2 rounds x (/upscale + /evaluate): {len(seconds) * 2} requests, {len(failures)} failures; "
        f"round p50 {statistics.median(seconds):.2f} s, p95 {seconds[int(0.95 * (len(seconds) - 1))]:.2f} s; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    assert failures == [], "\n".join(failures)


def _loaded_model_files() -> set[Path]:
    return set(loaded_models._cache)  # the loaded-model cache holds each model file's path


@pytest.mark.parametrize(
    ("patch_size", "message"),
    [
        (1, "Patch size 1 is below this server's smallest, 16 px"),
        (16, f"into {len(plan_patches(512, 512, 16, 0)):,} patches; this server runs up to {MAX_PATCHES:,} per request"),
    ],
    ids=["tiny-patches", "too-many-patches"],
)
def test_a_request_over_the_work_limits_is_refused_before_its_model_loads(server, tmp_path, patch_size, message):
    photo = crop_png(tmp_path, 512, 512)
    client = _client(server)
    loaded_models.clear_model_cache()  # so that "loaded" below means: loaded for this request
    with pytest.raises(Exception, match=message):
        client.predict(handle_file(str(photo)), "esrgan-legacy/gans", patch_size, 0, api_name="/upscale")
    assert _loaded_model_files() == set()  # refused from the plan alone: its model was never loaded, let alone run


def test_a_slow_run_stops_at_its_deadline_and_its_slot_serves_the_next_request(server, tmp_path, monkeypatch):
    big, small = crop_png(tmp_path, 256, 256, "big.png"), crop_png(tmp_path, 48, 40, "small.png")
    slow = {"model": "esrgan-slim/2x", "patch_size": 32, "padding": 2}
    total = len(plan_patches(256, 256, 32, 2))
    # Each run reads the time limit's clock once when it starts and once before each model call; at 1.1 s a
    # reading, the second call finds the 2 s limit passed, whatever the machine's speed.
    monkeypatch.setattr(limits, "time", SteppedClock(step=1.1))

    def run_slow(_: int) -> str:
        with pytest.raises(Exception, match=rf"stopped after 2 s, this server's limit, with \d+ of {total} patches done") as caught:
            _client(server).predict(handle_file(str(big)), *slow.values(), api_name="/upscale")
        return str(caught.value)

    with ThreadPoolExecutor(2) as pool:  # both of the server's slots
        stopped = list(pool.map(run_slow, range(2)))
    done = [int(re.search(r"with (\d+) of", text).group(1)) for text in stopped]
    assert all(0 < count < total for count in done)  # cancelled mid-run, after the first call
    image, report = _client(server).predict(handle_file(str(small)), "esrgan-slim/2x", 0, 0, api_name="/upscale")
    assert report["output_size"] == [96, 80] and np.asarray(Image.open(image)).shape == (80, 96, 3)
