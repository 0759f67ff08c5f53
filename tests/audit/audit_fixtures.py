"""Builders for small, honest audit logs used by the verifier and witness tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.entry import GENESIS_PREV, Actor, AuditEntry, Outcome, RequestInfo, Subject, chain_digest
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.note import SIG_TYPE_ED25519, VerifierKey
from crypto.signing import SigningKey

ORIGIN = "vault.example.org/audit"
LOG_KEY = SigningKey(bytes(range(32)))
LOG_VKEY = VerifierKey(ORIGIN, SIG_TYPE_ED25519, LOG_KEY.public_key)
OTHER_KEY = SigningKey(bytes(range(100, 132)))
T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


def entry(index: int, prev: str, action: str = "item.download") -> AuditEntry:
    return AuditEntry(
        index=index,
        time=T0 + timedelta(seconds=index, microseconds=index),
        actor=Actor(id=f"u-{index % 3}", role="investigator"),
        action=action,
        subject=Subject(case="c-1", item=f"i-{index}"),
        outcome=Outcome(result="allowed", reason=None),
        request=RequestInfo(id=f"r-{index}", client="203.0.113.7", user_agent="test"),
        details={"sha256": f"{index:064x}", "size": index * 10},
        prev=prev,
    )


def build(n: int) -> tuple[MerkleLog, list[bytes]]:
    """An honest log of n entries and its export lines (entry bytes + LF)."""
    log = MerkleLog(MemoryLeafStore())
    prev = GENESIS_PREV
    for i in range(n):
        data = entry(i, prev).to_bytes()
        assert log.append(data) == i
        prev = chain_digest(data)
    return log, [e + b"\n" for e in log.entries(0, n)]


def checkpoint(log: MerkleLog, size: int, key: SigningKey = LOG_KEY) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, log.root(size)), ORIGIN, key)
