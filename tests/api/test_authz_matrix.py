"""The authorization matrix: every /v1 route × every role × own / other / missing case.

The routes come from the application's route table, so a route added without a request
builder and an expectation here fails loudly (``test_every_route_has_a_spec`` and the
``<route>-unknown`` cases).  Expectations are written from docs (API.md: who may do what;
"outside your cases: 404, never 403"), not computed by ``vault.policy.decide``, which would
only test the policy against itself.  Every request must append exactly one audit entry,
with the right action, outcome, actor and subject.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from vault_testing import TestMember, log_size

from api.app import create_app
from audit.entry import AuditEntry
from crypto.age import X25519Identity, X25519Recipient, encrypt
from crypto.signing import SigningKey
from vault import statements
from vault.context import Vault
from vault.db import session_scope
from vault.services import cases as case_service
from vault.services import members as member_service
from vault.services.access import AuditNote
from vault.settings import Settings

ROLES = ("investigator", "lawyer", "auditor", "admin")
# Public by design: the log's verifier key, and tus discovery (OPTIONS answers before auth).
PUBLIC_ROUTES = {"GET /v1/log/key", "OPTIONS /v1/uploads"}
TUS = {"Tus-Resumable": "1.0.0"}


def _app_routes() -> list[str]:
    """``METHOD path`` of every APIRoute under /v1 of a real app, public ones excepted."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="test", data_dir=Path(tmp) / "v", log_json=True)
        vault = Vault.open(settings)
        try:
            app = create_app(vault=vault)
            keys = sorted(
                f"{method} {path}"
                for path, methods in api_routes(app)
                if path.startswith("/v1/")
                for method in sorted(methods)
            )
        finally:
            vault.close()
    return [k for k in keys if k not in PUBLIC_ROUTES]


def api_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every APIRoute.  FastAPI ≥ 0.16x keeps included routers as
    ``_IncludedRouter`` entries in ``app.routes``; ``iter_route_contexts`` flattens them with
    their prefixes.  Older versions list the APIRoutes themselves."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        return [(r.path, set(r.methods)) for r in app.routes if isinstance(r, APIRoute)]
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path:
            found.append((context.path, set(context.methods or ())))
    return found


ROUTES = _app_routes()


# --- the world every matrix request runs in ------------------------------------------------


@dataclass
class World:
    vault: Vault
    client: TestClient
    members: dict[str, TestMember]  # role -> member of case A
    case_a: str
    case_b: str
    item_a: str
    item_b: str
    newcomer_a: TestMember  # in case A, no sealed key yet
    newcomer_b: TestMember  # in case B, no sealed key yet
    outsider: TestMember  # in no case
    device_key: SigningKey
    device_id: str  # the investigator's device
    inv_b: TestMember
    device_b: tuple[SigningKey, str]
    extra: dict[str, Any] = field(default_factory=dict)

    def case(self, where: str) -> str:
        return {"own": self.case_a, "other": self.case_b, "missing": str(uuid.uuid4())}[where]

    def item(self, where: str) -> str:
        return {"own": self.item_a, "other": self.item_b, "missing": str(uuid.uuid4())}[where]

    def newcomer(self, where: str) -> TestMember:
        return self.newcomer_a if where == "own" else self.newcomer_b


