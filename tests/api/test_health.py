from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from api.app import create_app
from vault.context import Vault
from vault.db import make_engine


def test_healthz_answers_without_auth(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_checks_database_and_store(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text


def test_readyz_is_503_when_the_database_is_unreachable(vault: Vault) -> None:
    # A real failure: nothing listens on port 1.
    broken = dataclasses.replace(
        vault, engine=make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    )
    with TestClient(create_app(vault=broken), raise_server_exceptions=False) as c:
        r = c.get("/readyz", headers={"Accept-Language": "fr"})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "database.unavailable"
    assert "base de données" in r.json()["error"]["message"]


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-Id": "phone-0001-abcdef"})
    assert r.headers["x-request-id"] == "phone-0001-abcdef"
    r = client.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})
    assert r.headers["x-request-id"] != "bad id\nwith newline"
    assert len(r.headers["x-request-id"]) == 32


def test_errors_are_enveloped_in_the_callers_language(client: TestClient) -> None:
    r = client.get("/v1/nothing-here", headers={"Accept-Language": "fr-ML, fr;q=0.9"})
    assert r.status_code == 404
    assert r.json() == {
        "error": {"code": "route.not_found", "message": "Point d'accès inexistant."}
    }
    assert r.headers["content-language"] == "fr"
    r = client.get("/v1/nothing-here")
    assert r.json()["error"]["message"] == "No such endpoint."


def test_unauthenticated_requests_get_401_with_a_stable_code(client: TestClient) -> None:
    r = client.get("/v1/cases")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "auth.required"
    assert r.headers["www-authenticate"].startswith("Bearer")
