"""Chain-of-custody reports, built from the database and signed by the server.

For one item: its digests, the capture statement and the result of checking its signature,
the sealed-metadata digest, and every audit entry that touches it, each with an inclusion
proof against ONE signed checkpoint.  The format, signing and rendering live in
``vault/report/``; this module only gathers the facts.

A report is built "as of" a tree size: by default the size right after the report's own audit
entry, so the report lists its own production.  Asking for an earlier size (``at``) gives a
reproducible report: the same bytes every time, dated by that checkpoint.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlmodel import Session

from audit.entry import AuditEntry
from crypto.errors import CryptoError
from crypto.signing import VerifyKey
from vault.auditlog import AuditTrail
from vault.clock import now, utc_text
from vault.errors import NotFound
from vault.models import AuditCheckpoint, Device, Item, Member
from vault.report.schema import Envelope
from vault.report.signing import sign_report
from vault.services import items
from vault.statements import DOMAIN as STATEMENT_DOMAIN


def _person(session: Session, member_id: str | None, cache: dict[str, Member | None]) -> Any:
    if member_id is None:
        return None
    if member_id not in cache:
        cache[member_id] = session.get(Member, member_id)
    return cache[member_id]


def _statement(session: Session, item: Item) -> dict[str, Any] | None:
    if item.statement is None or item.statement_signature is None or item.device_id is None:
        return None
    device = session.get(Device, item.device_id)
    assert device is not None
    raw = base64.urlsafe_b64decode(item.statement + "=" * (-len(item.statement) % 4))
    sig = base64.urlsafe_b64decode(
        item.statement_signature + "=" * (-len(item.statement_signature) % 4)
    )
    try:
        VerifyKey.from_base64(device.public_key).verify(STATEMENT_DOMAIN + raw, sig)
        valid = True
    except CryptoError:
        valid = False
    return {
        "statement": json.loads(raw),
        "encoded": item.statement,
        "signature": item.statement_signature,
        "device_public_key": device.public_key,
        "signature_valid": valid,
    }


def build(
    session: Session, trail: AuditTrail, item: Item, *, lang: str, at: int | None = None
) -> Envelope:
    log = trail.log(session)
    size = log.size() if at is None else at
    if not item.log_index < size <= log.size():
        raise NotFound("log.size_unknown", size=size)
    checkpoint_row = session.get(AuditCheckpoint, size)
    if checkpoint_row is None:
        raise NotFound("log.checkpoint_unknown", size=size)
    generated = checkpoint_row.created_at if at is not None else now()
    members: dict[str, Member | None] = {}
    events = []
    for index in trail.indices_touching(session, item.id, size):
        raw = log.entries(index, index + 1)[0]
        entry = AuditEntry.parse(raw)
        person = _person(session, entry.actor.id, members)
        events.append(
            {
                "index": index,
                "entry": raw.decode(),
                "inclusion_proof": [h.hex() for h in log.inclusion_proof(index, size)],
                "time": utc_text(entry.time),
                "actor": {
                    "id": entry.actor.id,
                    "name": person.name if person else None,
                    "role": entry.actor.role,
                },
                "action": entry.action,
                "outcome": {"result": entry.outcome.result, "reason": entry.outcome.reason},
            }
        )
    uploader = _person(session, item.uploader_id, members)
    assert uploader is not None
    report = {
        "schema": "vault.custody-report/v1",
        "generated_at": utc_text(generated),
        "lang": lang,
        "vault": {"origin": trail.origin, "log_key": trail.verifier_key.to_text()},
        "item": {
            "id": item.id,
            "case_id": item.case_id,
            **items.facts(item),
            "received_at": utc_text(item.received_at),
            "uploader": {"id": uploader.id, "name": uploader.name, "role": uploader.role},
            "device_id": item.device_id,
            "log_index": item.log_index,
        },
        "capture_statement": _statement(session, item),
        "checkpoint": checkpoint_row.note,
        "events": events,
    }
    return sign_report(report, trail.signing_key, trail.verifier_key.to_text())
