"""Unit tests of the one policy table and ``decide()``: every rule, every reason code, and a
check that every action the routes and services ask about has a rule."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from vault_testing import TestMember

from vault.actors import Actor
from vault.context import Vault
from vault.db import session_scope
from vault.models import Item
from vault.policy import ALL_ROLES, RULES, Decision, decide

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("investigator", "lawyer", "auditor", "admin")

# Written from API.md, independently of vault/policy.py.
EXPECTED_ROLES = {
    "member.create": {"admin"},
    "device.register": set(ROLES),
    "case.create": {"admin"},
    "case.list": set(ROLES),
    "case.read": set(ROLES),
    "case.member.add": {"admin"},
    "case.key.read": set(ROLES),
    "case.key.put": set(ROLES),
    "item.upload": {"investigator"},
    "item.list": {"investigator", "lawyer"},
    "item.read": {"lawyer"},
    "item.content": {"lawyer"},
    "item.custody": {"lawyer"},
    "log.checkpoint": set(ROLES),
    "log.entries": {"auditor"},
    "log.proof.inclusion": {"auditor", "lawyer"},
    "log.proof.consistency": {"auditor"},
}
ADMIN_ANY_CASE = {"case.read", "case.member.add"}


def test_the_table_says_what_the_api_documents() -> None:
    assert set(ROLES) == ALL_ROLES
    assert set(RULES) >= set(EXPECTED_ROLES)
    for action, roles in EXPECTED_ROLES.items():
        assert set(RULES[action].roles) == roles, action
    assert {a for a, r in RULES.items() if r.admin_any_case} == ADMIN_ANY_CASE
    assert not any(r.admin_any_case for r in RULES.values() if r.scope == "item"), (
        "no admin override on items: admins never read content"
    )


class World:
    def __init__(
        self, vault: Vault, make_member: Callable[..., TestMember], make_case: Callable[..., str]
    ) -> None:
        self.vault = vault
        self.members = {role: make_member(role) for role in ROLES}
        self.stranger = {role: make_member(role, f"stranger-{role}") for role in ROLES}
        self.case = make_case(*self.members.values())
        self.other_case = make_case(*self.stranger.values(), title="OTHER")
        self.item = str(uuid.uuid4())
        with session_scope(vault.engine) as session:
            session.add(
                Item(
                    id=self.item,
                    case_id=self.case,
                    kind="media",
                    mode="server_sealed",
                    media_type="image/png",
                    size=1,
                    plaintext_sha256="0" * 64,
                    ciphertext_sha256="1" * 64,
                    ciphertext_size=200,
                    object_key=f"items/{self.item}",
                    received_at=datetime.now(UTC),
                    uploader_id=self.members["investigator"].id,
                    log_index=0,
                )
            )

    def decide(self, who: TestMember | Actor, action: str, **subject: str | None) -> Decision:
        actor = who if isinstance(who, Actor) else Actor(who.id, who.role, who.role)
        with session_scope(self.vault.engine) as session:
            return decide(session, actor, action, **subject)


@pytest.fixture
def world(
    vault: Vault, make_member: Callable[..., TestMember], make_case: Callable[..., str]
) -> World:
    return World(vault, make_member, make_case)


@pytest.mark.parametrize("action", sorted(EXPECTED_ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_each_rule_for_a_member_of_the_case(world: World, action: str, role: str) -> None:
    rule = RULES[action]
    subject = {"global": {}, "case": {"case_id": world.case}, "item": {"item_id": world.item}}
    d = world.decide(world.members[role], action, **subject[rule.scope])
    if role in EXPECTED_ROLES[action]:
        assert d == Decision(
            True,
            case_id=world.case if rule.scope != "global" else None,
            item_id=world.item if rule.scope == "item" else None,
        )
    else:
        assert (d.allowed, d.reason, d.status, d.code) == (False, "role", 403, "access.denied")


@pytest.mark.parametrize("action", sorted(a for a in EXPECTED_ROLES if RULES[a].scope == "case"))
@pytest.mark.parametrize("role", ROLES)
def test_outside_ones_cases_is_404_not_member(world: World, action: str, role: str) -> None:
    d = world.decide(world.members[role], action, case_id=world.other_case)
    if role == "admin" and action in ADMIN_ANY_CASE:
        assert d.allowed and d.case_id == world.other_case
    else:
        assert (d.allowed, d.reason, d.status, d.code) == (
            False,
            "not_member",
            404,
            "case.not_found",
        )


@pytest.mark.parametrize("action", sorted(a for a in EXPECTED_ROLES if RULES[a].scope == "case"))
@pytest.mark.parametrize("case_id", [None, "", "no-such-case"])
def test_unknown_case_is_404_no_such_case_even_for_admins(
    world: World, action: str, case_id: str | None
) -> None:
    for role in ROLES:
        d = world.decide(world.members[role], action, case_id=case_id)
        assert (d.allowed, d.reason, d.status, d.code) == (
            False,
            "no_such_case",
            404,
            "case.not_found",
        )


@pytest.mark.parametrize("action", sorted(a for a in EXPECTED_ROLES if RULES[a].scope == "item"))
@pytest.mark.parametrize("role", ROLES)
def test_item_rules(world: World, action: str, role: str) -> None:
    stranger = world.decide(world.stranger[role], action, item_id=world.item)
    assert (stranger.allowed, stranger.reason, stranger.status, stranger.code) == (
        False,
        "not_member",
        404,
        "item.not_found",
    )
    for item_id in (None, "", str(uuid.uuid4())):
        d = world.decide(world.members[role], action, item_id=item_id)
        assert (d.allowed, d.reason, d.status, d.code) == (
            False,
            "no_such_item",
            404,
            "item.not_found",
        )


def test_item_scope_ignores_a_case_id_passed_alongside(world: World) -> None:
    """The item's own case decides, not a case id the caller might name."""
    d = world.decide(
        world.stranger["lawyer"], "item.read", item_id=world.item, case_id=world.other_case
    )
    assert (d.allowed, d.reason) == (False, "not_member")
    d = world.decide(
        world.members["lawyer"], "item.read", item_id=world.item, case_id=world.other_case
    )
    assert d.allowed and d.case_id == world.case


