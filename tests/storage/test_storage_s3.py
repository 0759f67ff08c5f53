"""S3Store specifics, checked through the S3 API itself (minio and boto3) against moto."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from minio import Minio
from minio.commonconfig import ENABLED
from storage_backends import TEST_PART_SIZE, S3Server, new_bucket_name

from storage.errors import StorageUnavailableError
from storage.s3 import S3Store
from storage.s3_upload import SHA256_META, SHA256_TAG, parts_of

KEY = "items/5f0c8a3e-2b1d-4e7f-9a6b-1c2d3e4f5a6b"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def minio_client(server: S3Server) -> Minio:
    return Minio(server.endpoint, server.access_key, server.secret_key, secure=False)


def boto(server: S3Server) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://{server.endpoint}",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )


def test_ensure_bucket_creates_it_with_object_lock_and_versioning(moto_s3: S3Server) -> None:
    store = moto_s3.store()
    client = minio_client(moto_s3)
    assert client.get_bucket_versioning(store.bucket).status == ENABLED
    client.get_object_lock_config(store.bucket)  # raises when the bucket has no Object Lock
    store.ensure_bucket()  # idempotent


def test_ensure_bucket_enables_versioning_on_an_existing_bucket(moto_s3: S3Server) -> None:
    bucket = new_bucket_name()
    client = minio_client(moto_s3)
    client.make_bucket(bucket)
    assert client.get_bucket_versioning(bucket).status != ENABLED
    moto_s3.store(bucket)
    assert client.get_bucket_versioning(bucket).status == ENABLED


def test_retention_needs_a_bucket_with_object_lock(moto_s3: S3Server) -> None:
    bucket = new_bucket_name()
    minio_client(moto_s3).make_bucket(bucket)
    with pytest.raises(StorageUnavailableError) as caught:
        moto_s3.store(bucket, retention_days=30)
    assert caught.value.fields["s3_code"] == "ObjectLockConfigurationNotFoundError"


@pytest.mark.parametrize("size", [10, 2 * TEST_PART_SIZE + 1], ids=["single-part", "multipart"])
def test_compliance_retention_is_set_at_put(moto_s3: S3Server, size: int) -> None:
    store = moto_s3.store(retention_days=30, clock=lambda: NOW)
    store.put(KEY, iter([os.urandom(size)]))
    # HEAD reports the lock; read back only here, in the test, never by the store.
    head = boto(moto_s3).head_object(Bucket=store.bucket, Key=KEY)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == NOW + dt.timedelta(days=30)


def test_no_retention_unless_configured(moto_s3: S3Server) -> None:
    store = moto_s3.store()
    store.put(KEY, [b"x"])
    assert "ObjectLockMode" not in boto(moto_s3).head_object(Bucket=store.bucket, Key=KEY)


def test_single_part_object_carries_sha256_checksum_and_metadata(moto_s3: S3Server) -> None:
    store = moto_s3.store()
    data = b"age-encryption.org/v1 ..."
    digest = hashlib.sha256(data).digest()
    store.put(KEY, [data])
    head = boto(moto_s3).head_object(Bucket=store.bucket, Key=KEY, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(digest).decode()
    assert head["Metadata"][SHA256_META.removeprefix("x-amz-meta-")] == digest.hex()


def test_multipart_object_carries_part_checksums_and_digest_tag(moto_s3: S3Server) -> None:
    store = moto_s3.store()
    data = os.urandom(2 * TEST_PART_SIZE + 1)
    store.put(KEY, [data])
    head = boto(moto_s3).head_object(Bucket=store.bucket, Key=KEY, ChecksumMode="ENABLED")
    # A composite checksum: SHA-256 over the three part digests.  AWS suffixes the part
    # count ("-3"); moto does not.  Base64 has no "-", so split on it.
    parts = [data[i : i + TEST_PART_SIZE] for i in range(0, len(data), TEST_PART_SIZE)]
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    assert head["ChecksumSHA256"].split("-")[0] == base64.b64encode(composite).decode()
    tags = minio_client(moto_s3).get_object_tags(store.bucket, KEY)
    assert tags is not None and tags[SHA256_TAG] == hashlib.sha256(data).hexdigest()


def test_failed_multipart_upload_is_aborted(moto_s3: S3Server) -> None:
    store = moto_s3.store()

    def chunks() -> Iterator[bytes]:
        yield os.urandom(2 * TEST_PART_SIZE + 1)  # two parts are uploaded before the error
        raise KeyboardInterrupt  # even BaseException must abort the upload

    with pytest.raises(KeyboardInterrupt):
        store.put(KEY, chunks())
    uploads = boto(moto_s3).list_multipart_uploads(Bucket=store.bucket)
    assert uploads.get("Uploads", []) == []


def test_missing_bucket_fails_the_readiness_check(moto_s3: S3Server) -> None:
    store = S3Store(moto_s3.endpoint, "testing", "testing", new_bucket_name(), secure=False)
    with pytest.raises(StorageUnavailableError):
        store.check()


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([], [(b"", True)]),
        ([b"abc"], [(b"abc", True)]),
        ([b"ab", b"cd"], [(b"abcd", True)]),
        ([b"abcde"], [(b"abcd", False), (b"e", True)]),
        ([b"a", b"bcdefgh", b"ij"], [(b"abcd", False), (b"efgh", False), (b"ij", True)]),
    ],
)
def test_parts_of_reblocks_exactly(chunks: list[bytes], expected: list[tuple[bytes, bool]]) -> None:
    assert list(parts_of(chunks, 4)) == expected


def test_part_size_must_respect_s3_limits() -> None:
    with pytest.raises(ValueError):
        S3Store("127.0.0.1:1", "a", "b", "bucket", part_size=1024)
