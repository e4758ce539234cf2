"""``python -m explorer fetch``: download and verify models into the cache."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_source_options, status
from explorer.engine.registry import get_spec, list_models
from explorer.errors import ExplorerError


def register(commands) -> None:
    """Add the ``fetch`` command."""
    fetch = commands.add_parser(
        "fetch",
        help="download and verify models into the cache",
        description="Download model packages, verify their pinned hashes and keep them in the cache "
        "(for offline use later). A model given by URL (a TF.js model.json) is downloaded, checked (its weights "
        "must match its manifest) and cached; it is not fetched again unless you add --refresh.",
    )
    fetch.add_argument("models", nargs="*", metavar="ID|URL", help="model ids or aliases, or http(s) URLs of TF.js models")
    fetch.add_argument(
        "--refresh",
        action="store_true",
        help="download the models given by URL again (the cached copy is replaced once the new one checks out)",
    )
    fetch.add_argument("--all", action="store_true", help="fetch every model in the registry")
    add_source_options(fetch)
    fetch.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Fetch and verify the named models."""
    from explorer.engine import store

    urls = [name for name in args.models if store.is_url(name)]
    specs = list_models() if args.all else [get_spec(name) for name in args.models if name not in urls]
    if not specs and not urls:
        raise ExplorerError("Name at least one model id (see `python -m explorer models`) or URL, or pass --all.")
    for url in urls:
        path = store.fetch_url_model(url, progress=status, refresh=args.refresh)
        print(f"{url}: checked, {path}")
    for spec in specs:
        path = store.model_json_path(spec, source=args.source, progress=status)
        print(f"{spec.id}: verified, {path}")
    return 0
