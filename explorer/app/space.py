"""Hugging Face Space entry point (the ``app_file`` in README.md's front matter).

A Space runs this file as a script from the repository root. Python then puts
this file's folder, not the root, at the front of ``sys.path``; it is replaced
by the root so ``explorer`` imports as a package.

Models come from the CDNs on a Space, explicitly: :data:`SPACE_SOURCE` is
``UPSCALER_EXPLORER_SOURCE`` unless the Space's variables set it (``npm``, with
``npm_config_registry``, fetches the pinned package tarball without node).
The Space sets ``GRADIO_SERVER_NAME``/``GRADIO_SERVER_PORT``, which Gradio reads.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SPACE_SOURCE = "cdn"
"""Where a Space gets models: file by file from the CDNs, each file checked against its pinned sha256."""

os.environ.setdefault("UPSCALER_EXPLORER_SOURCE", SPACE_SOURCE)

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(ROOT), *(entry for entry in sys.path if entry not in (here, str(ROOT)))]

from explorer.app import build_app, launch_app  # noqa: E402

demo = build_app()

if __name__ == "__main__":
    launch_app(demo)
