"""One-pass content digests for stored items: SHA-256 always, SHA-1 and MD5 optionally.

SHA-256 is the vault's identity for content.  SHA-1 and MD5 exist only because
investigators and courts still ask for them (e.g. to match a hash published elsewhere);
together they cost more than SHA-256 and the cipher on our machine (docs/PERF), so they
can be switched off with ``sha256_only=True``.  hashlib releases the GIL on large
buffers, so callers may run ``update`` in a worker thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NewType

Sha256Digest = NewType("Sha256Digest", str)
"""Lowercase hex SHA-256 (64 characters)."""


@dataclass(frozen=True)
class DigestSet:
    sha256: Sha256Digest
    sha1: str | None
    md5: str | None
    size: int


class Digests:
    """Feed bytes with ``update``; read the result with ``result`` (it can be read twice)."""

    def __init__(self, *, sha256_only: bool = False) -> None:
        self._sha256 = hashlib.sha256()
        self._sha1 = None if sha256_only else hashlib.sha1(usedforsecurity=False)
        self._md5 = None if sha256_only else hashlib.md5(usedforsecurity=False)
        self._size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._sha256.update(data)
        if self._sha1 is not None and self._md5 is not None:
            self._sha1.update(data)
            self._md5.update(data)
        self._size += memoryview(data).nbytes

    def result(self) -> DigestSet:
        return DigestSet(
            sha256=Sha256Digest(self._sha256.hexdigest()),
            sha1=self._sha1.hexdigest() if self._sha1 is not None else None,
            md5=self._md5.hexdigest() if self._md5 is not None else None,
            size=self._size,
        )
