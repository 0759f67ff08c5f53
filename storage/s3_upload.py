"""One write-once S3 upload with SHA-256 checksums, streamed from an iterator of chunks.

Why not ``Minio.put_object(length=-1)``: in minio 7.2.x it sends extra headers only with
the *first* request (CreateMultipartUpload), and turns unknown ones into ``x-amz-meta-*``.
So it can neither send ``If-None-Match: *`` on CompleteMultipartUpload (the request that
makes a multipart object visible) nor a per-part ``x-amz-checksum-sha256``.  This module
sends the same S3 requests itself through ``Minio._execute``, which signs, retries and
raises S3Error like every public minio call.  It is a private method: the tests in
tests/storage exercise every request here against a real S3 server, so a minio upgrade
that changes it fails loudly.

Objects that fit in one part (the part is buffered anyway) go up as one PutObject that
carries the whole-object SHA-256 twice: ``x-amz-checksum-sha256`` (verified by AWS and
MinIO, which reject the write on mismatch) and ``x-amz-meta-sha256`` (hex, read by ``stat``).
Larger objects use multipart upload with a server-verified SHA-256 per part; S3 has no
whole-object SHA-256 for multipart uploads and metadata is fixed before the first byte, so
the whole-object digest is attached afterwards as the object tag ``sha256``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from minio import Minio
from minio.commonconfig import Tags
from minio.helpers import DictType
from urllib3 import BaseHTTPResponse

from storage.base import Sha256Hex
from storage.errors import StorageUnavailableError
from storage.s3_errors import s3_errors

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
SHA256_META = "x-amz-meta-sha256"
SHA256_TAG = "sha256"
#: S3's minimum part size (all parts but the last); also its ceiling is 5 GiB.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadResult:
    size: int
    sha256: Sha256Hex
    multipart: bool


def _parse_xml(data: bytes) -> ET.Element:
    # The answer comes from the configured S3 endpoint, which we already trust with the
    # objects; minio parses the same answers with the same parser, and expat >= 2.4.1
    # refuses entity-expansion bombs.
    return ET.fromstring(data)  # noqa: S314


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def parts_of(chunks: Iterable[bytes], part_size: int) -> Iterator[tuple[bytes, bool]]:
    """Re-block ``chunks`` into ``(part, is_last)`` with every part but the last exactly
    ``part_size`` bytes.  Holds at most one part plus one chunk in memory.  An empty input
    yields one empty last part, so an empty object is still one PutObject."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        # Strictly greater: a part is "not last" only once a byte beyond it has arrived.
        while len(buffer) > part_size:
            yield bytes(buffer[:part_size]), False
            del buffer[:part_size]
    yield bytes(buffer), True


