"""The SQL LeafStore and the append-only guarantees, on SQLite and on the PostgreSQL server
on this machine (127.0.0.1:5432, database ``test``)."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from vault_testing import IN_CI

from audit.checkpoint import open_checkpoint
from audit.entry import AuditEntry, chain_digest
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.proof import verify_consistency, verify_inclusion
from audit.rfc6962 import leaf_hash
from crypto.signing import SigningKey
from vault.actors import Actor, RequestInfo
from vault.auditlog import AuditTrail
from vault.db import create_schema, make_engine, session_scope

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_engine() -> Iterator[Engine]:
    schema = f"vault_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL + "?connect_timeout=3")
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except DBAPIError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required when CI=true: {exc}")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        e = make_engine(f"sqlite:///{tmp_path}/vault.db")
        create_schema(e)
        yield e
        e.dispose()
    else:
        for e in _postgres_engine():
            create_schema(e)
            create_schema(e)  # idempotent: a restart must not fail on existing triggers
            yield e


@pytest.fixture
def trail() -> AuditTrail:
    return AuditTrail("vault.test/log", SigningKey.generate())


def _append(engine: Engine, trail: AuditTrail, n: int, item: str | None = None) -> None:
    for i in range(n):
        with session_scope(engine) as session:
            trail.record(
                session,
                actor=Actor("m1", "lawyer"),
                action="item.read",
                request=RequestInfo("r", "127.0.0.1", "test"),
                item_id=item,
                details={"i": i},
            )


def test_sql_log_matches_the_in_memory_log(engine: Engine, trail: AuditTrail) -> None:
    _append(engine, trail, 37)
    with session_scope(engine) as session:
        log = trail.log(session)
        entries = log.entries(0, 37)
        reference = MerkleLog(MemoryLeafStore())
        for e in entries:
            reference.append(e)
        for size in (1, 2, 5, 16, 17, 37):
            assert log.root(size) == reference.root(size)
        for index in (0, 3, 15, 16, 36):
            proof = log.inclusion_proof(index, 37)
            verify_inclusion(index, 37, leaf_hash(entries[index]), proof, log.root(37))
        verify_consistency(10, 37, log.consistency_proof(10, 37), log.root(10), log.root(37))
        # Every append signed a checkpoint for its size.
        cp = open_checkpoint(trail.latest_checkpoint(session), trail.verifier_key, trail.origin)
        assert cp.size == 37 and cp.root_hash == log.root(37)
    # The entries form a hash chain.
    for prev, entry in itertools.pairwise(entries):
        assert AuditEntry.parse(entry).prev == chain_digest(prev)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_leaf SET entry = entry",
        "DELETE FROM audit_leaf WHERE idx = 1",
        "UPDATE audit_node SET hash = hash",
        "DELETE FROM audit_node",
        "DELETE FROM audit_checkpoint",
        "UPDATE audit_checkpoint SET note = 'forged'",
    ],
)
def test_the_database_refuses_to_rewrite_the_log(
    engine: Engine, trail: AuditTrail, statement: str
) -> None:
    _append(engine, trail, 4)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with session_scope(engine) as session:
        assert trail.log(session).size() == 4


@pytest.mark.postgres
def test_postgres_refuses_truncate(trail: AuditTrail) -> None:
    for engine in _postgres_engine():
        create_schema(engine)
        _append(engine, trail, 2)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_leaf"))


def test_an_entry_commits_with_its_change_or_not_at_all(engine: Engine, trail: AuditTrail) -> None:
    _append(engine, trail, 3)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), session_scope(engine) as session:
        trail.record(
            session,
            actor=Actor("m1", "lawyer"),
            action="item.read",
            request=RequestInfo(),
            details={},
        )
        raise Boom  # the change it describes failed: the entry must go too
    with session_scope(engine) as session:
        assert trail.log(session).size() == 3
        assert trail.checkpoint_at(session, 4) is None


def test_concurrent_writers_get_consecutive_indices(engine: Engine, trail: AuditTrail) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _append(engine, trail, 10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with session_scope(engine) as session:
        log = trail.log(session)
        assert log.size() == 40
        entries = log.entries(0, 40)
    assert [AuditEntry.parse(e).index for e in entries] == list(range(40))
    for prev, entry in itertools.pairwise(entries):
        assert AuditEntry.parse(entry).prev == chain_digest(prev)


def test_entries_touching_an_item_are_indexed(engine: Engine, trail: AuditTrail) -> None:
    _append(engine, trail, 2)
    _append(engine, trail, 3, item="item-1")
    _append(engine, trail, 1)
    with session_scope(engine) as session:
        assert trail.indices_touching(session, "item-1", 6) == [2, 3, 4]
        assert trail.indices_touching(session, "item-1", 4) == [2, 3]
