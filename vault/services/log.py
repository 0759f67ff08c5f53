"""Reads of the audit log for auditors, lawyers and witnesses: entries, checkpoints, proofs."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session

from audit.checkpoint import Checkpoint
from audit.errors import LogStoreError
from audit.note import Note
from audit.rfc6962 import leaf_hash
from vault.auditlog import AuditTrail
from vault.errors import BadRequest, NotFound

MAX_ENTRIES_PER_REQUEST = 1000


def _size(session: Session, trail: AuditTrail, size: int | None) -> int:
    current = trail.log(session).size()
    if size is None:
        return current
    if not 0 <= size <= current:
        raise NotFound("log.size_unknown", size=size)
    return size


def entries(session: Session, trail: AuditTrail, start: int, end: int | None) -> list[bytes]:
    size = trail.log(session).size()
    end = min(size, end if end is not None else start + MAX_ENTRIES_PER_REQUEST)
    if start < 0 or end < start:
        raise BadRequest("log.range_invalid")
    if end - start > MAX_ENTRIES_PER_REQUEST:
        raise BadRequest("log.range_too_large", limit=MAX_ENTRIES_PER_REQUEST)
    return trail.log(session).entries(start, end) if end > start else []


def checkpoint(session: Session, trail: AuditTrail, size: int | None) -> str:
    if size is None:
        return trail.latest_checkpoint(session)
    note = trail.checkpoint_at(session, size)
    if note is None:
        raise NotFound("log.checkpoint_unknown", size=size)
    return note


def inclusion(
    session: Session, trail: AuditTrail, index: int, size: int | None
) -> dict[str, object]:
    size = _size(session, trail, size)
    if not 0 <= index < size:
        raise BadRequest("log.index_invalid")
    log = trail.log(session)
    return {
        "index": index,
        "size": size,
        "leaf_hash": leaf_hash(log.entries(index, index + 1)[0]).hex(),
        "proof": [h.hex() for h in log.inclusion_proof(index, size)],
        "root": log.root(size).hex(),
        "checkpoint": trail.checkpoint_at(session, size),
    }


def consistency(
    session: Session, trail: AuditTrail, size1: int, size2: int | None
) -> dict[str, object]:
    size2 = _size(session, trail, size2)
    if not 0 < size1 <= size2:
        raise BadRequest("log.range_invalid")  # docs/decisions/0003: no proof from size 0
    log = trail.log(session)
    try:
        proof = log.consistency_proof(size1, size2)
    except LogStoreError as exc:
        raise BadRequest("log.range_invalid") from exc
    return {
        "from": size1,
        "to": size2,
        "proof": [h.hex() for h in proof],
        "from_root": log.root(size1).hex(),
        "to_root": log.root(size2).hex(),
        "from_checkpoint": trail.checkpoint_at(session, size1),
        "to_checkpoint": trail.checkpoint_at(session, size2),
    }


def export(session: Session, trail: AuditTrail, batch: int = 1000) -> tuple[str, Iterator[bytes]]:
    """A consistent snapshot: the latest checkpoint and the entries it covers, in batches."""
    note = trail.latest_checkpoint(session)
    size = Checkpoint.parse(Note.parse(note).text).size

    def lines() -> Iterator[bytes]:
        log = trail.log(session)
        for start in range(0, size, batch):
            for entry in log.entries(start, min(size, start + batch)):
                yield entry + b"\n"

    return note, lines()
