"""Intake under real failures: the object store, the database, the client.

No code under test is mocked.  Each failure is produced where it would happen in production:

* S3 down mid-stream: a TCP proxy we control sits between the vault and a moto server of
  its own; after N bytes it resets every connection and refuses new ones (a network
  partition, or the S3 endpoint dying), then comes back for the retry.
* Disk full: the real FilesystemStore writing under ``RLIMIT_FSIZE``.  The kernel then fails
  ``write(2)`` with EFBIG past the limit, exactly where ENOSPC would fail it: the store's
  error path is the real one, without a loop device or tmpfs (neither is available here).
* Database failing at commit: a second SQLite connection holds the write lock (BEGIN
  EXCLUSIVE) while the object is being stored; with a short busy timeout the intake's
  commit gives up, as it would against a wedged or unreachable database.
* A client that disconnects mid-upload, against a real uvicorn server.

Each must answer 503 with a stable code (or, for the client, record nothing), leave no item
row and no ``item.upload`` entry, and a retry with the same Idempotency-Key must succeed.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live_server import serve
from moto_server import start_moto
from sqlalchemy import event
from sqlmodel import select
from vault_testing import TestMember, log_size

from api.app import create_app
from crypto.age import X25519Identity
from storage.filesystem import FilesystemStore
from vault.context import Vault
from vault.db import session_scope
from vault.models import AuditLeaf, Item
from vault.receipts import verify_receipt
from vault.services import cases as case_service
from vault.services import members as member_service
from vault.services.access import AuditNote
from vault.services.doctor import examine
from vault.settings import Settings

MiB = 1024 * 1024


# -- helpers ---------------------------------------------------------------------------------


def item_count(vault: Vault) -> int:
    with session_scope(vault.engine) as session:
        return len(session.exec(select(Item)).all())


def audit_actions(vault: Vault) -> list[tuple[str, str]]:
    with session_scope(vault.engine) as session:
        leaves = session.exec(select(AuditLeaf).order_by(AuditLeaf.idx)).all()  # type: ignore[arg-type]
        return [
            (json.loads(leaf.entry)["action"], json.loads(leaf.entry)["outcome"]["result"])
            for leaf in leaves
        ]


def temp_files(vault: Vault) -> list[str]:
    """The filesystem store's files in progress (none for S3)."""
    if isinstance(vault.store, FilesystemStore):
        return sorted(os.listdir(vault.store.root / "tmp"))
    return []


def world(vault: Vault) -> tuple[TestMember, str]:
    """An investigator and a lawyer on one case, made directly in ``vault`` (the tests here
    build their own vaults, so the conftest factories, bound to another vault, do not fit)."""
    made = []
    for role in ("investigator", "lawyer"):
        identity = X25519Identity.generate()
        with session_scope(vault.engine) as session:
            member, issued = member_service.create_member(
                session,
                name=role,
                role=role,
                recipient=identity.recipient.encode(),
                token_ttl_days=1,
            )
        made.append(TestMember(member.id, role, issued.text, identity.recipient.encode(), identity))
    with session_scope(vault.engine) as session:
        case = case_service.create_case(
            session,
            AuditNote(),
            title="FAULT-1",
            member_ids=[m.id for m in made],
            creator_id=made[0].id,
        )
    return made[0], case.id


def assert_failed_cleanly(vault: Vault, before: int, r: Any, code: str) -> None:
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == code
    assert r.headers["content-language"] == "fr"
    assert item_count(vault) == 0
    assert log_size(vault) == before
    assert ("item.upload", "allowed") not in audit_actions(vault)


# -- (a) S3 down mid-stream ------------------------------------------------------------------


