"""Fetch a package's tarball over HTTP(S) from npm's registry setting, with no node at all.

``$npm_config_registry`` is where the ``npm`` client itself looks; the
tarball is at the registry's conventional address
``{registry}/{name}/-/{unscoped name}-{version}.tgz``. It must match the
card's pinned sha512 before it is unpacked, like one ``npm pack`` fetched
(:func:`~explorer.engine.store.npm.install_tarball`).
"""

from __future__ import annotations

from pathlib import Path

from explorer.engine.registry import ModelSpec
from explorer.engine.store.cache import staging
from explorer.engine.store.download import Progress, deadline_after
from explorer.engine.store.mirrors import fetch_first
from explorer.engine.store.npm import MAX_UNPACKED_BYTES, install_tarball
from explorer.settings import download_seconds, npm_registry

__all__ = ["fetch_tarball", "tarball_url"]

_HINT = "Check npm_config_registry, or set UPSCALER_EXPLORER_SOURCE=cdn."


def tarball_url(spec: ModelSpec, registry: str) -> str:
    """The address of ``spec``'s package tarball in ``registry``."""
    return f"{registry}/{spec.package}/-/{spec.package.rsplit('/', 1)[-1]}-{spec.version}.tgz"


def fetch_tarball(spec: ModelSpec, root: Path, report: Progress) -> Path:
    """Download, verify and unpack ``spec``'s package from ``$npm_config_registry`` into ``root``'s cache."""
    registry = npm_registry()
    assert registry, "the store only picks this source when npm_config_registry is set"
    url = tarball_url(spec, registry)
    report(f"Downloading {url} (npm_config_registry, no npm client)...")
    with staging(root) as folder:
        tarball = folder / "package.tgz"
        deadline = deadline_after(download_seconds())
        fetch_first([url], tarball, max_bytes=MAX_UNPACKED_BYTES, hint=_HINT, deadline=deadline, report=report)
        report(f"Verifying and unpacking {spec.package}@{spec.version}...")
        return install_tarball(tarball, spec, root)