def _upload(client: TestClient, who: TestMember, case_id: str, data: bytes) -> str:
    r = client.post(
        f"/v1/cases/{case_id}/items",
        content=data,
        headers={**who.headers, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["item_id"])


@pytest.fixture
def world(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> World:
    own = {role: make_member(role, f"{role}-a") for role in ROLES}
    inv_b, lawyer_b = make_member("investigator", "inv-b"), make_member("lawyer", "lawyer-b")
    case_a = make_case(*own.values(), title="CASE-A")
    case_b = make_case(inv_b, lawyer_b, title="CASE-B")
    newcomer_a, newcomer_b = make_member("lawyer", "new-a"), make_member("lawyer", "new-b")
    outsider = make_member("lawyer", "outsider")
    device_key = SigningKey.generate()
    with session_scope(vault.engine) as session:
        for case_id, newcomer in ((case_a, newcomer_a), (case_b, newcomer_b)):
            case_service.add_member(session, AuditNote(), case_id, newcomer.id)
        device = member_service.register_device(
            session,
            member_id=own["investigator"].id,
            public_key=device_key.public_key.to_base64(),
            label="phone",
        )
        key_b = SigningKey.generate()
        device_b = member_service.register_device(
            session, member_id=inv_b.id, public_key=key_b.public_key.to_base64(), label="b"
        )
    item_a = _upload(client, own["investigator"], case_a, b"evidence of case A")
    item_b = _upload(client, inv_b, case_b, b"evidence of case B")
    return World(
        vault,
        client,
        own,
        case_a,
        case_b,
        item_a,
        item_b,
        newcomer_a,
        newcomer_b,
        outsider,
        device_key,
        device.id,
        inv_b,
        (key_b, device_b.id),
    )


# --- request builders and expectations ------------------------------------------------------


@dataclass
class Req:
    method: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    case: str | None = None  # the case named, when the path does not carry it


@dataclass(frozen=True)
class Spec:
    """One route: its audit action, what it is scoped to, who may call it (API.md), the
    status of success, and whether an admin may act on a case they are not a member of."""

    action: str
    scope: str  # "global" | "case" | "item" | "upload" (a tus upload, private to its opener)
    roles: frozenset[str]
    ok: int
    build: Callable[[World, str], Req]
    admin_any_case: bool = False


def _statement(w: World, case_id: str, key: SigningKey, device_id: str) -> tuple[str, bytes]:
    recipient = X25519Identity.generate().recipient
    body = encrypt(b"client-sealed evidence", [recipient])
    fields = {
        "v": 1,
        "case_id": case_id,
        "item_id": str(uuid.uuid4()),
        "plaintext_sha256": hashlib.sha256(b"client-sealed evidence").hexdigest(),
        "size": 22,
        "media_type": "image/jpeg",
        "captured_at": "2026-01-02T03:04:05Z",
        "device_id": device_id,
    }
    return statements.make(fields, key), body


def _tus_create(w: World, where: str) -> Req:
    case_id = w.case(where)
    header, body = _statement(w, case_id, w.device_key, w.device_id)
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("case_id", case_id), ("statement", header))
    )
    return Req(
        "POST",
        "/v1/uploads",
        {"headers": {**TUS, "Upload-Length": str(len(body)), "Upload-Metadata": meta}},
        case=case_id,
    )


def _tus_upload(w: World, where: str) -> tuple[str, bytes]:
    """An open upload: ``own`` is the investigator of case A's, ``other`` the investigator of
    case B's; ``missing`` never existed.  Created through the API, before measuring."""
    if where == "missing":
        return str(uuid.uuid4()), b""
    if where in w.extra:
        return w.extra[where]  # type: ignore[no-any-return]
    who, case_id, (key, device_id) = (
        (w.members["investigator"], w.case_a, (w.device_key, w.device_id))
        if where == "own"
        else (w.inv_b, w.case_b, w.device_b)
    )
    header, body = _statement(w, case_id, key, device_id)
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("case_id", case_id), ("statement", header))
    )
    r = w.client.post(
        "/v1/uploads",
        headers={**who.headers, **TUS, "Upload-Length": str(len(body)), "Upload-Metadata": meta},
    )
    assert r.status_code == 201, r.text
    w.extra[where] = (r.headers["Location"].rsplit("/", 1)[1], body)
    return w.extra[where]  # type: ignore[no-any-return]


