"""A realistic custody report built without the database (imported by the tests).

Everything is real: an Ed25519 log key, an RFC 6962 log of canonical audit entries kept by
audit/'s MerkleLog, a checkpoint signed as a C2SP note, a device-signed capture statement, and
the report signed as the vault signs it.  Only the database that would normally hold these is
left out.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rfc8785

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.entry import GENESIS_PREV, Actor, AuditEntry, Outcome, RequestInfo, Subject, chain_digest
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.note import SIG_TYPE_ED25519, VerifierKey
from crypto.signing import SigningKey
from vault.report.signing import sign_report
from vault.statements import DOMAIN as STATEMENT_DOMAIN

ORIGIN = "vault.example.ml/log"
ITEM_ID = "itm_01JD8Q3V7K2M"
CASE_ID = "case_BKO-2026-014"
T0 = datetime(2026, 11, 2, 9, 41, 7, 250000, tzinfo=UTC)

PEOPLE = {
    "m-inv": ("Aminata Traoré", "investigator"),
    "m-law": ("Me Ousmane Diarra", "lawyer"),
    "m-adm": ("Fatoumata Keïta", "admin"),
}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class World:
    """The log, keys and content behind one report, so tests can make consistent variants."""

    log_key: SigningKey
    vkey: str
    device_key: SigningKey
    log: MerkleLog
    original: bytes
    entries: list[bytes] = field(default_factory=list)
    event_specs: list[dict[str, Any]] = field(default_factory=list)

    def append(
        self,
        *,
        minutes: int,
        actor: str | None,
        action: str,
        item: str | None,
        result: str = "allowed",
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        index = self.log.size()
        role = PEOPLE[actor][1] if actor else "anonymous"
        entry = AuditEntry(
            index=index,
            time=T0 + timedelta(minutes=minutes),
            actor=Actor(actor, role),
            action=action,
            subject=Subject(CASE_ID if item else None, item),
            outcome=Outcome(result, reason),  # type: ignore[arg-type]
            request=RequestInfo(f"req-{index}", "198.51.100.23", "vault-cli/0.1"),
            details=details or {},
            prev=chain_digest(self.entries[-1]) if self.entries else GENESIS_PREV,
        )
        data = entry.to_bytes()
        assert self.log.append(data) == index
        self.entries.append(data)
        if item == ITEM_ID:
            self.event_specs.append({"index": index, "actor": actor})
        return index

    def checkpoint(self, size: int | None = None, origin: str = ORIGIN) -> str:
        size = self.log.size() if size is None else size
        cp = Checkpoint(origin, size, self.log.root(size))
        return sign_checkpoint(cp, origin, self.log_key)

    def event(self, index: int, actor: str | None, size: int) -> dict[str, Any]:
        text = self.entries[index].decode()
        parsed = AuditEntry.parse(self.entries[index]).to_json()
        name = PEOPLE[actor][0] if actor else None
        return {
            "index": index,
            "entry": text,
            "inclusion_proof": [h.hex() for h in self.log.inclusion_proof(index, size)],
            "time": parsed["time"],
            "actor": {"id": parsed["actor"]["id"], "name": name, "role": parsed["actor"]["role"]},
            "action": parsed["action"],
            "outcome": parsed["outcome"],
        }

    def statement(self) -> dict[str, Any]:
        body = {
            "v": 1,
            "case_id": CASE_ID,
            "item_id": ITEM_ID,
            "plaintext_sha256": hashlib.sha256(self.original).hexdigest(),
            "size": len(self.original),
            "media_type": "image/jpeg",
            "captured_at": "2026-11-01T17:12:44Z",
            "metadata_sha256": hashlib.sha256(b"sealed metadata").hexdigest(),
            "device_id": "dev-7f3a",
        }
        encoded = bytes(rfc8785.dumps(body))
        return {
            "statement": body,
            "encoded": _b64url(encoded),
            "signature": _b64url(self.device_key.sign(STATEMENT_DOMAIN + encoded)),
            "device_public_key": self.device_key.public_key.to_base64(),
            "signature_valid": True,
        }

    def report(self, size: int | None = None) -> dict[str, Any]:
        size = self.log.size() if size is None else size
        intake = self.event_specs[0]["index"]
        return {
            "schema": "vault.custody-report/v1",
            "generated_at": "2026-11-23T16:00:00Z",
            "lang": "fr",
            "vault": {"origin": ORIGIN, "log_key": self.vkey},
            "item": {
                "id": ITEM_ID,
                "case_id": CASE_ID,
                "kind": "media",
                "mode": "client_sealed",
                "media_type": "image/jpeg",
                "size": len(self.original),
                "plaintext_sha256": hashlib.sha256(self.original).hexdigest(),
                "sha1": None,
                "md5": None,
                "ciphertext_sha256": hashlib.sha256(b"age ciphertext").hexdigest(),
                "ciphertext_size": len(self.original) + 259,
                "received_at": "2026-11-02T09:42:07.250000Z",
                "uploader": {"id": "m-inv", "name": PEOPLE["m-inv"][0], "role": "investigator"},
                "device_id": "dev-7f3a",
                "metadata_sha256": hashlib.sha256(b"sealed metadata").hexdigest(),
                "log_index": intake,
            },
            "capture_statement": self.statement(),
            "checkpoint": self.checkpoint(size),
            "events": [
                self.event(spec["index"], spec["actor"], size)
                for spec in self.event_specs
                if spec["index"] < size
            ],
        }

    def sign(self, report: dict[str, Any]) -> dict[str, Any]:
        return dict(sign_report(report, self.log_key, self.vkey))


def make_world() -> World:
    log_key = SigningKey.generate()
    vkey = VerifierKey(ORIGIN, SIG_TYPE_ED25519, log_key.public_key).to_text()
    # A few kilobytes that look like the start of a JPEG: content does not matter, its hash does.
    original = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(4096) + b"\xff\xd9"
    w = World(log_key, vkey, SigningKey.generate(), MerkleLog(MemoryLeafStore()), original)
    w.append(minutes=-600, actor="m-adm", action="case.create", item=None)
    w.append(minutes=-5, actor="m-inv", action="item.upload", item="itm_other")
    w.append(
        minutes=1,
        actor="m-inv",
        action="item.upload",
        item=ITEM_ID,
        details={"plaintext_sha256": hashlib.sha256(original).hexdigest()},
    )
    w.append(minutes=30, actor="m-law", action="item.list", item=None)
    w.append(minutes=31, actor="m-law", action="item.read", item=ITEM_ID)
    w.append(minutes=32, actor="m-law", action="item.download", item=ITEM_ID)
    w.append(minutes=90, actor="m-inv", action="item.download", item="itm_other")
    w.append(
        minutes=95,
        actor="m-inv",
        action="item.download",
        item=ITEM_ID,
        result="denied",
        reason="policy.not_case_lawyer",
    )
    w.append(minutes=200, actor="m-law", action="item.custody_report", item=ITEM_ID)
    return w


def require_tool(name: str) -> str:
    """The path of a command-line tool; skip without it, but fail in CI (CI=true)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required in CI")
        pytest.skip(f"{name} is not installed")
    return path


#: WeasyPrint 70 opens its bundled sRGB2014.icc for the PDF/A output intent and never closes
#: it (an upstream leak of one read-only handle per render, reclaimed at once by refcounting).
#: pytest runs with filterwarnings=error, so tests that render ignore exactly that warning.
WEASYPRINT_FILTERS = [
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedReader name='[^']*sRGB2014\.icc'>:ResourceWarning"
    ),
]
