"""No secret, content, filename or statement reaches a log line.

A realistic session runs against a real app whose structlog output is captured: members and
a case are created, media (raw and multipart, with a filename) and a testimony are uploaded
with a unique marker, an item is downloaded, and authentications fail.  Then every line must
be JSON, request-scoped lines must carry a ``request_id``, and none may contain any secret."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from crypto.age import X25519Identity
from vault.context import Vault
from vault.db import session_scope
from vault.logs import configure_logging
from vault.services import members as member_service
from vault.settings import Settings


@pytest.fixture
def captured(tmp_path: Path) -> Iterator[tuple[io.StringIO, Vault]]:
    stream = io.StringIO()
    settings = Settings(environment="test", data_dir=tmp_path / "vault-data", log_json=True)
    vault = Vault.open(settings)
    yield stream, vault
    vault.close()
    configure_logging(json=True)  # back to stderr for the tests that follow


def test_no_secret_reaches_the_log(captured: tuple[io.StringIO, Vault]) -> None:
    stream, vault = captured
    marker = f"MARKER-{uuid.uuid4().hex}"
    filename = f"witness-{uuid.uuid4().hex[:8]}.jpg"
    statement = f"The convoy stopped at the well {uuid.uuid4().hex}"
    app = create_app(vault=vault)
    configure_logging(json=True, level="debug", stream=stream)  # after create_app's own call
    identity = X25519Identity.generate()
    with session_scope(vault.engine) as session:
        _, admin_token = member_service.create_member(
            session, name="admin", role="admin", recipient=None, token_ttl_days=1
        )
    secrets = [admin_token.text, identity.encode(), vault.signing_key.to_text_unsafe()]
    admin = {"Authorization": f"Bearer {admin_token.text}"}

    with TestClient(app, raise_server_exceptions=False) as client:
        made = {}
        for role in ("investigator", "lawyer"):
            r = client.post(
                "/v1/members",
                json={"name": role, "role": role, "recipient": identity.recipient.encode()},
                headers=admin,
            )
            assert r.status_code == 201, r.text
            made[role] = {"Authorization": f"Bearer {r.json()['token']}"}
            secrets.append(r.json()["token"])
        r = client.post(
            "/v1/cases",
            json={"title": "MLI-2026-007", "members": [r.json()["id"]]},
            headers=admin,
        )
        case_id = r.json()["id"]
        investigator_id = client.post(
            "/v1/members", json={"name": "inv2", "role": "investigator"}, headers=admin
        ).json()
        secrets.append(investigator_id["token"])
        assert (
            client.post(
                f"/v1/cases/{case_id}/members",
                json={"member_id": investigator_id["id"]},
                headers=admin,
            ).status_code
            == 201
        )
        inv = {"Authorization": f"Bearer {investigator_id['token']}"}
        raw = client.post(
            f"/v1/cases/{case_id}/items",
            content=f"raw {marker}".encode(),
            headers={**inv, "Content-Type": "text/plain", "Vault-Filename": filename},
        )
        assert raw.status_code == 201, raw.text
        multi = client.post(
            f"/v1/cases/{case_id}/items",
            files={"file": (filename, f"multipart {marker}".encode(), "image/jpeg")},
            headers=inv,
        )
        assert multi.status_code == 201, multi.text
        testimony = client.post(
            f"/v1/cases/{case_id}/testimonies",
            json={"statement": statement, "notes": marker, "interview_place": marker},
            headers=inv,
        )
        assert testimony.status_code == 201, testimony.text
        lawyer = made["lawyer"]
        item_id = raw.json()["item_id"]
        assert client.get(f"/v1/items/{item_id}/content", headers=lawyer).status_code == 200
        assert client.get(f"/v1/items/{item_id}", headers=lawyer).status_code == 200
        key = client.get(f"/v1/cases/{case_id}/key", headers=lawyer)
        assert key.status_code == 200
        # Failures: a wrong secret for a real token, a foreign token, a crash-free 404.
        bad = admin_token.text[:-1] + ("A" if admin_token.text[-1] != "A" else "B")
        secrets.append(bad)
        for header in (f"Bearer {bad}", f"Basic {admin_token.text}", f"Bearer {marker}"):
            assert client.get("/v1/cases", headers={"Authorization": header}).status_code == 401
        assert client.get(f"/v1/items/{uuid.uuid4()}", headers=inv).status_code == 404
        assert client.get("/v1/log/checkpoint", headers=inv).status_code == 200

    text = stream.getvalue()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) >= 15, "the session was logged"
    request_lines = 0
    for line in lines:
        record = json.loads(line)  # every line is JSON
        assert isinstance(record, dict) and "event" in record
        if record["event"] == "http.request" or record.get("logger") == "api":
            request_lines += 1
            assert record.get("request_id"), line
    assert request_lines >= 15
    forbidden = [
        *secrets,
        *(s[len("vault_") + 17 :] for s in secrets if s.startswith("vault_")),  # bare secrets
        "AGE-SECRET-KEY-1",
        "VAULT-ED25519-SECRET-KEY-",
        marker,
        filename,
        statement,
        "Bearer",
    ]
    for needle in forbidden:
        assert needle not in text, f"{needle[:30]}… appears in the log"