def _tus_patch(w: World, where: str) -> Req:
    upload_id, body = _tus_upload(w, where)
    return Req(
        "PATCH",
        f"/v1/uploads/{upload_id}",
        {
            "content": body[:10],
            "headers": {
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        },
    )


def _tus_receipt(w: World, where: str) -> Req:
    upload_id, body = _tus_upload(w, where)
    if where != "missing":  # complete it first, as its opener
        opener = w.members["investigator"] if where == "own" else w.inv_b
        r = w.client.patch(
            f"/v1/uploads/{upload_id}",
            content=body,
            headers={
                **opener.headers,
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert r.status_code == 200, r.text
    return Req("GET", f"/v1/uploads/{upload_id}/receipt", {"headers": TUS})


def _sealed_upload(w: World, where: str) -> Req:
    case_id = w.case(where)
    header, body = _statement(w, case_id, w.device_key, w.device_id)
    return Req(
        "POST",
        f"/v1/cases/{case_id}/items/sealed",
        {"content": body, "headers": {"Vault-Statement": header}},
    )


def _put_key(w: World, where: str) -> Req:
    newcomer = w.newcomer(where)
    assert newcomer.recipient is not None
    sealed = encrypt(
        b"AGE-SECRET-KEY-1 (a case key, re-sealed)\n", [X25519Recipient.parse(newcomer.recipient)]
    )
    return Req("PUT", f"/v1/cases/{w.case(where)}/key/{newcomer.id}", {"content": sealed})


ALL = frozenset(ROLES)
SPECS: dict[str, Spec] = {
    "POST /v1/members": Spec(
        "member.create",
        "global",
        frozenset({"admin"}),
        201,
        lambda w, _: Req("POST", "/v1/members", {"json": {"name": "New", "role": "lawyer"}}),
    ),
    "POST /v1/devices": Spec(
        "device.register",
        "global",
        ALL,
        201,
        lambda w, _: Req(
            "POST",
            "/v1/devices",
            {"json": {"public_key": SigningKey.generate().public_key.to_base64()}},
        ),
    ),
    "POST /v1/cases": Spec(
        "case.create",
        "global",
        frozenset({"admin"}),
        201,
        lambda w, _: Req("POST", "/v1/cases", {"json": {"title": "CASE-C", "members": []}}),
    ),
    "GET /v1/cases": Spec("case.list", "global", ALL, 200, lambda w, _: Req("GET", "/v1/cases")),
    "GET /v1/cases/{case_id}": Spec(
        "case.read",
        "case",
        ALL,
        200,
        lambda w, where: Req("GET", f"/v1/cases/{w.case(where)}"),
        admin_any_case=True,
    ),
    "POST /v1/cases/{case_id}/members": Spec(
        "case.member.add",
        "case",
        frozenset({"admin"}),
        201,
        lambda w, where: Req(
            "POST", f"/v1/cases/{w.case(where)}/members", {"json": {"member_id": w.outsider.id}}
        ),
        admin_any_case=True,
    ),
    "GET /v1/cases/{case_id}/key": Spec(
        "case.key.read",
        "case",
        ALL,
        200,
        lambda w, where: Req("GET", f"/v1/cases/{w.case(where)}/key"),
    ),
    "PUT /v1/cases/{case_id}/key/{member_id}": Spec("case.key.put", "case", ALL, 204, _put_key),
    "POST /v1/cases/{case_id}/items": Spec(
        "item.upload",
        "case",
        frozenset({"investigator"}),
        201,
        lambda w, where: Req(
            "POST",
            f"/v1/cases/{w.case(where)}/items",
            {"content": b"new evidence", "headers": {"Content-Type": "image/png"}},
        ),
    ),
    "POST /v1/cases/{case_id}/items/sealed": Spec(
        "item.upload", "case", frozenset({"investigator"}), 201, _sealed_upload
    ),
    "POST /v1/cases/{case_id}/testimonies": Spec(
        "item.upload",
        "case",
        frozenset({"investigator"}),
        201,
        lambda w, where: Req(
            "POST",
            f"/v1/cases/{w.case(where)}/testimonies",
            {"json": {"statement": "I saw it.", "language": "fr"}},
        ),
    ),
    "GET /v1/cases/{case_id}/items": Spec(
        "item.list",
        "case",
        frozenset({"investigator", "lawyer"}),
        200,
        lambda w, where: Req("GET", f"/v1/cases/{w.case(where)}/items"),
    ),
    "GET /v1/items/{item_id}": Spec(
        "item.read",
        "item",
        frozenset({"lawyer"}),
        200,
        lambda w, where: Req("GET", f"/v1/items/{w.item(where)}"),
    ),
    "GET /v1/items/{item_id}/content": Spec(
        "item.content",
        "item",
        frozenset({"lawyer"}),
        200,
        lambda w, where: Req("GET", f"/v1/items/{w.item(where)}/content"),
    ),
    "GET /v1/items/{item_id}/custody": Spec(
        "item.custody",
        "item",
        frozenset({"lawyer"}),
        200,
        lambda w, where: Req(
            "GET", f"/v1/items/{w.item(where)}/custody", {"headers": {"Accept": "application/json"}}
        ),
    ),
    "POST /v1/uploads": Spec("item.upload", "case", frozenset({"investigator"}), 201, _tus_create),
    "HEAD /v1/uploads/{upload_id}": Spec(
        "item.upload",
        "upload",
        frozenset({"investigator"}),
        200,
        lambda w, where: Req("HEAD", f"/v1/uploads/{_tus_upload(w, where)[0]}", {"headers": TUS}),
    ),
    "PATCH /v1/uploads/{upload_id}": Spec(
        "item.upload", "upload", frozenset({"investigator"}), 204, _tus_patch
    ),
    "DELETE /v1/uploads/{upload_id}": Spec(
        "item.upload",
        "upload",
        frozenset({"investigator"}),
        204,
        lambda w, where: Req("DELETE", f"/v1/uploads/{_tus_upload(w, where)[0]}", {"headers": TUS}),
    ),
    "GET /v1/uploads/{upload_id}/receipt": Spec(
        "item.upload", "upload", frozenset({"investigator"}), 200, _tus_receipt
    ),
    "GET /v1/log/checkpoint": Spec(
        "log.checkpoint", "global", ALL, 200, lambda w, _: Req("GET", "/v1/log/checkpoint")
    ),
    "GET /v1/log/entries": Spec(
        "log.entries",
        "global",
        frozenset({"auditor"}),
        200,
        lambda w, _: Req("GET", "/v1/log/entries", {"params": {"start": 0, "end": 2}}),
    ),
    "GET /v1/log/proof/inclusion": Spec(
        "log.proof.inclusion",
        "global",
        frozenset({"auditor", "lawyer"}),
        200,
        lambda w, _: Req("GET", "/v1/log/proof/inclusion", {"params": {"index": 0}}),
    ),
    "GET /v1/log/proof/consistency": Spec(
        "log.proof.consistency",
        "global",
        frozenset({"auditor"}),
        200,
        lambda w, _: Req("GET", "/v1/log/proof/consistency", {"params": {"from": 1}}),
    ),
}


def expected_status(spec: Spec, role: str, where: str) -> int:
    """From API.md: the role table, and "outside your cases: 404, never 403"; admins manage
    (read, add members to) every existing case without being a member."""
    if spec.scope == "upload":
        # An upload is visible to the member who opened it and to nobody else.
        return spec.ok if where == "own" and role == "investigator" else 404
    if spec.scope == "global" or where == "own":
        return spec.ok if role in spec.roles else 403
    if where == "other" and spec.admin_any_case and role == "admin":
        return spec.ok if role in spec.roles else 403
    return 404


def _cases() -> list[Any]:
    params = []
    for key in ROUTES:
        spec = SPECS.get(key)
        if spec is None:
            params.append(pytest.param(key, "-", "-", id=f"{key}-unknown"))
            continue
        wheres = ("-",) if spec.scope == "global" else ("own", "other", "missing")
        params.extend(
            pytest.param(key, role, where, id=f"{key}-{role}-{where}")
            for role in ROLES
            for where in wheres
        )
    return params


def _entry_at(vault: Vault, index: int) -> AuditEntry:
    with session_scope(vault.engine) as session:
        return AuditEntry.parse(vault.trail.log(session).entries(index, index + 1)[0])


def _send(client: TestClient, req: Req, headers: dict[str, str]) -> Any:
    kwargs = dict(req.kwargs)
    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    return client.request(req.method, req.path, **kwargs)


def test_every_route_has_a_spec() -> None:
    missing = [k for k in ROUTES if k not in SPECS]
    stale = [k for k in SPECS if k not in ROUTES]
    assert not missing, (
        f"routes without a request builder / expectation in test_authz_matrix.SPECS: {missing}"
    )
    assert not stale, f"SPECS names routes the app no longer has: {stale}"


@pytest.mark.parametrize(("key", "role", "where"), _cases())
def test_matrix(world: World, key: str, role: str, where: str) -> None:
    spec = SPECS.get(key)
    if spec is None:
        pytest.fail(
            f"{key} has no request builder and expectation in tests/api/test_authz_matrix.py "
            "SPECS: every /v1 route must be in the authorization matrix"
        )
    who = world.members[role]
    req = spec.build(world, where)
    target_case = world.case_b if where == "other" else world.case_a
    if where != "-" and spec.scope == "case":
        # The builder's ids decide the subject; recover them for the audit check.
        target_case = req.case or req.path.split("/")[3]
    target_item = req.path.split("/")[3] if spec.scope == "item" else None
    want = expected_status(spec, role, where)

    before = log_size(world.vault)
    r = _send(world.client, req, who.headers)
    after = log_size(world.vault)

    assert r.status_code == want, f"{key} as {role} ({where}): {r.status_code} {r.text[:300]}"
    assert after == before + 1, f"{key} as {role} ({where}) appended {after - before} entries"
    entry = _entry_at(world.vault, before)
    assert entry.action == spec.action
    assert entry.actor.id == who.id and entry.actor.role == role
    assert entry.outcome.result == ("allowed" if want < 400 else "denied")
    if want >= 400:
        assert entry.outcome.reason, "a denial says why"
        code = r.json()["error"]["code"] if req.method != "HEAD" else None
        if want == 403:
            assert code == "access.denied"
        elif req.method != "HEAD":
            assert code == f"{spec.scope if spec.scope != 'global' else 'case'}.not_found"
    else:
        assert entry.outcome.reason is None

    if spec.scope == "upload":
        # Someone else's upload is never tied to a case in the log.
        assert entry.subject.case == (world.case_a if want < 400 else None)
    elif spec.scope == "case":
        assert entry.subject.case == target_case
    elif spec.scope == "item":
        assert entry.subject.item == target_item
        if where != "missing":
            assert entry.subject.case == (world.case_a if where == "own" else world.case_b)
    elif spec.action == "case.create" and want == 201:
        assert entry.subject.case == r.json()["id"]
    else:
        assert entry.subject == type(entry.subject)(None, None)
    if spec.action == "item.upload" and want == 201 and req.path != "/v1/uploads":
        assert entry.subject.item == r.json()["item_id"]


def test_matrix_denials_never_leak_content(world: World) -> None:
    """A 404 for another case's item looks exactly like a 404 for an item that never existed,
    whatever the role: same status, same body."""
    for role in ROLES:
        headers = world.members[role].headers
        for path in ("/v1/items/{}", "/v1/items/{}/content"):
            other = world.client.get(path.format(world.item_b), headers=headers)
            missing = world.client.get(path.format(uuid.uuid4()), headers=headers)
            assert other.status_code == missing.status_code == 404
            assert other.json() == missing.json()
        other = world.client.get(f"/v1/cases/{world.case_b}/items", headers=headers)
        missing = world.client.get(f"/v1/cases/{uuid.uuid4()}/items", headers=headers)
        assert other.status_code == missing.status_code == 404
        assert other.json() == missing.json()


@pytest.mark.parametrize("key", ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"],
    ids=["none", "garbage", "basic"],
)
def test_unauthenticated(world: World, key: str, authorization: str | None) -> None:
    spec = SPECS.get(key)
    if spec is None:
        pytest.fail(f"{key} has no request builder in tests/api/test_authz_matrix.py SPECS")
    req = spec.build(world, "own")
    headers = {"Authorization": authorization} if authorization else {}
    before = log_size(world.vault)
    r = _send(world.client, req, headers)
    after = log_size(world.vault)
    assert r.status_code == 401, r.text
    assert req.method == "HEAD" or r.json()["error"]["code"] == (
        "auth.required" if authorization is None else "auth.invalid"
    )
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert after == before + 1
    entry = _entry_at(world.vault, before)
    assert entry.action == "auth.failed"
    assert entry.outcome.result == "denied"
    assert entry.actor.id is None
    assert entry.subject == type(entry.subject)(None, None)


def test_public_log_key_needs_no_token_and_is_not_audited(world: World) -> None:
    before = log_size(world.vault)
    r = world.client.get("/v1/log/key")
    assert r.status_code == 200
    assert log_size(world.vault) == before
