"""Fixtures for the storage tests: both backends behind one ``store`` fixture.

S3 runs against a moto server started here.  Setting ``VAULT_TEST_S3_ENDPOINT``
(``host:port``), ``VAULT_TEST_S3_ACCESS_KEY`` and ``VAULT_TEST_S3_SECRET_KEY`` (optionally
``VAULT_TEST_S3_SECURE=1`` and ``VAULT_TEST_S3_REGION``) adds a third backend, that server
(MinIO, LocalStack...), to every contract test.  See docs/storage.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from moto_server import start_moto
from storage_backends import Backend, MiB, S3Server, new_bucket_name

from storage.base import ObjectStore
from storage.filesystem import FilesystemStore
from storage.s3 import S3Store


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Server]:
    endpoint, stop = start_moto()
    yield S3Server(endpoint, "testing", "testing")
    stop()


def external_s3() -> S3Server | None:
    endpoint = os.environ.get("VAULT_TEST_S3_ENDPOINT")
    if not endpoint:
        return None
    return S3Server(
        endpoint,
        os.environ["VAULT_TEST_S3_ACCESS_KEY"],
        os.environ["VAULT_TEST_S3_SECRET_KEY"],
        secure=os.environ.get("VAULT_TEST_S3_SECURE", "0") == "1",
        region=os.environ.get("VAULT_TEST_S3_REGION", "us-east-1"),
        is_moto=False,
    )


def _broken_filesystem(root: Path) -> ObjectStore:
    store = FilesystemStore(root)
    # The volume disappears and a regular file takes its place: every path below it now
    # fails with ENOTDIR, even for root (tests run as root, so chmod would stop nothing).
    for path in sorted(root.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    root.rmdir()
    root.write_bytes(b"not a directory")
    return store


def _broken_s3() -> ObjectStore:
    # A server that was really listening and has stopped: connections are refused.
    endpoint, stop = start_moto()
    stop()
    return S3Store(endpoint, "testing", "testing", "vault-test-stopped", secure=False)


BACKENDS = ["filesystem", "s3-moto"] + (["s3-external"] if external_s3() else [])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    name: str = request.param
    if name == "filesystem":
        root = tmp_path / "store"
        return Backend(
            name,
            lambda: FilesystemStore(root, sync_every=MiB),
            lambda: _broken_filesystem(tmp_path / "gone"),
        )
    server: S3Server | None = (
        request.getfixturevalue("moto_s3") if name == "s3-moto" else (external_s3())
    )
    assert server is not None
    bucket = new_bucket_name()
    return Backend(name, lambda: server.store(bucket), _broken_s3)


@pytest.fixture
def store(backend: Backend) -> ObjectStore:
    return backend.make()


@pytest.fixture
def new_key() -> Callable[[], str]:
    """Unique keys, so tests never depend on each other even on a shared external server."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    return lambda: f"{prefix}/items/{uuid.uuid4()}"
