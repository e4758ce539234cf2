"""Check downloaded bytes against the hashes pinned in the model cards."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from pathlib import Path

from explorer.engine.registry import ModelSpec
from explorer.engine.store.cache import CHUNK_BYTES
from explorer.errors import IntegrityError, ModelFetchError

_SRI_ALGORITHMS = ("sha256", "sha384", "sha512")


def _file_digest(path: Path, algorithm: str) -> bytes:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.digest()


def _pinned_sri(spec: ModelSpec) -> tuple[str, bytes]:
    algorithm, _, encoded = spec.integrity.strip().partition("-")
    try:
        expected = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        expected = b""
    if algorithm not in _SRI_ALGORITHMS or not expected:
        raise ModelFetchError(
            f"The pinned integrity of {spec.package}@{spec.version} ({spec.integrity!r}) "
            "is not an SRI string like 'sha512-<base64>'. Fix the model card "
            f"{spec.card or 'of ' + spec.package} (copy the integrity npm reports for the tarball)."
        )
    return algorithm, expected


def verify_tarball(tarball: Path, spec: ModelSpec) -> None:
    algorithm, expected = _pinned_sri(spec)
    actual = _file_digest(tarball, algorithm)
    if actual != expected:
        found = f"{algorithm}-{base64.b64encode(actual).decode()}"
        raise IntegrityError(
            f"The tarball of {spec.package}@{spec.version} has {found}, but the model "
            f"card pins {spec.integrity}. Nothing was installed. Retry; if it persists, "
            "the download or the card is wrong: do not use this package until they agree."
        )


def verify_files(directory: Path, files: Mapping[str, str], origin: str) -> None:
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise IntegrityError(
                f"{origin} has no file {name}, which the model card lists. Nothing was "
                "installed; check that the card's version and files match the package."
            )
        verify_file(path, expected, f"{name} from {origin}")


def verify_file(path: Path, expected_sha256: str, what: str) -> None:
    actual = _file_digest(path, "sha256").hex()
    if actual != expected_sha256.lower():
        raise IntegrityError(
            f"{what} has sha256 {actual}, but the model card pins {expected_sha256}. "
            "Nothing was installed. Retry; if it persists, the source serves other "
            "bytes than the pinned package: do not use it."
        )
