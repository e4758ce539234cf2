"""``python -m explorer serve``: start the explorer app in the browser."""

from __future__ import annotations

import argparse

from explorer.cli._common import status
from explorer.errors import ExplorerError


def register(commands) -> None:
    """Add the ``serve`` command."""
    serve = commands.add_parser(
        "serve",
        help="start the explorer app (a local web page)",
        description="Start the Upscaler Explorer app: pick models, upscale images, compare models, copy code. "
        "Stop it with Ctrl+C.",
    )
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1; 0.0.0.0 for your network)")
    serve.add_argument("--port", type=int, default=None, help="port (default 7860, or the next free one)")
    serve.add_argument("--share", action="store_true", help="also open a temporary public link (Gradio share servers)")
    serve.add_argument(
        "--max-pixels",
        type=int,
        metavar="N",
        help="largest input image in pixels (default 4194304 = 2048×2048, or $UPSCALER_EXPLORER_APP_MAX_PIXELS)",
    )
    serve.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="model runs at once across all users (default 2, or $UPSCALER_EXPLORER_APP_CONCURRENCY)",
    )
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the app and serve it until interrupted."""
    from explorer.app import AppConfig, build_app, launch_app

    if args.port is not None and not 0 < args.port < 65536:
        raise ExplorerError(f"--port must be 1 to 65535, got {args.port}.")
    overrides = {"max_pixels": args.max_pixels, "concurrency": args.concurrency}
    config = AppConfig(**{key: value for key, value in overrides.items() if value is not None})
    status("Starting Upscaler Explorer …")
    launch_app(build_app(config), host=args.host, port=args.port, share=args.share)
    return 0
