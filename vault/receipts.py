"""Signed upload receipts: what the uploader keeps to prove later that the vault accepted
exactly this item.

A receipt is JSON with the fields of API.md plus ``log_key`` and ``signature``.  The signature
is Ed25519 by the log key over ``"vault.receipt/v1\\n" || RFC 8785 canonical JSON of every
other field``; the prefix separates receipts from checkpoints and reports, which the same key
signs.  The inclusion proof and checkpoint make the receipt checkable against the log, offline.
"""

from __future__ import annotations

import base64
from typing import Any

import rfc8785

from audit.checkpoint import open_checkpoint
from audit.entry import AuditEntry
from audit.note import VerifierKey
from audit.proof import verify_inclusion
from audit.rfc6962 import leaf_hash
from crypto.signing import SigningKey

DOMAIN = b"vault.receipt/v1\n"


class ReceiptError(ValueError):
    """A receipt whose parts do not agree."""


def signed_bytes(receipt: dict[str, Any]) -> bytes:
    body = {k: v for k, v in receipt.items() if k != "signature"}
    return DOMAIN + rfc8785.dumps(body)


def sign_receipt(receipt: dict[str, Any], key: SigningKey, vkey: VerifierKey) -> dict[str, Any]:
    body = {**receipt, "log_key": vkey.to_text()}
    body["signature"] = base64.b64encode(key.sign(signed_bytes(body))).decode()
    return body


def verify_receipt(receipt: dict[str, Any], vkey: VerifierKey) -> None:
    """Raise unless (1) the receipt is signed by ``vkey``, (2) its checkpoint is signed by
    ``vkey`` for ``vkey``'s origin, (3) its ``log_entry`` is included at ``log_index`` under
    that checkpoint, and (4) that entry records this item with these digests."""
    vkey.public_key.verify(signed_bytes(receipt), base64.b64decode(receipt["signature"]))
    checkpoint = open_checkpoint(receipt["checkpoint"], vkey, vkey.name)
    entry_bytes = receipt["log_entry"].encode()
    proof = [bytes.fromhex(h) for h in receipt["inclusion_proof"]]
    verify_inclusion(
        receipt["log_index"], checkpoint.size, leaf_hash(entry_bytes), proof, checkpoint.root_hash
    )
    entry = AuditEntry.parse(entry_bytes)
    details = entry.details
    if (
        entry.index != receipt["log_index"]
        or entry.subject.item != receipt["item_id"]
        or details.get("ciphertext_sha256") != receipt["ciphertext_sha256"]
        or details.get("plaintext_sha256") != receipt["plaintext_sha256"]
    ):
        raise ReceiptError("the log entry does not record this item and these digests")
