"""Check an installed upscaler-explorer as a user meets it, from a folder outside the checkout.

Run with the Python of the environment the wheel was installed into, from an
empty folder: ``python /path/to/installed_smoke.py``. It checks that the package
comes from that environment (not a checkout), that the ``upscaler-explorer``
command lists every model and upscales an image, and that the app starts and
answers ``/upscale`` through ``gradio_client``. Used by ``.ci/run`` (a fresh
virtual environment with the wheel's own dependencies) and by
``tests/test_install.py``. Prints one line per check; exits non-zero on the first failure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}\n{detail}")
    print(f"ok: {what}", flush=True)


def command(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    script = Path(sysconfig.get_path("scripts")) / "upscaler-explorer"
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen, deadline_s: float) -> None:
    import urllib.request

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"FAILED: the app exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"FAILED: the app did not answer at {url} within {deadline_s:.0f} s")


def main() -> None:
    import explorer
    from explorer import list_models

    site = Path(sysconfig.get_path("purelib")).resolve()
    check(site in Path(explorer.__file__).resolve().parents, f"explorer is imported from the environment ({site})")
    specs = list_models()
    check(len(specs) >= 20, f"list_models() reads the cards the wheel carries ({len(specs)} variants)")

    helped = command("--help")
    check(helped.stdout.startswith("usage: upscaler-explorer"), "upscaler-explorer --help names itself", helped.stderr)
    listed = command("models", "--json")
    check(listed.returncode == 0, "upscaler-explorer models", listed.stderr)
    check([row["id"] for row in json.loads(listed.stdout)] == [s.id for s in specs], "models lists every variant")

    example = Path(explorer.__file__).parent / "examples" / "astronaut.png"
    out = Path.cwd() / "out"
    upscaled = command("upscale", str(example), "-o", str(out / "astronaut@2x.png"), "-q")
    check(upscaled.returncode == 0, "upscaler-explorer upscale", upscaled.stderr)
    from PIL import Image

    check(Image.open(out / "astronaut@2x.png").size == (256, 256), "the upscaled image is 256×256")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sysconfig.get_path("scripts")) / "upscaler-explorer"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(url, server, deadline_s=float(os.environ.get("SMOKE_APP_DEADLINE_S", "300")))
        check(True, f"the app starts and serves {url}")
        from gradio_client import Client, handle_file

        image, report = Client(url, verbose=False).predict(
            handle_file(str(example)), "default-model", 0, 0, api_name="/upscale"
        )
        check(Image.open(image).size == (256, 256), f"/upscale answers with a 256×256 image ({report!s:.80})")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print("installed package: all checks passed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
