"""Test-side helpers shared by tests/storage: an S3 server description and a backend handle.

A plain module (not conftest.py) so test modules can import it by name: the repository
has a tests/conftest.py too, and ``import conftest`` would be ambiguous.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from storage.base import ObjectStore
from storage.s3 import S3Store

MiB = 1024 * 1024
#: The smallest part S3 allows, so part-boundary tests stay small.
TEST_PART_SIZE = 5 * MiB


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False
    region: str | None = "us-east-1"
    is_moto: bool = True

    def store(self, bucket: str | None = None, **options: object) -> S3Store:
        """An S3Store on an ensured bucket: ``bucket``, or a fresh one."""
        store = S3Store(
            self.endpoint,
            self.access_key,
            self.secret_key,
            bucket or new_bucket_name(),
            secure=self.secure,
            region=self.region,
            part_size=TEST_PART_SIZE,
            **options,  # type: ignore[arg-type]
        )
        store.ensure_bucket()
        return store


def new_bucket_name() -> str:
    return f"vault-test-{uuid.uuid4().hex[:20]}"


@dataclass(frozen=True)
class Backend:
    """One backend under test: fresh stores sharing one root or bucket (as the vault's
    workers would), and a store whose backend is really down."""

    name: str
    make: Callable[[], ObjectStore]
    make_broken: Callable[[], ObjectStore]
