"""Offline verification of a custody report (docs/custody-report.md, "Verifying a report").

Pure: bytes in, a :class:`VerificationResult` out or a :class:`ReportVerificationError` raised.
No database, no network, no clock.  The steps are numbered as in the documentation:

1. Read the envelope: from the PDF's embedded ``custody-report.json``, or plain JSON; parse it
   strictly (schema ``vault.custody-report/v1``).
2. Pin the log key: the key to trust comes from the caller (``--log-key``), never from the
   report alone, and must equal the report's ``vault.log_key`` and the signature's key.
3. The envelope signature: Ed25519 over ``"vault.custody-report/v1\\n" || JCS(report)``.
4. The checkpoint: a signed note signed by the log key, for the report's origin.
5. Every event: leaf hash, inclusion proof against the checkpoint, that the entry is canonical
   and concerns this item, and that the readable copies equal the entry's fields.
6. The capture statement (client-sealed items): the device's Ed25519 signature over
   ``"vault.capture-statement/v1\\n" || decoded statement bytes``, and that its digest and size
   are the item's.
7. The original file, if given: its SHA-256 equals the item's plaintext SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from audit.checkpoint import Checkpoint, open_checkpoint
from audit.entry import AuditEntry
from audit.errors import AuditError, InclusionProofError, VerifierKeyError
from audit.note import SIG_TYPE_ED25519, VerifierKey
from audit.proof import verify_inclusion
from audit.rfc6962 import leaf_hash
from crypto.errors import CryptoError
from crypto.signing import VerifyKey
from vault.report.errors import ReportVerificationError
from vault.report.pdf import extract_embedded_json, is_pdf
from vault.report.schema import (
    CaptureStatement,
    Envelope,
    Event,
    ItemPart,
    loads_strict,
    parse_envelope,
    validate_envelope,
)
from vault.report.signing import canonical_report_bytes
from vault.statements import DOMAIN as STATEMENT_DOMAIN

#: Statement fields that must equal the item's (statement name -> item name).  The first two
#: are required: a statement that does not bind the content's digest and size proves nothing.
STATEMENT_BINDINGS = {
    "plaintext_sha256": "plaintext_sha256",
    "size": "size",
    "item_id": "id",
    "case_id": "case_id",
    "media_type": "media_type",
    "metadata_sha256": "metadata_sha256",
    "device_id": "device_id",
}
REQUIRED_STATEMENT_FIELDS = ("plaintext_sha256", "size")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class VerificationResult:
    """What was verified; every field is a fact the verifier checked, not a claim."""

    item_id: str
    case_id: str
    plaintext_sha256: str
    origin: str
    checkpoint_size: int
    checkpoint_root: str  # standard base64, as printed in the checkpoint
    log_key: str
    key_pinned: bool  # False only when the caller explicitly allowed an unpinned key
    event_indices: tuple[int, ...]
    statement_verified: bool  # False when the item has no capture statement
    original_verified: bool  # False when no original file was given


def _err(code: str, part: str, detail: str = "") -> ReportVerificationError:
    return ReportVerificationError(code, part, detail)


def _read_envelope(data: bytes | Mapping[str, Any]) -> Envelope:
    if isinstance(data, Mapping):
        return validate_envelope(dict(data))
    if is_pdf(data):
        data = extract_embedded_json(data)
    return parse_envelope(data)


def _pin_key(envelope: Envelope, log_key: str | None, allow_unpinned: bool) -> VerifierKey:
    claimed = envelope["report"]["vault"]["log_key"]
    if log_key is None:
        if not allow_unpinned:
            raise _err(
                "report.key_unpinned",
                "log key",
                "give the log key obtained independently (--log-key); the key inside the "
                "report proves nothing on its own",
            )
        log_key = claimed
    pinned = log_key.strip()
    try:
        verifier = VerifierKey.parse(pinned)
        if verifier.sig_type != SIG_TYPE_ED25519:
            raise VerifierKeyError("the log key must be an Ed25519 (type 0x01) key")
    except AuditError as exc:
        raise _err("report.key_mismatch", "log key", f"not a verifier key ({exc})") from exc
    if claimed != pinned:
        raise _err("report.key_mismatch", "vault.log_key", "differs from the pinned log key")
    if envelope["signature"]["key"] != pinned:
        raise _err("report.key_mismatch", "signature.key", "differs from the pinned log key")
    return verifier


def _check_signature(envelope: Envelope, verifier: VerifierKey) -> None:
    try:
        raw = base64.b64decode(envelope["signature"]["value"], validate=True)
        verifier.public_key.verify(canonical_report_bytes(envelope["report"]), raw)
    except (binascii.Error, CryptoError) as exc:
        raise _err("report.signature", "report signature", str(exc)) from exc


def _check_checkpoint(envelope: Envelope, verifier: VerifierKey) -> Checkpoint:
    report = envelope["report"]
    # The expected origin is the report's own vault.origin, which step 3 showed the pinned key
    # signed; a checkpoint of another log under the same key is refused.
    try:
        return open_checkpoint(report["checkpoint"], verifier, report["vault"]["origin"])
    except AuditError as exc:
        raise _err("report.checkpoint", "checkpoint", str(exc)) from exc


def _check_event(n: int, event: Event, item: ItemPart, checkpoint: Checkpoint) -> None:
    part = f"event {n} (index {event['index']})"
    data = event["entry"].encode("utf-8")
    # 5a. The entry bytes, hashed as an RFC 6962 leaf, are in the signed tree.
    try:
        proof = [bytes.fromhex(h) for h in event["inclusion_proof"]]
        verify_inclusion(
            event["index"], checkpoint.size, leaf_hash(data), proof, checkpoint.root_hash
        )
    except InclusionProofError as exc:
        raise _err("report.proof", f"{part}: inclusion proof", str(exc)) from exc
    # 5b. The entry is one canonical audit entry (no duplicate keys, no second encoding) ...
    try:
        entry = AuditEntry.parse(data)
    except AuditError as exc:
        raise _err("report.entry", f"{part}: entry", str(exc)) from exc
    # 5c. ... at the index the proof was checked for, about this item ...
    if entry.index != event["index"]:
        raise _err("report.entry", f"{part}: entry", "its index differs from the event's")
    if entry.subject.item != item["id"]:
        raise _err("report.entry", f"{part}: subject", "the entry is not about this item")
    if entry.subject.case not in (None, item["case_id"]):
        raise _err("report.entry", f"{part}: subject", "the entry names another case")
    # 5d. ... and the readable copies printed in the report say exactly what the entry says.
    fields = entry.to_json()
    copies = {
        "time": (event["time"], fields["time"]),
        "actor.id": (event["actor"]["id"], fields["actor"]["id"]),
        "actor.role": (event["actor"]["role"], fields["actor"]["role"]),
        "action": (event["action"], fields["action"]),
        "outcome": (dict(event["outcome"]), fields["outcome"]),
    }
    for name, (shown, recorded) in copies.items():
        if shown != recorded:
            raise _err("report.entry", f"{part}: {name}", "differs from the signed entry")


def _check_events(envelope: Envelope, checkpoint: Checkpoint) -> tuple[int, ...]:
    report = envelope["report"]
    item = report["item"]
    indices = tuple(ev["index"] for ev in report["events"])
    if list(indices) != sorted(set(indices)):
        raise _err("report.format", "events", "indices must be strictly increasing")
    # The intake entry is what dates the item's arrival; a report without it proves no receipt.
    if item["log_index"] not in indices:
        raise _err("report.entry", "events", "the item's intake entry (item.log_index) is missing")
    for n, event in enumerate(report["events"], start=1):
        _check_event(n, event, item, checkpoint)
    return indices


def _b64url(text: str) -> bytes:
    """Base64url, padded or not, but canonical: one value has one accepted text."""
    bare = text.rstrip("=")
    if text not in (bare, bare + "=" * (-len(bare) % 4)):
        raise ValueError("bad base64url padding")
    raw = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != bare:
        raise ValueError("non-canonical base64url")
    return raw


def _check_statement(cs: CaptureStatement | None, item: ItemPart) -> bool:
    if cs is None:
        # A client-sealed item was accepted on the strength of its statement: it must be shown.
        if item["mode"] == "client_sealed":
            raise _err("report.statement", "capture statement", "missing for a client-sealed item")
        return False
    part = "capture statement"
    try:
        encoded = _b64url(cs["encoded"])
        signature = _b64url(cs["signature"])
        device_key = VerifyKey.from_base64(cs["device_public_key"])
    except (binascii.Error, ValueError, CryptoError) as exc:
        raise _err("report.statement", part, f"bad encoding ({exc})") from exc
    # 6a. The device signed exactly the bytes that were received, under the capture-statement
    #     label (vault/statements.py), so no other signed object can pass for a statement.
    try:
        device_key.verify(STATEMENT_DOMAIN + encoded, signature)
    except CryptoError as exc:
        raise _err("report.statement", f"{part}: signature", str(exc)) from exc
    if not cs["signature_valid"]:
        raise _err("report.statement", f"{part}: signature", "the report says it is not valid")
    # 6b. The readable copy is what those bytes say.
    if loads_strict(encoded, "capture statement") != cs["statement"]:
        raise _err("report.statement", part, "the decoded statement differs from its copy")
    # 6c. It binds this item's content.
    statement = cs["statement"]
    for name in REQUIRED_STATEMENT_FIELDS:
        if name not in statement:
            raise _err("report.statement", f"{part}: {name}", "missing")
    for name, item_field in STATEMENT_BINDINGS.items():
        if name in statement and statement[name] != item[item_field]:  # type: ignore[literal-required]
            raise _err("report.statement", f"{part}: {name}", "differs from the item")
    return True


def _check_original(original: BinaryIO, item: ItemPart) -> None:
    digest = hashlib.sha256()
    while chunk := original.read(_CHUNK):
        digest.update(chunk)
    if digest.hexdigest() != item["plaintext_sha256"]:
        raise _err(
            "report.original",
            "original file",
            f"SHA-256 is {digest.hexdigest()}, the report says {item['plaintext_sha256']}",
        )


def verify_report(
    data: bytes | Mapping[str, Any],
    *,
    log_key: str | None,
    original: BinaryIO | None = None,
    allow_unpinned: bool = False,
) -> VerificationResult:
    """Verify a custody report (PDF bytes, envelope JSON bytes, or a parsed envelope).

    ``log_key`` is the log's verifier key text, obtained independently of the report.  Without
    it verification fails with ``report.key_unpinned`` unless ``allow_unpinned`` is set, in
    which case the result says ``key_pinned=False``.  Raises :class:`ReportVerificationError`.
    """
    # (1) The envelope, from a PDF's embedded file or plain JSON, strictly parsed.
    envelope = _read_envelope(data)
    report = envelope["report"]
    # (2) The key to trust, pinned by the caller and named by the report.
    verifier = _pin_key(envelope, log_key, allow_unpinned)
    # (3) The envelope signature: nothing below is worth reading if this fails.
    _check_signature(envelope, verifier)
    # (4) The checkpoint note, signed by the same key, for the same origin.
    checkpoint = _check_checkpoint(envelope, verifier)
    # (5) Every event: in the log, about this item, and shown as recorded.
    indices = _check_events(envelope, checkpoint)
    # (6) The capture statement, when there is one.
    statement_verified = _check_statement(report["capture_statement"], report["item"])
    # (7) The original file, when given.
    if original is not None:
        _check_original(original, report["item"])
    return VerificationResult(
        item_id=report["item"]["id"],
        case_id=report["item"]["case_id"],
        plaintext_sha256=report["item"]["plaintext_sha256"],
        origin=checkpoint.origin,
        checkpoint_size=checkpoint.size,
        checkpoint_root=base64.b64encode(checkpoint.root_hash).decode("ascii"),
        log_key=report["vault"]["log_key"],
        key_pinned=log_key is not None,
        event_indices=indices,
        statement_verified=statement_verified,
        original_verified=original is not None,
    )
