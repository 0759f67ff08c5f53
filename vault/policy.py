"""The access policy: one table, one function, every decision explained by a reason code.

Investigators upload to their cases and list their own uploads but cannot download content;
lawyers read everything in their cases; auditors read the log and proofs, never content;
admins manage members and cases but cannot read content.  Anything about a case the caller
is not a member of answers 404, never 403, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from vault.actors import Actor
from vault.models import Case, CaseMember, Item

ALL_ROLES = frozenset({"investigator", "lawyer", "auditor", "admin"})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: str  # "global" | "case" | "item"
    # Admins manage every case without being a member of it (metadata only, never content).
    admin_any_case: bool = False


RULES: dict[str, Rule] = {
    "member.create": Rule(frozenset({"admin"}), "global"),
    "device.register": Rule(ALL_ROLES, "global"),
    "case.create": Rule(frozenset({"admin"}), "global"),
    "case.list": Rule(ALL_ROLES, "global"),
    "case.read": Rule(ALL_ROLES, "case", admin_any_case=True),
    "case.member.add": Rule(frozenset({"admin"}), "case", admin_any_case=True),
    "case.key.read": Rule(ALL_ROLES, "case"),
    "case.key.put": Rule(ALL_ROLES, "case"),
    "item.upload": Rule(frozenset({"investigator"}), "case"),
    "item.list": Rule(frozenset({"investigator", "lawyer"}), "case"),
    "item.read": Rule(frozenset({"lawyer"}), "item"),
    "item.content": Rule(frozenset({"lawyer"}), "item"),
    "item.custody": Rule(frozenset({"lawyer"}), "item"),
    "log.checkpoint": Rule(ALL_ROLES, "global"),
    "log.entries": Rule(frozenset({"auditor"}), "global"),
    "log.proof.inclusion": Rule(frozenset({"auditor", "lawyer"}), "global"),
    "log.proof.consistency": Rule(frozenset({"auditor"}), "global"),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None = None  # a reason code for denials, e.g. "not_member"
    status: int = 200  # 404 (not found / not yours) or 403 (yours, but not your role)
    code: str | None = None  # the error code answered to the client
    case_id: str | None = None
    item_id: str | None = None


def is_member(session: Session, case_id: str, member_id: str | None) -> bool:
    return member_id is not None and session.get(CaseMember, (case_id, member_id)) is not None


def decide(
    session: Session,
    actor: Actor,
    action: str,
    *,
    case_id: str | None = None,
    item_id: str | None = None,
) -> Decision:
    rule = RULES[action]  # KeyError = a route without a policy entry: a bug, loudly
    role = actor.role or ""
    if rule.scope == "global":
        if role in rule.roles:
            return Decision(True)
        return Decision(False, "role", 403, "access.denied")

    if rule.scope == "item":
        item = session.get(Item, item_id) if item_id else None
        if item is None:
            return Decision(False, "no_such_item", 404, "item.not_found", item_id=item_id)
        case_id = item.case_id
        not_found = "item.not_found"
    else:
        not_found = "case.not_found"
    case = session.get(Case, case_id) if case_id else None
    member = case is not None and is_member(session, case.id, actor.member_id)
    admin_ok = rule.admin_any_case and role == "admin" and case is not None
    if case is None or not (member or admin_ok):
        reason = "no_such_case" if case is None else "not_member"
        return Decision(False, reason, 404, not_found, case_id=case_id, item_id=item_id)
    if role not in rule.roles:
        return Decision(False, "role", 403, "access.denied", case_id=case_id, item_id=item_id)
    return Decision(True, case_id=case_id, item_id=item_id)
