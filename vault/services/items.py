"""Item records and receipts: what the database knows about a stored item, and how a
receipt is rebuilt from it (deterministically, so a retried upload gets the same receipt)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from vault.auditlog import AuditTrail
from vault.clock import utc_text
from vault.errors import NotFound
from vault.models import IdempotencyRecord, Item
from vault.receipts import sign_receipt
from vault.schemas import ItemPublic


def facts(item: Item) -> dict[str, Any]:
    """What the item is, as recorded at intake: its kind, sizes and digests.  The audit
    entry of the upload and every custody report carry exactly these."""
    return {
        "kind": item.kind,
        "mode": item.mode,
        "media_type": item.media_type,
        "size": item.size,
        "plaintext_sha256": item.plaintext_sha256,
        "sha1": item.sha1,
        "md5": item.md5,
        "ciphertext_sha256": item.ciphertext_sha256,
        "ciphertext_size": item.ciphertext_size,
        "metadata_sha256": item.metadata_sha256,
    }


def public(item: Item) -> ItemPublic:
    return ItemPublic.model_validate(item, from_attributes=True)


def get(session: Session, item_id: str) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound("item.not_found")
    return item


def list_for_case(session: Session, case_id: str, uploader_id: str | None) -> list[Item]:
    query = select(Item).where(Item.case_id == case_id)
    if uploader_id is not None:
        query = query.where(Item.uploader_id == uploader_id)
    return list(session.exec(query.order_by(col(Item.received_at))))


def receipt(session: Session, trail: AuditTrail, item: Item) -> dict[str, Any]:
    """The signed receipt for ``item``, against the checkpoint signed right after its entry."""
    size = item.log_index + 1
    log = trail.log(session)
    checkpoint = trail.checkpoint_at(session, size)
    if checkpoint is None:  # only for logs written before every append was checkpointed
        checkpoint = trail.latest_checkpoint(session)
    body = {
        "item_id": item.id,
        "case_id": item.case_id,
        "kind": item.kind,
        "plaintext_sha256": item.plaintext_sha256,
        "ciphertext_sha256": item.ciphertext_sha256,
        "size": item.size,
        "ciphertext_size": item.ciphertext_size,
        "received_at": utc_text(item.received_at),
        "log_index": item.log_index,
        "log_entry": log.entries(item.log_index, size)[0].decode(),
        "checkpoint": checkpoint,
        "inclusion_proof": [h.hex() for h in log.inclusion_proof(item.log_index, size)],
    }
    return sign_receipt(body, trail.signing_key, trail.verifier_key)


def idempotent_item(session: Session, member_id: str, key: str | None) -> tuple[Item, str] | None:
    if not key:
        return None
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.member_id == member_id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    return get(session, record.item_id), record.request_fingerprint
