"""Bearer tokens at the HTTP edge: every kind of bad token answers 401 with its stable code
and one ``auth.failed`` entry; repeated failures from one address answer 429 with
Retry-After (also audited) without locking out other addresses; tokens are stored hashed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from vault_testing import TestMember, log_size

from api.app import create_app
from audit.entry import AuditEntry
from vault import tokens
from vault.clock import now
from vault.context import Vault
from vault.db import session_scope
from vault.models import Token
from vault.services import members as member_service
from vault.settings import Settings


def _entry(vault: Vault, index: int) -> AuditEntry:
    with session_scope(vault.engine) as session:
        return AuditEntry.parse(vault.trail.log(session).entries(index, index + 1)[0])


def _token_id(member: TestMember) -> str:
    parsed = tokens.parse(member.token)
    assert parsed is not None
    return parsed[0]


def _secret(text: str) -> str:
    """The secret part (base64url: it may itself contain "_")."""
    parsed = tokens.parse(text)
    assert parsed is not None
    return parsed[1]


def _expire(vault: Vault, member: TestMember) -> None:
    with session_scope(vault.engine) as session:
        token = session.get(Token, _token_id(member))
        assert token is not None
        token.expires_at = now() - timedelta(seconds=1)
        session.add(token)


def _revoke(vault: Vault, member: TestMember) -> None:
    with session_scope(vault.engine) as session:
        member_service.revoke_token(session, _token_id(member))


def _flip_secret(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


CASES: dict[str, tuple[Callable[[Vault, TestMember], str | None], str]] = {
    "missing": (lambda v, m: None, "auth.required"),
    "empty-bearer": (lambda v, m: "Bearer ", "auth.invalid"),
    "wrong-scheme": (lambda v, m: f"Basic {m.token}", "auth.invalid"),
    "token-without-scheme": (lambda v, m: m.token, "auth.invalid"),
    "malformed": (lambda v, m: "Bearer vault_short_x", "auth.invalid"),
    "not-ours": (lambda v, m: "Bearer eyJhbGciOiJub25lIn0.e30.", "auth.invalid"),
    "wrong-secret": (lambda v, m: f"Bearer {_flip_secret(m.token)}", "auth.invalid"),
    "unknown-id": (
        lambda v, m: f"Bearer {tokens.PREFIX}{'a' * 16}_{_secret(m.token)}",
        "auth.invalid",
    ),
    "other-members-secret": (
        lambda v, m: "Bearer " + tokens.issue().text,
        "auth.invalid",
    ),
    "expired": (lambda v, m: (_expire(v, m), f"Bearer {m.token}")[1], "auth.expired"),
    "revoked": (lambda v, m: (_revoke(v, m), f"Bearer {m.token}")[1], "auth.revoked"),
    "revoked-and-expired": (
        lambda v, m: (_revoke(v, m), _expire(v, m), f"Bearer {m.token}")[2],
        "auth.revoked",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_tokens_get_401_with_a_stable_code_and_one_audit_entry(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember], case: str
) -> None:
    member = make_member("lawyer")
    make_header, code = CASES[case]
    header = make_header(vault, member)
    before = log_size(vault)
    r = client.get("/v1/cases", headers={"Authorization": header} if header is not None else {})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == code
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="vault"'
    assert log_size(vault) == before + 1
    entry = _entry(vault, before)
    assert (entry.action, entry.outcome.result, entry.outcome.reason) == (
        "auth.failed",
        "denied",
        code,
    )
    assert entry.actor.id is None
    assert member.token not in r.text


def test_the_good_token_works_and_is_audited_as_the_member(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    member = make_member("lawyer")
    before = log_size(vault)
    r = client.get("/v1/cases", headers={"Authorization": f"bearer  {member.token}"})
    assert r.status_code == 200, "the scheme is case-insensitive (RFC 9110 §11.1)"
    assert _entry(vault, before).actor.id == member.id


def test_a_disabled_member_cannot_authenticate(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    from vault.models import Member

    member = make_member("admin")
    with session_scope(vault.engine) as session:
        row = session.get(Member, member.id)
        assert row is not None
        row.disabled = True
        session.add(row)
    r = client.get("/v1/cases", headers=member.headers)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "auth.invalid")


@pytest.fixture
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Vault, TestClient]]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("limited") / "vault-data",
        auth_failures_per_window=3,
        auth_failure_window_seconds=120,
    )
    vault = Vault.open(settings)
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as c:
        yield vault, c
    vault.close()


def _member(vault: Vault, role: str) -> str:
    with session_scope(vault.engine) as session:
        _, issued = member_service.create_member(
            session, name=role, role=role, recipient=None, token_ttl_days=1
        )
    return issued.text


def test_rate_limit_after_n_failures_per_address(limited: tuple[Vault, TestClient]) -> None:
    vault, client = limited
    good = _member(vault, "lawyer")
    bad = {"Authorization": "Bearer vault_nope"}
    for _ in range(3):
        assert client.get("/v1/cases", headers=bad).status_code == 401
    before = log_size(vault)
    r = client.get("/v1/cases", headers=bad)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "auth.rate_limited"
    assert r.headers["Retry-After"] == "120"
    assert log_size(vault) == before + 1
    entry = _entry(vault, before)
    assert (entry.action, entry.outcome.result, entry.outcome.reason) == (
        "auth.rate_limited",
        "denied",
        "rate_limited",
    )
    # Even a correct token from the limited address waits: otherwise guessing would be free.
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {good}"}).status_code == 429

    # Another address is not affected: the limit is per client address.
    with TestClient(
        client.app, client=("198.51.100.7", 50000), raise_server_exceptions=False
    ) as other:
        r = other.get("/v1/cases", headers={"Authorization": f"Bearer {good}"})
        assert r.status_code == 200, r.text
        assert other.get("/v1/cases", headers=bad).status_code == 401


def test_tokens_are_stored_only_hashed(
    vault: Vault, client: TestClient, make_member: Callable[..., TestMember]
) -> None:
    admin = make_member("admin")
    r = client.post("/v1/members", json={"name": "Léa", "role": "lawyer"}, headers=admin.headers)
    assert r.status_code == 201
    issued = [admin.token, r.json()["token"]]
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {issued[1]}"}).is_success
    vault.close()  # checkpoint the WAL into the file, and let us read every byte
    data_dir = vault.settings.data_dir
    blobs = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for text in issued:
        secret = _secret(text)
        assert text.encode() not in blobs
        assert secret.encode() not in blobs
        assert tokens._digest(secret).encode() in blobs  # the hash is what is kept
