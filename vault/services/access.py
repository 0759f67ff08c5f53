"""Runs one request's work under the policy, and records exactly one audit entry for it.

Allowed: the work and its audit entry commit in one transaction (for reads, the entry is
committed before the first byte leaves).  Denied: the transaction is rolled back and the
denial is recorded in a fresh one, then the error is raised (404 for anything outside the
caller's cases, 403 for their own case but the wrong role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from sqlmodel import Session

from vault.actors import Actor, RequestInfo
from vault.db import session_scope
from vault.errors import VaultError
from vault.policy import Decision, decide

T = TypeVar("T")


class Denied(VaultError):
    """Access refused by the policy; ``status`` is 404 or 403 as the decision says."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.code, decision.reason or "")
        self.status = decision.status  # type: ignore[misc]
        self.decision = decision


@dataclass
class AuditNote:
    """What the work wants written in its audit entry."""

    case_id: str | None = None
    item_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    index: int | None = None  # filled in after the entry is appended


def record_denial(
    vault: Any,
    actor: Actor,
    request: RequestInfo,
    action: str,
    *,
    reason: str,
    case_id: str | None = None,
    item_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    with session_scope(vault.engine) as session:
        vault.trail.record(
            session,
            actor=actor,
            action=action,
            request=request,
            case_id=case_id,
            item_id=item_id,
            result="denied",
            reason=reason,
            details=details,
        )


_MAX_SAFE_INT = 2**53 - 1  # audit entries hold only integers that survive JSON (RFC 8785)


def deny(
    vault: Any, actor: Actor, request: RequestInfo, action: str, decision: Decision
) -> NoReturn:
    """Record a policy refusal in its own transaction, then raise it (404 or 403)."""
    record_denial(
        vault,
        actor,
        request,
        action,
        reason=decision.reason or "denied",
        case_id=decision.case_id,
        item_id=decision.item_id,
    )
    raise Denied(decision)


def _json_safe(value: Any) -> Any:
    """``value`` with integers outside the JSON safe range written as strings, so a request
    naming a huge number (``?end=2**60``) is still recorded instead of failing the entry."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_SAFE_INT else str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return str(value)


def run(
    vault: Any,
    actor: Actor,
    request: RequestInfo,
    action: str,
    work: Callable[[Session, AuditNote], T],
    *,
    case_id: str | None = None,
    item_id: str | None = None,
    record_first: bool = False,
    details: dict[str, Any] | None = None,
) -> T:
    """Decide, then run ``work`` and record its entry in one transaction.  With
    ``record_first`` the entry is appended before ``work`` runs, so that ``work`` can include
    it (a custody report lists its own production)."""
    note = AuditNote(case_id=case_id, item_id=item_id, details=dict(details or {}))
    decision: Decision | None = None

    def record(session: Session, **outcome: Any) -> int:
        index: int = vault.trail.record(
            session,
            actor=actor,
            action=action,
            request=request,
            case_id=note.case_id,
            item_id=note.item_id,
            **outcome,
        )
        return index

    try:
        with session_scope(vault.engine) as session:
            decision = decide(session, actor, action, case_id=case_id, item_id=item_id)
            if decision.allowed:
                note.case_id = note.case_id or decision.case_id
                if record_first:
                    note.index = record(session, details=_json_safe(note.details))
                    return work(session, note)
                result = work(session, note)
                note.index = record(session, details=_json_safe(note.details))
                return result
    except Exception as exc:
        if decision is None or not decision.allowed:
            raise
        # Allowed, but the work failed (unknown size, conflict, bad input, storage...): its
        # transaction is rolled back, and the attempt is still recorded, once, in a fresh one.
        code = getattr(exc, "code", None)
        reason = code if isinstance(code, str) else "internal.error"
        with session_scope(vault.engine) as session:
            record(session, reason=reason, details=_json_safe({**note.details, "failed": reason}))
        raise
    deny(vault, actor, request, action, decision)
