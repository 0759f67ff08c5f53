"""S3Store: write-once objects in an S3 bucket (MinIO, AWS, LocalStack) via the minio client.

The bucket is created with Object Lock, which implies versioning: even if a writer outside
the vault overwrote a key, the earlier version stays.  With ``retention_days`` every object
gets COMPLIANCE-mode retention, which nobody, root account included, can shorten or lift.

How ``put`` stays write-once, in order of strength (docs/storage.md has the details):

1. ``If-None-Match: *`` on the request that makes the object visible (PutObject, or
   CompleteMultipartUpload); AWS (since 2024), MinIO and moto refuse it with 412 when the
   key exists, which becomes ObjectExistsError.
2. A HEAD before uploading, so an existing key is refused before any byte is sent; on a
   server that ignores ``If-None-Match`` this check alone leaves a race window between the
   HEAD and the final request, in which versioning (and Object Lock) keep the first version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.helpers import DictType
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from storage.base import READ_CHUNK_SIZE, ObjectInfo, ObjectStream, Sha256Hex, StoredObject
from storage.errors import ObjectExistsError, ObjectNotFoundError, StorageUnavailableError
from storage.keys import validate_key, validate_prefix
from storage.s3_errors import s3_errors
from storage.s3_upload import MAX_PART_SIZE, MIN_PART_SIZE, SHA256_META, SHA256_TAG, Upload

MiB = 1024 * 1024
_LOCK_MODE = "x-amz-object-lock-mode"
_LOCK_UNTIL = "x-amz-object-lock-retain-until-date"


def default_http_client() -> urllib3.PoolManager:
    """Bounded timeouts and few retries, so a dead endpoint fails a readiness probe in about
    a second instead of minio's default of five retries with five-minute timeouts."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5.0, read=120.0),
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        maxsize=10,
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class S3Store:
    """Write-once objects in one bucket; see the module docstring for the guarantees."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = True,
        region: str | None = None,
        retention_days: int | None = None,
        part_size: int = 16 * MiB,
        http_client: urllib3.PoolManager | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        """``endpoint`` is ``host[:port]`` without a scheme (``secure`` picks https).
        ``clock`` gives the time retention is counted from (tests pass a fixed one)."""
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError("part_size must be between 5 MiB and 5 GiB (S3 limits)")
        if retention_days is not None and retention_days <= 0:
            raise ValueError("retention_days must be positive")
        self.bucket = bucket
        self.retention_days = retention_days
        self.part_size = part_size
        self._clock = clock
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http_client or default_http_client(),
        )

    # -- bucket --------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock (hence versioning) if missing; otherwise make
        sure versioning is on, and that Object Lock is on if retention is configured."""
        with s3_errors():
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket, object_lock=True)
                return
            if self._client.get_bucket_versioning(self.bucket).status != ENABLED:
                self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            if self.retention_days is not None:
                # Raises ObjectLockConfigurationNotFoundError (translated) when lock is off.
                self._client.get_object_lock_config(self.bucket)

    def check(self) -> None:
        """Readiness: the endpoint answers, the credentials work and the bucket exists."""
        with s3_errors():
            present = self._client.bucket_exists(self.bucket)
        if not present:
            raise StorageUnavailableError("bucket does not exist", bucket=self.bucket)

    # -- writing -------------------------------------------------------------------------

    def put(self, key: str, chunks: Iterable[bytes]) -> StoredObject:
        if self.exists(validate_key(key)):
            raise ObjectExistsError("object already exists", key=key)
        headers: DictType = {"Content-Type": "application/octet-stream"}
        until = self._retain_until()
        if until is not None:
            headers[_LOCK_MODE] = COMPLIANCE
            headers[_LOCK_UNTIL] = until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        result = Upload(self._client, self.bucket, key, headers, self.part_size).run(chunks)
        if result.multipart and until is not None:
            self._ensure_multipart_retention(key, until)
        return StoredObject(key=key, size=result.size, sha256=result.sha256)

    def _retain_until(self) -> dt.datetime | None:
        if self.retention_days is None:
            return None
        return self._clock().astimezone(dt.UTC) + dt.timedelta(days=self.retention_days)

    def _ensure_multipart_retention(self, key: str, until: dt.datetime) -> None:
        """Some servers (moto) drop lock headers sent with CreateMultipartUpload; AWS and
        MinIO honour them.  Look at the object's own HEAD (not GetObjectRetention, which
        some servers answer badly) and set retention explicitly only where it is missing."""
        with s3_errors(key):
            if (self._client.stat_object(self.bucket, key).metadata or {}).get(_LOCK_MODE):
                return
            self._client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, until))

    # -- reading -------------------------------------------------------------------------

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            with s3_errors(key):
                self._client.stat_object(self.bucket, key)
        except ObjectNotFoundError:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        with s3_errors(key):
            info = self._client.stat_object(self.bucket, key)
            digest = (info.metadata or {}).get(SHA256_META)
            if digest is None and "-" in (info.etag or ""):
                # A multipart object: its digest is the "sha256" tag (see s3_upload).
                tags = self._client.get_object_tags(self.bucket, key)
                digest = tags.get(SHA256_TAG) if tags else None
        return ObjectInfo(key=key, size=info.size or 0, sha256=_as_digest(digest))

    def open(self, key: str) -> ObjectStream:
        validate_key(key)
        with s3_errors(key):
            response = self._client.get_object(self.bucket, key)
        size = int(response.headers.get("content-length", "0"))

        def chunks() -> Iterator[bytes]:
            with s3_errors(key):
                yield from response.stream(READ_CHUNK_SIZE)

        def release() -> None:
            response.close()
            response.release_conn()

        return ObjectStream(size, chunks(), release)

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Validate now, not at the first next(): errors belong to the call that caused them.
        return self._iter_keys(validate_prefix(prefix))

    def _iter_keys(self, prefix: str) -> Iterator[str]:
        with s3_errors():
            for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if item.object_name and not item.is_dir:
                    yield item.object_name


def _as_digest(value: object) -> Sha256Hex | None:
    text = str(value).lower() if value is not None else ""
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return Sha256Hex(text)
    return None
