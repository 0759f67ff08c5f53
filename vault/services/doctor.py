"""Consistency between the database and the object store.

* An **orphan** is an object under ``items/`` with no item row: the ciphertext was stored but
  the commit never happened (crash, database outage).  It is re-hashed and quarantined: a
  ``quarantined_object`` row and an ``object.quarantine`` audit entry.  It cannot be adopted
  as evidence by the server alone, because the facts that make it evidence (case, uploader,
  plaintext digest, statement) were never committed; a client-sealed upload is adopted by its
  client retrying with the same statement, which re-creates the record.
* An item whose object is **missing** or whose ciphertext no longer hashes to the recorded
  SHA-256 is reported and audited as ``item.integrity`` (denied, with the reason).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlmodel import col, select

from storage.errors import ObjectNotFoundError
from vault.actors import Actor, RequestInfo
from vault.clock import now
from vault.context import Vault
from vault.db import session_scope
from vault.models import Item, QuarantinedObject


@dataclass
class DoctorReport:
    checked_items: int = 0
    quarantined: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrupted: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.corrupted)


def _rehash(vault: Vault, key: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with vault.store.open(key) as stream:
        for chunk in stream:
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def examine(vault: Vault, *, rehash: bool = False) -> DoctorReport:
    report = DoctorReport()
    actor, request = Actor.operator(), RequestInfo.cli("doctor")
    with session_scope(vault.engine) as session:
        known = set(session.exec(select(Item.object_key)))
        known |= set(session.exec(select(QuarantinedObject.object_key)))
        items = list(session.exec(select(Item).order_by(col(Item.received_at))))
    for key in vault.store.keys("items/"):
        if key in known:
            continue
        size, sha256 = _rehash(vault, key)
        with session_scope(vault.engine) as session:
            session.add(QuarantinedObject(object_key=key, size=size, sha256=sha256, found_at=now()))
            vault.trail.record(
                session,
                actor=actor,
                action="object.quarantine",
                request=request,
                details={"object_key": key, "size": size, "ciphertext_sha256": sha256},
            )
        report.quarantined.append(key)
    for item in items:
        report.checked_items += 1
        try:
            info = vault.store.stat(item.object_key)
            size, sha256 = (
                _rehash(vault, item.object_key)
                if rehash or info.sha256 is None
                else (info.size, info.sha256)
            )
        except ObjectNotFoundError:
            _integrity(vault, item, "object_missing")
            report.missing.append(item.id)
            continue
        if size != item.ciphertext_size or sha256 != item.ciphertext_sha256:
            _integrity(vault, item, "digest_mismatch")
            report.corrupted.append(item.id)
    return report


def _integrity(vault: Vault, item: Item, reason: str) -> None:
    with session_scope(vault.engine) as session:
        vault.trail.record(
            session,
            actor=Actor.operator(),
            action="item.integrity",
            request=RequestInfo.cli("doctor"),
            case_id=item.case_id,
            item_id=item.id,
            result="denied",
            reason=reason,
        )
