"""Fetch a package's files one by one from CDNs that mirror npm packages, each checked against its pin.

The CDNs of :func:`~explorer.settings.cdn_bases` are tried in order for each
file (:mod:`.mirrors`: fallback, retries with backoff, one deadline for the
whole package); the one that served the last file is tried first for the next.
"""

from __future__ import annotations

import os
from pathlib import Path

from explorer.engine.registry import ModelSpec
from explorer.engine.store.cache import escapes, files_root, staging
from explorer.engine.store.download import Progress, deadline_after
from explorer.engine.store.hashes import verify_file
from explorer.engine.store.mirrors import fetch_first
from explorer.errors import ModelFetchError
from explorer.settings import cdn_bases, download_seconds

_MAX_FILE_BYTES = 512 << 20  # per file fetched from a CDN
_CDN_HINT = "Check UPSCALER_EXPLORER_CDN, or set UPSCALER_EXPLORER_SOURCE=npm."


def fetch_files(spec: ModelSpec, root: Path, report: Progress) -> Path:
    """Download the files of ``spec`` missing from ``<root>/files/...``, verify each, and return that folder."""
    final = files_root(spec, root)
    bases = list(cdn_bases())
    missing = [name for name in _relative_file_names(spec) if not (final / name).is_file()]
    deadline = deadline_after(download_seconds())
    with staging(root) as staged:
        for name in missing:
            urls = [f"{base}/{spec.package}@{spec.version}/{name}" for base in bases]
            report(f"Downloading {urls[0]}...")
            served = fetch_first(
                urls, staged / name, max_bytes=_MAX_FILE_BYTES, hint=_CDN_HINT, deadline=deadline, report=report,
                verify=lambda path, url, name=name: verify_file(path, spec.files[name], f"{name} from {url}"),
            )  # fmt: skip
            bases.insert(0, bases.pop(urls.index(served)))  # the CDN that answered goes first for the next file
        for name in sorted(missing, key=lambda n: n == spec.path):  # model.json last
            (final / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / name, final / name)
    return final


def _relative_file_names(spec: ModelSpec) -> list[str]:
    """``spec.files``'s paths, refusing any that would leave the package folder."""
    for name in spec.files:
        if escapes(name):
            raise ModelFetchError(
                f"The model card {spec.card or 'of ' + spec.package} lists the file {name!r}, "
                "which is not a path inside the package. Fix the card's 'files'."
            )
    return list(spec.files)
