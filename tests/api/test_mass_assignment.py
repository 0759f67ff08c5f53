"""Mass assignment: identity and ownership fields smuggled into JSON bodies are refused
(422) and never take effect.  The database is checked, not only the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from vault_testing import TestMember

from crypto.signing import SigningKey
from vault.context import Vault
from vault.db import session_scope
from vault.models import Case, CaseMember, Device, Item, Member

SMUGGLED: dict[str, Any] = {
    "role": "admin",
    "case_id": "c-smuggled",
    "owner": "m-smuggled",
    "uploader_id": "m-smuggled",
    "id": "00000000-0000-0000-0000-000000000000",
    "created_by": "m-smuggled",
    "member_id": "m-smuggled",
    "disabled": False,
}


def _rows(vault: Vault, model: Any) -> list[Any]:
    with session_scope(vault.engine) as session:
        return list(session.exec(select(model)))


def _assert_refused(r: Any, codes: tuple[str, ...] = ("request.invalid",)) -> None:
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in codes


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_post_cases(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    field: str,
) -> None:
    admin = make_member("admin")
    body = {"title": "MLI-1", "members": [], field: SMUGGLED[field]}
    _assert_refused(client.post("/v1/cases", json=body, headers=admin.headers))
    assert _rows(vault, Case) == []


@pytest.mark.parametrize("field", sorted(set(SMUGGLED) - {"role"}))
def test_post_members(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember], field: str
) -> None:
    admin = make_member("admin")
    body = {"name": "New", "role": "lawyer", field: SMUGGLED[field]}
    _assert_refused(client.post("/v1/members", json=body, headers=admin.headers))
    assert [m.id for m in _rows(vault, Member)] == [admin.id]


def test_post_members_cannot_be_self_promoted(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    """The role is a real field of member creation, but only an admin may create members:
    a lawyer naming role=admin gets 403 and nothing is created."""
    lawyer = make_member("lawyer")
    r = client.post(
        "/v1/members", json={"name": "Me again", "role": "admin"}, headers=lawyer.headers
    )
    assert r.status_code == 403
    assert [m.id for m in _rows(vault, Member)] == [lawyer.id]


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_post_case_members(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
    field: str,
) -> None:
    admin, newcomer = make_member("admin"), make_member("investigator")
    case_id = make_case(admin)
    body = {"member_id": newcomer.id, field: SMUGGLED[field]}
    if field == "member_id":
        body = {"member_id": newcomer.id, "members": [newcomer.id, admin.id]}
    r = client.post(f"/v1/cases/{case_id}/members", json=body, headers=admin.headers)
    _assert_refused(r)
    assert {(m.case_id, m.member_id) for m in _rows(vault, CaseMember)} == {(case_id, admin.id)}
    roles = {m.id: m.role for m in _rows(vault, Member)}
    assert roles[newcomer.id] == "investigator"


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_post_devices(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember], field: str
) -> None:
    investigator, other = make_member("investigator"), make_member("investigator")
    value = other.id if field in ("member_id", "owner") else SMUGGLED[field]
    body = {"public_key": SigningKey.generate().public_key.to_base64(), field: value}
    _assert_refused(client.post("/v1/devices", json=body, headers=investigator.headers))
    assert _rows(vault, Device) == []


def test_a_device_always_belongs_to_the_caller(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    investigator = make_member("investigator")
    body = {"public_key": SigningKey.generate().public_key.to_base64(), "label": "phone"}
    r = client.post("/v1/devices", json=body, headers=investigator.headers)
    assert r.status_code == 201
    assert [d.member_id for d in _rows(vault, Device)] == [investigator.id]


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_post_testimonies(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
    field: str,
) -> None:
    investigator, other = make_member("investigator"), make_member("investigator")
    case_id, other_case = make_case(investigator), make_case(other, title="OTHER")
    value = {"case_id": other_case, "uploader_id": other.id, "owner": other.id}.get(
        field, SMUGGLED[field]
    )
    body = {"statement": "I saw the convoy.", field: value}
    r = client.post(f"/v1/cases/{case_id}/testimonies", json=body, headers=investigator.headers)
    _assert_refused(r, ("testimony.invalid", "request.invalid"))
    assert _rows(vault, Item) == []


def test_testimony_lands_in_the_path_case_and_belongs_to_the_caller(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    investigator = make_member("investigator")
    case_id = make_case(investigator)
    r = client.post(
        f"/v1/cases/{case_id}/testimonies",
        json={"statement": "I saw the convoy."},
        headers=investigator.headers,
    )
    assert r.status_code == 201, r.text
    [item] = _rows(vault, Item)
    assert (item.case_id, item.uploader_id, item.kind) == (case_id, investigator.id, "testimony")
    assert item.id == r.json()["item_id"]


def test_case_creator_is_the_caller(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    admin = make_member("admin")
    r = client.post("/v1/cases", json={"title": "MLI-2"}, headers=admin.headers)
    assert r.status_code == 201
    [case] = _rows(vault, Case)
    assert (case.id, case.created_by) == (r.json()["id"], admin.id)
