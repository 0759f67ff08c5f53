"""Database engine, schema and the append-only guarantees of the audit tables.

SQLite (embedded default) runs in WAL mode with ``synchronous=FULL`` and every transaction
opened with ``BEGIN IMMEDIATE``: nearly every request appends an audit entry, so transactions
are writers anyway, and taking the write lock up front makes "one log writer at a time" a
property of the database rather than of our code.  PostgreSQL takes a transaction-scoped
advisory lock before appending (see ``vault/auditlog.py``).

The audit tables refuse UPDATE and DELETE in the database itself (triggers), so a bug or an
administrator with SQL access cannot quietly rewrite history; the Merkle proofs catch the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

from vault import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from vault.errors import Unavailable

APPEND_ONLY_TABLES = ("audit_leaf", "audit_node", "audit_checkpoint")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's BEGIN.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: {op} on {table} refused'); END"""
    for table in APPEND_ONLY_TABLES
    for op in ("UPDATE", "DELETE")
]

_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION vault_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
           USING ERRCODE = 'insufficient_privilege';
       END $$""",
    *[
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_append_only') THEN
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                  FOR EACH ROW EXECUTE FUNCTION vault_append_only();
              END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{table}_no_truncate') THEN
                CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                  FOR EACH STATEMENT EXECUTE FUNCTION vault_append_only();
              END IF;
            END $$"""  # noqa: S608 (table names are our constants, not input)
        for table in APPEND_ONLY_TABLES
    ],
]


def create_schema(engine: Engine) -> None:
    """Create missing tables and the append-only triggers (idempotent)."""
    SQLModel.metadata.create_all(engine)
    statements = _SQLITE_TRIGGERS if engine.dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.  Database outages become
    :class:`Unavailable` (503), so callers never mistake them for bad input."""
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    except OperationalError as exc:
        raise Unavailable("database.unavailable", "database operation failed") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable("database.unavailable", "database connection lost") from exc
        raise


def check(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise Unavailable("database.unavailable", "database unreachable") from exc