class FlakyProxy:
    """TCP forwarder to ``upstream``; ``fail_after(n)`` resets every connection once n bytes
    went upstream and refuses new ones until ``heal()``."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.split(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._budget: int | None = None
        self.forwarded = 0
        self.down = False
        threading.Thread(target=self._accept, daemon=True).start()

    def fail_after(self, n: int) -> None:
        with self._lock:
            self._budget, self.forwarded = n, 0

    def heal(self) -> None:
        with self._lock:
            self._budget, self.down = None, False

    def close(self) -> None:
        self._cut()
        self._listener.close()

    def _cut(self) -> None:
        with self._lock:
            self.down = True
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                conn.close()  # RST, like a dead peer
            except OSError:
                pass

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                if upstream:
                    with self._lock:
                        self.forwarded += len(data)
                        over = self._budget is not None and self.forwarded >= self._budget
                    if over:
                        self._cut()
                        return
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def flaky_s3(tmp_path: Path) -> Iterator[tuple[Vault, FlakyProxy]]:
    endpoint, stop = start_moto()
    proxy = FlakyProxy(endpoint)
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "vault-data",
        store="s3",
        s3_endpoint=proxy.address,
        s3_access_key="testing",
        s3_secret_key="testing",
        s3_secure=False,
        s3_bucket=f"flaky-{uuid.uuid4().hex[:12]}",
        s3_region="us-east-1",
    )
    vault = Vault.open(settings)
    yield vault, proxy
    vault.close()
    proxy.close()
    stop()


def test_s3_dying_mid_stream_is_503_and_the_retry_succeeds(
    flaky_s3: tuple[Vault, FlakyProxy],
) -> None:
    vault, proxy = flaky_s3
    investigator, case_id = world(vault)
    data = os.urandom(40 * MiB)  # three 16 MiB parts: the cut lands inside the second
    headers = {**investigator.headers, "Idempotency-Key": "s3-retry-1", "Accept-Language": "fr"}
    before = log_size(vault)
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as client:
        proxy.fail_after(24 * MiB)
        r = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
        assert proxy.down, "the proxy never cut: the failure did not happen mid-stream"
        assert_failed_cleanly(vault, before, r, "storage.unavailable")
        proxy.heal()
        assert list(vault.store.keys("items/")) == []  # the multipart upload left no object
        retry = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
    assert retry.status_code == 201, retry.text
    verify_receipt(retry.json(), vault.trail.verifier_key)
    assert item_count(vault) == 1
    assert len(list(vault.store.keys("items/"))) == 1


# -- (a) disk full under the filesystem store ------------------------------------------------


def test_disk_full_mid_stream_is_503_and_the_retry_succeeds(
    vault: Vault,
) -> None:
    investigator, case_id = world(vault)
    data = os.urandom(12 * MiB)
    headers = {**investigator.headers, "Idempotency-Key": "disk-retry-1", "Accept-Language": "fr"}
    before = log_size(vault)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as client:
        try:
            # Every file this process writes is capped at 4 MiB while the upload runs: the
            # object's temp file hits it; the SQLite files are far smaller.
            resource.setrlimit(resource.RLIMIT_FSIZE, (4 * MiB, hard))
            r = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, old_handler)
        assert_failed_cleanly(vault, before, r, "storage.unavailable")
        assert list(vault.store.keys()) == []
        assert temp_files(vault) == []
        retry = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
    assert retry.status_code == 201, retry.text
    verify_receipt(retry.json(), vault.trail.verifier_key)
    assert item_count(vault) == 1


# -- (b) the database failing at commit ------------------------------------------------------


def test_database_locked_at_commit_is_503_and_the_retry_succeeds(
    vault: Vault,
) -> None:
    investigator, case_id = world(vault)

    @event.listens_for(vault.engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=300")  # runs after the vault's 30 s

    vault.engine.dispose()
    data = os.urandom(48 * MiB)
    headers = {**investigator.headers, "Idempotency-Key": "db-retry-1", "Accept-Language": "fr"}
    before = log_size(vault)
    db_path = vault.settings.data_dir / "vault.db"
    blocker = sqlite3.connect(db_path, timeout=10, isolation_level=None, check_same_thread=False)
    locked = threading.Event()
    stop = threading.Event()

    def lock_once_the_object_is_being_written() -> None:
        # Preflight (authorisation, replay check) is done once the store has a temp file;
        # the lock then stands until after the intake's commit has given up.
        while not stop.is_set() and not temp_files(vault):
            time.sleep(0.001)
        if not stop.is_set():
            blocker.execute("BEGIN EXCLUSIVE")
            locked.set()

    watcher = threading.Thread(target=lock_once_the_object_is_being_written, daemon=True)
    watcher.start()
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as client:
        try:
            r = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
        finally:
            stop.set()
            watcher.join(5)
            if locked.is_set():
                blocker.execute("ROLLBACK")
            blocker.close()
        assert locked.is_set(), "the lock was never taken: the upload finished too early"
        assert_failed_cleanly(vault, before, r, "database.unavailable")
        # The object was stored before the commit failed: an orphan, which doctor reports.
        assert len(list(vault.store.keys("items/"))) == 1
        assert len(examine(vault).quarantined) == 1
        retry = client.post(f"/v1/cases/{case_id}/items", content=data, headers=headers)
    assert retry.status_code == 201, retry.text
    verify_receipt(retry.json(), vault.trail.verifier_key)
    assert item_count(vault) == 1


# -- a client that goes away -----------------------------------------------------------------


@pytest.fixture
def live(vault: Vault) -> Iterator[str]:
    """The real app under uvicorn (httptools, as ``vault serve`` runs it)."""
    with serve(create_app(vault=vault)) as url:
        yield url.removeprefix("http://")


def test_client_disconnecting_mid_upload_leaves_nothing(
    vault: Vault,
    live: str,
) -> None:
    investigator, case_id = world(vault)
    before = log_size(vault)
    host, port = live.split(":")
    saw_temp_file = False
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /v1/cases/{case_id}/items HTTP/1.1\r\nHost: {live}\r\n"
                f"Authorization: Bearer {investigator.token}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {64 * MiB}\r\n\r\n"
            ).encode()
        )
        for _ in range(24):  # 24 MiB of 64, then the client vanishes
            sock.sendall(os.urandom(MiB))
            saw_temp_file = saw_temp_file or bool(temp_files(vault))
        deadline = time.monotonic() + 5
        while not saw_temp_file and time.monotonic() < deadline:
            saw_temp_file = bool(temp_files(vault))
            time.sleep(0.005)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert saw_temp_file, "the server never started writing: the test proves nothing"
    deadline = time.monotonic() + 10
    while temp_files(vault) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert temp_files(vault) == []
    assert list(vault.store.keys()) == []
    assert item_count(vault) == 0
    assert log_size(vault) == before
    assert ("item.upload", "allowed") not in audit_actions(vault)
