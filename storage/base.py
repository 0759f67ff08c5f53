"""The ObjectStore protocol the vault uses, and the values it returns.

The protocol is synchronous on purpose: the vault runs ``put`` in a worker thread fed by a
bounded queue from the async request handler, so a blocking call that consumes an iterator
is the simplest correct shape, and the backends stay free of event-loop concerns.

Reading uses one design for every backend: ``open(key)`` looks the object up *eagerly*
(so ``ObjectNotFoundError`` is raised by the call itself, before any response is started)
and returns an :class:`ObjectStream`: an iterator of bounded chunks that is also a context
manager.  Use it as ``with store.open(key) as stream: for chunk in stream: ...``; leaving the
block (or exhausting the iterator) releases the file handle or HTTP connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import NewType, Protocol, Self, runtime_checkable

#: Lowercase hex SHA-256 of the stored bytes (64 characters).
Sha256Hex = NewType("Sha256Hex", str)

#: Size of the chunks ``open()`` yields; large enough to amortise syscalls and HTTP reads,
#: small enough that many concurrent downloads stay within a few MiB each.
READ_CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What ``put`` stored: the key, its size in bytes and the SHA-256 computed while streaming."""

    key: str
    size: int
    sha256: Sha256Hex


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What ``stat`` knows: ``sha256`` is None when the backend holds no recorded digest."""

    key: str
    size: int
    sha256: Sha256Hex | None


class ObjectStream(Iterator[bytes]):
    """Chunks of one stored object, with ``size`` known up front and a ``close()``.

    Backends build it from a chunk iterator and a function that releases the underlying
    resource; ``close()`` is idempotent and also runs when the iterator is exhausted.
    """

    def __init__(self, size: int, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self.size = size
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __next__(self) -> bytes:
        if self._release is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except StopIteration:
            self.close()
            raise
        except BaseException:
            self.close()
            raise

    def read_all(self) -> bytes:
        """Convenience for small objects and tests: the whole content, then close."""
        with self:
            return b"".join(self)

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@runtime_checkable
class ObjectStore(Protocol):
    """Write-once object storage.  Nothing here overwrites or deletes a stored object.

    Every method validates its key (``InvalidKeyError``) and translates backend failures
    into ``StorageUnavailableError`` (or a subclass of ``StorageError``).
    """

    def put(self, key: str, chunks: Iterable[bytes]) -> StoredObject:
        """Store the concatenation of ``chunks`` under ``key``, durably, exactly once.

        Raises ``ObjectExistsError`` if ``key`` is taken (checked before consuming
        ``chunks``, and again atomically at publication).  If ``chunks`` raises, nothing is
        left under ``key``, temporary data is removed, and that exception propagates unchanged.
        """
        ...

    def open(self, key: str) -> ObjectStream:
        """Stream the object's bytes in chunks of at most ``READ_CHUNK_SIZE``."""
        ...

    def stat(self, key: str) -> ObjectInfo:
        """Size and recorded SHA-256 of the object; ``ObjectNotFoundError`` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """True if an object is stored under ``key``."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with ``prefix``, in no particular order."""
        ...

    def check(self) -> None:
        """Readiness probe: return if the store can accept writes, else raise
        ``StorageUnavailableError``."""
        ...