class Upload:
    """Uploads one object; ``headers`` (type, retention) go on the object-creating request."""

    def __init__(
        self, client: Minio, bucket: str, key: str, headers: DictType, part_size: int
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._headers = headers
        self._part_size = part_size

    def run(self, chunks: Iterable[bytes]) -> UploadResult:
        """Consume ``chunks``; exceptions from them propagate unchanged, after any started
        multipart upload has been aborted so that nothing of it remains."""
        hasher = hashlib.sha256()
        parts = parts_of(chunks, self._part_size)
        first, last = next(parts)  # the caller's exceptions propagate: nothing sent yet
        hasher.update(first)
        if last:
            digest = Sha256Hex(hasher.hexdigest())
            self._put_single(first, digest)
            return UploadResult(len(first), digest, multipart=False)

        upload_id = self._create()
        try:
            etags: list[tuple[int, str, str]] = []
            size, part, number = 0, first, 1
            while True:
                etags.append((number, *self._put_part(upload_id, number, part)))
                size += len(part)
                if last:
                    break
                part, last = next(parts)  # the caller's exceptions propagate (and abort)
                hasher.update(part)
                number += 1
            self._complete(upload_id, etags)
        except BaseException:
            self._abort(upload_id)
            raise
        digest = Sha256Hex(hasher.hexdigest())
        with s3_errors(self._key):
            self._client.set_object_tags(self._bucket, self._key, _digest_tags(digest))
        return UploadResult(size, digest, multipart=True)

    def _request(
        self, method: str, *, body: bytes | None = None, headers: DictType, query: DictType
    ) -> BaseHTTPResponse:
        """One signed S3 request on this object (minio's private ``_execute``: see above)."""
        with s3_errors(self._key):
            return self._client._execute(
                method, self._bucket, self._key, body=body, headers=headers, query_params=query
            )

    def _put_single(self, data: bytes, digest: Sha256Hex) -> None:
        headers: DictType = {
            **self._headers,
            SHA256_META: digest,
            "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(digest)).decode("ascii"),
            # What AWS SDKs send with a checksum; object-lock writes need it or Content-MD5.
            "x-amz-sdk-checksum-algorithm": "SHA256",
            "If-None-Match": "*",
        }
        self._request("PUT", body=data, headers=headers, query={})

    def _create(self) -> str:
        headers: DictType = {**self._headers, "x-amz-checksum-algorithm": "SHA256"}
        response = self._request("POST", headers=headers, query={"uploads": ""})
        upload_id = _parse_xml(response.data).findtext(f"{S3_NS}UploadId")
        if not upload_id:
            raise StorageUnavailableError("CreateMultipartUpload returned no UploadId")
        return upload_id

    def _put_part(self, upload_id: str, number: int, data: bytes) -> tuple[str, str]:
        checksum = _b64_sha256(data)
        headers: DictType = {
            "x-amz-checksum-sha256": checksum,
            "x-amz-sdk-checksum-algorithm": "SHA256",
        }
        query: DictType = {"partNumber": str(number), "uploadId": upload_id}
        response = self._request("PUT", body=data, headers=headers, query=query)
        etag = str(response.headers.get("etag", "")).strip('"')
        if not etag:
            raise StorageUnavailableError("UploadPart returned no ETag", key=self._key)
        return etag, checksum

    def _complete(self, upload_id: str, parts: list[tuple[int, str, str]]) -> None:
        root = ET.Element("CompleteMultipartUpload")
        for number, etag, checksum in parts:
            element = ET.SubElement(root, "Part")
            ET.SubElement(element, "PartNumber").text = str(number)
            ET.SubElement(element, "ETag").text = f'"{etag}"'
            ET.SubElement(element, "ChecksumSHA256").text = checksum
        body = ET.tostring(root)
        md5 = hashlib.md5(body, usedforsecurity=False).digest()  # S3 requires it here
        headers: DictType = {
            "Content-Type": "application/xml",
            "Content-MD5": base64.b64encode(md5).decode("ascii"),
            # The object becomes visible only now, so this is where write-once is enforced.
            "If-None-Match": "*",
        }
        response = self._request("POST", body=body, headers=headers, query={"uploadId": upload_id})
        # S3 may answer 200 and put the error in the body once the upload has started.
        answer = _parse_xml(response.data)
        if answer.tag in ("Error", f"{S3_NS}Error"):
            code = answer.findtext("Code") or answer.findtext(f"{S3_NS}Code") or "unknown"
            raise StorageUnavailableError(f"S3 error {code}", s3_code=code, key=self._key)

    def _abort(self, upload_id: str) -> None:
        # Best effort: an upload we fail to abort stays invisible (no object exists until
        # CompleteMultipartUpload) and a bucket lifecycle rule reclaims its parts.
        with contextlib.suppress(StorageUnavailableError):
            self._request("DELETE", headers={}, query={"uploadId": upload_id})


def _digest_tags(digest: Sha256Hex) -> Tags:
    tags = Tags.new_object_tags()
    tags[SHA256_TAG] = digest
    return tags
