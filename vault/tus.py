"""The tus 1.0 wire format (https://tus.io/protocols/resumable-upload): protocol constants,
the errors with tus-specific statuses, and strict parsing of the request headers.  Pure:
no database, no files; ``vault/services/resumable.py`` does the work."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from vault.errors import BadRequest, VaultError

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "expiration", "termination", "checksum")
# The checksum extension requires sha1; sha256 is what our clients send.
CHECKSUM_ALGORITHMS = ("sha1", "sha256")


class Gone(VaultError):
    code = "upload.expired"
    status = 410


class ChecksumMismatch(VaultError):
    """tus checksum extension: the chunk did not match its ``Upload-Checksum``."""

    code = "upload.checksum_mismatch"
    status = 460


class UnsupportedMediaType(VaultError):
    code = "request.unsupported_media_type"
    status = 415


class VersionUnsupported(VaultError):
    code = "tus.version_unsupported"
    status = 412


@dataclass(frozen=True)
class TusCreate:
    """A creation request, parsed from ``Upload-Length``, ``Upload-Metadata`` and
    ``Idempotency-Key``."""

    case_id: str
    length: int
    statement_header: str | None
    sealed_metadata: bytes | None  # the raw age blob
    idempotency_key: str | None


# -- wire parsing -------------------------------------------------------------------------------


def parse_metadata(header: str | None) -> dict[str, bytes]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (tus creation §)."""
    found: dict[str, bytes] = {}
    if not header or not header.strip():
        return found
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or key in found:
            raise BadRequest("upload.metadata_invalid", field=key[:40])
        value = b""
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise BadRequest("upload.metadata_invalid", field=key[:40]) from exc
        found[key] = value
    return found


def parse_create(
    length_header: str | None, metadata_header: str | None, idempotency_key: str | None
) -> TusCreate:
    length = parse_offset(length_header, "Upload-Length")
    meta = parse_metadata(metadata_header)
    # Other keys (tus-js-client's ``filename``, ``filetype``) are ignored and never stored:
    # a filename travels only inside the sealed metadata.
    try:
        case_id = meta["case_id"].decode("ascii")
        statement = meta["statement"].decode("ascii") if "statement" in meta else None
    except KeyError as exc:
        raise BadRequest("upload.metadata_invalid", field="case_id") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest("upload.metadata_invalid", field="statement") from exc
    if not case_id or len(case_id) > 64:
        raise BadRequest("upload.metadata_invalid", field="case_id")
    return TusCreate(case_id, length, statement, meta.get("sealed_metadata"), idempotency_key)


def parse_offset(value: str | None, name: str) -> int:
    if value is None or not value.isdigit() or len(value) > 19:
        raise BadRequest("upload.header_invalid", header=name)
    return int(value)


def parse_checksum(value: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` (tus checksum extension)."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise BadRequest("upload.checksum_unsupported", algorithm=algorithm[:20])
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("upload.header_invalid", header="Upload-Checksum") from exc
    return algorithm, digest
