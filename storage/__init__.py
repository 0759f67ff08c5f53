"""The storage/ package: the ObjectStore protocol and its filesystem and S3 backends.

See docs/storage.md for the guarantees each backend gives and how.
"""

from storage.base import ObjectInfo, ObjectStore, ObjectStream, Sha256Hex, StoredObject
from storage.errors import (
    InvalidKeyError,
    ObjectExistsError,
    ObjectNotFoundError,
    StorageError,
    StorageUnavailableError,
)
from storage.filesystem import FilesystemStore
from storage.keys import validate_key
from storage.s3 import S3Store

__all__ = [
    "FilesystemStore",
    "InvalidKeyError",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "ObjectStream",
    "S3Store",
    "Sha256Hex",
    "StorageError",
    "StorageUnavailableError",
    "StoredObject",
    "validate_key",
]
