"""Starting the app as users do: ``python -m explorer serve`` and the Space's app file, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from explorer.cli import build_parser, main

from .conftest import REPO, free_port


def _serve_until_up(command: list[str], port: int, env_extra: dict | None = None) -> str:
    """Start ``command``, wait until the app answers on ``port``, return its config's title; stop it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{command} exited with {process.returncode}:\n{process.stdout.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2) as response:
                    return json.load(response)["title"]
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"{command} did not answer on port {port} within 120 s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_starts_the_app():
    port = free_port()
    assert _serve_until_up([sys.executable, "-m", "explorer", "serve", "--port", str(port)], port) == "Upscaler Explorer"


def test_the_space_app_file_starts_the_app_with_no_manual_step():
    port = free_port()
    env = {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    assert _serve_until_up([sys.executable, "explorer/app/space.py"], port, env) == "Upscaler Explorer"


@pytest.mark.parametrize(("preset", "expected"), [(None, "cdn"), ("npm", "npm")])
def test_the_space_sets_its_model_source_unless_its_variables_do(preset, expected):
    env = {key: value for key, value in os.environ.items() if key != "UPSCALER_EXPLORER_SOURCE"}
    env |= {"PYTHONPATH": str(REPO), **({"UPSCALER_EXPLORER_SOURCE": preset} if preset else {})}
    code = "import explorer.app.space; from explorer import settings; print(settings.source())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == expected


def test_serve_options(capsys):
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "8080", "--share", "--max-pixels", "1000"])
    assert (args.host, args.port, args.share, args.max_pixels) == ("0.0.0.0", 8080, True, 1000)
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port must be 1 to 65535" in capsys.readouterr().err
    assert main(["serve", "--max-pixels", "0"]) == 2
    assert "max_pixels" in capsys.readouterr().err


def test_readme_front_matter_configures_the_space():
    import yaml

    text = (REPO / "README.md").read_text()
    assert text.startswith("---\n")
    config = yaml.safe_load(text.split("---", 2)[1])
    pins = dict(line.split("==") for line in (REPO / "requirements.txt").read_text().splitlines() if "==" in line)
    assert config["sdk"] == "gradio" and config["sdk_version"] == pins["gradio"]
    assert config["python_version"] == "3.11" and (REPO / config["app_file"]).is_file()
    assert len(config["short_description"]) <= 60  # the Hub's limit
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "```bash\npython3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt && python -m explorer serve\n```" in quick_start