@pytest.mark.parametrize("action", sorted(EXPECTED_ROLES))
@pytest.mark.parametrize("actor", [Actor.anonymous(), Actor.operator(), Actor("ghost", "root")])
def test_actors_without_a_member_role_are_never_allowed(
    world: World, action: str, actor: Actor
) -> None:
    rule = RULES[action]
    subject = {"global": {}, "case": {"case_id": world.case}, "item": {"item_id": world.item}}
    assert not world.decide(actor, action, **subject[rule.scope]).allowed


def test_an_unknown_action_fails_loudly(world: World) -> None:
    with pytest.raises(KeyError):
        world.decide(world.members["admin"], "case.delete")


def _actions_in_source() -> dict[str, list[str]]:
    """Every literal action passed to ``run(vault, actor, info, ACTION, …)`` (directly or via
    ``run_in_threadpool(run, …)``) or ``decide(session, actor, ACTION, …)`` in api/ and
    vault/services, with module-level ``ACTION = "…"`` constants resolved."""
    found: dict[str, list[str]] = {}
    files = [*(ROOT / "api" / "routes").glob("*.py"), *(ROOT / "vault" / "services").glob("*.py")]
    assert files
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
            for t in n.targets
            if isinstance(t, ast.Name) and isinstance(n.value.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            args = node.args
            if name == "run_in_threadpool" and args and getattr(args[0], "id", None) == "run":
                name, args = "run", args[1:]
            position = {"run": 3, "decide": 2}.get(name or "")
            if position is None or len(args) <= position:
                continue
            arg = args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                action = arg.value
            elif isinstance(arg, ast.Name) and arg.id in constants:
                action = constants[arg.id]
            else:
                continue
            found.setdefault(action, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_action_the_code_asks_about_has_a_rule() -> None:
    found = _actions_in_source()
    assert {"case.create", "item.upload", "log.entries"} <= set(found), "the parser finds calls"
    missing = {a: where for a, where in found.items() if a not in RULES}
    assert not missing, f"actions without a policy rule: {missing}"
