"""Capture statements: what a client signs with its device key before a client-sealed upload.

Wire form, in the ``Vault-Statement`` header: ``<base64url(JSON)>.<base64url(signature)>``
(unpadded).  The signature is Ed25519 over ``"vault.capture-statement/v1\\n" || JSON bytes``:
the exact bytes sent, so no re-encoding can change what was signed, and the prefix keeps a
statement from ever being mistaken for another signed object.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from crypto.signing import SigningKey, VerifyKey

DOMAIN = b"vault.capture-statement/v1\n"
MAX_HEADER = 8192
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
REQUIRED = {
    "v": int,
    "case_id": str,
    "item_id": str,
    "plaintext_sha256": str,
    "size": int,
    "media_type": str,
    "captured_at": str,
    "device_id": str,
}
OPTIONAL = {"metadata_sha256": str}


class StatementError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CaptureStatement:
    encoded: str  # the base64url text as received
    raw: bytes  # the JSON bytes that were signed
    fields: dict[str, Any]
    signature: bytes

    def verify(self, key: VerifyKey) -> None:
        key.verify(DOMAIN + self.raw, self.signature)


def _b64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise StatementError("statement.malformed")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatementError("statement.malformed") from exc
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:
        raise StatementError("statement.malformed")  # non-canonical
    return raw


def parse(header: str | None) -> CaptureStatement:
    if not header:
        raise StatementError("statement.missing")
    if len(header) > MAX_HEADER or header.count(".") != 1:
        raise StatementError("statement.malformed")
    encoded, sig_text = header.split(".")
    raw, signature = _b64url(encoded), _b64url(sig_text)
    try:
        fields = json.loads(raw)
    except ValueError as exc:
        raise StatementError("statement.malformed") from exc
    if not isinstance(fields, dict) or len(signature) != 64:
        raise StatementError("statement.malformed")
    for name, kind in REQUIRED.items():
        if type(fields.get(name)) is not kind:
            raise StatementError("statement.malformed")
    for name, kind in OPTIONAL.items():
        if name in fields and type(fields[name]) is not kind:
            raise StatementError("statement.malformed")
    if set(fields) - set(REQUIRED) - set(OPTIONAL):
        raise StatementError("statement.malformed")
    if fields["v"] != 1 or fields["size"] < 0 or not _HEX64.match(fields["plaintext_sha256"]):
        raise StatementError("statement.malformed")
    if "metadata_sha256" in fields and not _HEX64.match(fields["metadata_sha256"]):
        raise StatementError("statement.malformed")
    try:
        uuid.UUID(fields["item_id"])
    except ValueError as exc:
        raise StatementError("statement.malformed") from exc
    return CaptureStatement(encoded, raw, fields, signature)


def make(fields: dict[str, Any], key: SigningKey) -> str:
    """The header value for ``fields`` signed by ``key`` (used by the CLI and tests)."""
    raw = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def enc(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).decode().rstrip("=")

    return f"{enc(raw)}.{enc(key.sign(DOMAIN + raw))}"
