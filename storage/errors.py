"""Errors raised by storage/.

Every error has a stable ``code`` (a key of the vault's French/English message catalogue)
and optional structured ``fields`` (``key`` where one is known).  ``detail`` is an English,
developer-facing explanation; it never contains object content.  Foreign exceptions
(``OSError``, ``minio.error.S3Error``, ``urllib3`` errors) are translated where they enter,
``raise … from exc``, so the original stays on ``__cause__`` for the logs::

    StorageError                     storage.error         (root; never raised by itself)
    ├── StorageUnavailableError      storage.unavailable   (the backend failed: callers answer 503)
    ├── ObjectExistsError            storage.object_exists (put() refused to overwrite a key)
    ├── ObjectNotFoundError          storage.not_found     (open()/stat() of an absent key)
    └── InvalidKeyError              storage.invalid_key   (a key outside the allowed grammar)

An exception raised by the caller's own chunk iterator during ``put()`` is *not* wrapped:
it propagates unchanged, so the vault can tell "the client went away" from "the store failed".
"""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    code = "storage.error"

    def __init__(self, detail: str = "", **fields: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields


class StorageUnavailableError(StorageError):
    """The backend could not do what was asked (I/O error, disk full, S3 down or refusing)."""

    code = "storage.unavailable"


class ObjectExistsError(StorageError):
    """``put()`` found the key already taken; objects are written once and never replaced."""

    code = "storage.object_exists"


class ObjectNotFoundError(StorageError):
    """No object is stored under the key."""

    code = "storage.not_found"


class InvalidKeyError(StorageError):
    """The key is not in the conservative grammar of :func:`storage.keys.validate_key`."""

    code = "storage.invalid_key"
