"""Translation of minio and urllib3 exceptions into storage errors, at the point they enter.

Only exceptions raised by the S3 client are translated.  ``put`` consumes the caller's chunk
iterator *outside* these blocks, so an ``OSError`` from the caller (a client that went away)
is never mistaken for a store failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from storage.errors import (
    ObjectExistsError,
    ObjectNotFoundError,
    StorageError,
    StorageUnavailableError,
)

#: S3 error codes that mean "there is no such object" (HEAD answers have no body, so minio
#: synthesises NoSuchKey from the 404 status).
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})


def translate(exc: Exception, key: str | None = None) -> StorageError:
    """The storage error for one S3-client exception; raise it ``from exc``."""
    fields = {"key": key} if key is not None else {}
    if isinstance(exc, S3Error):
        if exc.code in NOT_FOUND_CODES:
            return ObjectNotFoundError("no such object", **fields)
        if exc.code == "PreconditionFailed":
            # Our only precondition is If-None-Match: * on writes.
            return ObjectExistsError("object already exists", **fields)
        return StorageUnavailableError(f"S3 error {exc.code}", s3_code=exc.code, **fields)
    return StorageUnavailableError(f"S3 request failed: {type(exc).__name__}", **fields)


@contextmanager
def s3_errors(key: str | None = None) -> Iterator[None]:
    """Translate S3-client exceptions raised in the block; let everything else through."""
    try:
        yield
    except (MinioException, HTTPError, OSError) as exc:
        # minio raises S3Error / ServerError / InvalidResponseError (all MinioException);
        # urllib3 raises MaxRetryError, ProtocolError, timeouts (all HTTPError); a socket
        # can still leak a bare OSError through the response stream.
        raise translate(exc, key) from exc
