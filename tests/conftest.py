"""Fixtures shared by the vault and API tests: a fresh vault per test on the embedded
default (SQLite + filesystem in tmp_path), an app, a client, and member factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import hypothesis
import pytest
from fastapi.testclient import TestClient
from vault_testing import IN_CI, TestMember, log_size, require_tool

from api.app import create_app
from vault.actors import Actor, RequestInfo
from vault.context import Vault
from vault.db import session_scope
from vault.services import cases as case_service
from vault.services import members as member_service
from vault.services.access import AuditNote
from vault.settings import Settings

__all__ = ["IN_CI", "TestMember", "log_size", "require_tool"]

# Property-based tests explore new examples on every local run (that is how they find bugs);
# under CI=true they replay a fixed derandomized sequence, so a red CI is always reproducible
# and never a coin toss.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    hypothesis.settings.load_profile("ci")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="test", data_dir=tmp_path / "vault-data", log_json=True)


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    v = Vault.open(settings)
    yield v
    v.close()


@pytest.fixture
def client(vault: Vault) -> Iterator[TestClient]:
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_member(vault: Vault) -> Callable[..., TestMember]:
    from crypto.age import X25519Identity

    def make(role: str, name: str | None = None, *, with_key: bool = True) -> TestMember:
        identity = X25519Identity.generate() if with_key else None
        recipient = identity.recipient.encode() if identity else None
        with session_scope(vault.engine) as session:
            member, issued = member_service.create_member(
                session, name=name or role, role=role, recipient=recipient, token_ttl_days=1
            )
        return TestMember(member.id, role, issued.text, recipient, identity)

    return make


@pytest.fixture
def make_case(vault: Vault) -> Callable[..., str]:
    def make(*members: TestMember, title: str = "MLI-2026-001") -> str:
        with session_scope(vault.engine) as session:
            case = case_service.create_case(
                session,
                AuditNote(),
                title=title,
                member_ids=[m.id for m in members],
                creator_id=members[0].id if members else "",
            )
            vault.trail.record(
                session,
                actor=Actor.operator(),
                action="case.create",
                request=RequestInfo.cli("test"),
                case_id=case.id,
            )
        return case.id

    return make


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 server (moto) on 127.0.0.1, for the whole session."""
    from moto_server import start_moto

    endpoint, stop = start_moto()
    yield endpoint
    stop()


@pytest.fixture
def s3_settings(tmp_path: Path, moto_endpoint: str) -> Settings:
    """Settings for a vault whose objects go to a fresh bucket on the moto server."""
    import uuid

    return Settings(
        environment="test",
        data_dir=tmp_path / "vault-data",
        store="s3",
        s3_endpoint=moto_endpoint,
        s3_access_key="testing",
        s3_secret_key="testing",
        s3_secure=False,
        s3_bucket=f"evidence-{uuid.uuid4().hex[:12]}",
        s3_region="us-east-1",
    )
