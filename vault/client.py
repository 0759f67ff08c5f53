"""A small typed HTTP client for the vault API, used by the command line.

It speaks the API of ``/work/shared/API.md`` and tus 1.0 for resumable uploads; it knows no
policy and keeps no state.  Error envelopes (``{"error": {"code", "message"}}``) become
:class:`ApiError` with the stable code and the server's message in the user's language;
anything that kept the request from getting an answer becomes :class:`NetworkError`.

    ClientError
    ├── ApiError       the server answered with an error status (status, code, message)
    └── NetworkError   no answer: connection refused or reset, timeout, protocol error
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

TUS_VERSION = "1.0.0"
TUS = {"Tus-Resumable": TUS_VERSION}
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
DEFAULT_URL = "http://127.0.0.1:8000"
# Connecting should be quick; the PATCH that completes an upload hashes the whole
# ciphertext into the store before it answers, so reads may take long on a big file.
TIMEOUT = httpx.Timeout(30.0, read=600.0)


class ClientError(Exception):
    """Root of the client's errors."""


class ApiError(ClientError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message


class NetworkError(ClientError):
    """The request got no answer (the network, not the server, said no)."""


def language_from_env(env: Mapping[str, str]) -> str:
    """``fr`` when the POSIX locale (``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``) is
    French, else ``en``: the two languages of the server's message catalogue."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


@dataclass(frozen=True)
class UploadStatus:
    """Where a tus upload stands (``Upload-Offset`` of ``Upload-Length``)."""

    url: str
    offset: int
    length: int


@dataclass(frozen=True)
class Download:
    headers: httpx.Headers
    chunks: Iterator[bytes]


def _metadata(pairs: Mapping[str, str | bytes]) -> str:
    """tus ``Upload-Metadata``: ``key base64(value)`` pairs, comma-separated."""
    encoded = []
    for key, value in pairs.items():
        raw = value.encode() if isinstance(value, str) else value
        encoded.append(f"{key} {base64.b64encode(raw).decode()}")
    return ",".join(encoded)


def _error(response: httpx.Response) -> ApiError:
    try:
        envelope = response.json()["error"]
        code, message = str(envelope["code"]), str(envelope["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http.error", response.reason_phrase or "error"
    return ApiError(response.status_code, code, message)


def _int_header(response: httpx.Response, name: str) -> int:
    value = response.headers.get(name, "")
    if not value.isdigit():
        raise ApiError(response.status_code, "client.bad_answer", f"missing or bad {name}")
    return int(value)


class VaultClient:
    """One connection pool to one vault, authenticated by one bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        language: str = "en",
        timeout: httpx.Timeout = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept-Language": language, "User-Agent": "vault-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VaultClient:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc)) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def absolute(self, url: str) -> str:
        """``Location`` may be relative (tus allows both)."""
        return str(self._http.base_url.join(url))

    # -- cases, items, keys ----------------------------------------------------------------------
    def get_case(self, case_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._send("GET", f"/v1/cases/{case_id}").json()
        return found

    def sealed_case_key(self, case_id: str) -> bytes:
        return self._send("GET", f"/v1/cases/{case_id}/key").content

    def item(self, item_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._send("GET", f"/v1/items/{item_id}").json()
        return found

    @contextlib.contextmanager
    def content(self, item_id: str, block: int = 1024 * 1024) -> Iterator[Download]:
        """The item's age ciphertext, streamed (constant memory)."""
        request = self._http.build_request("GET", f"/v1/items/{item_id}/content")
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise NetworkError(str(exc) or repr(exc)) from exc
        try:
            if response.status_code >= 400:
                response.read()
                raise _error(response)

            def chunks() -> Iterator[bytes]:
                try:
                    yield from response.iter_bytes(block)
                except httpx.TransportError as exc:
                    raise NetworkError(str(exc) or repr(exc)) from exc

            yield Download(response.headers, chunks())
        finally:
            response.close()

    def log_key(self) -> str:
        return self._send("GET", "/v1/log/key").text.strip()

    def register_device(self, public_key: str, label: str) -> dict[str, Any]:
        body = {"public_key": public_key, "label": label}
        found: dict[str, Any] = self._send("POST", "/v1/devices", json=body).json()
        return found

    # -- tus 1.0 ---------------------------------------------------------------------------------
    def tus_options(self) -> httpx.Headers:
        return self._send("OPTIONS", "/v1/uploads").headers

    def tus_create(
        self,
        case_id: str,
        length: int,
        statement: str,
        sealed_metadata: bytes | None,
        idempotency_key: str | None = None,
    ) -> UploadStatus:
        pairs: dict[str, str | bytes] = {"case_id": case_id, "statement": statement}
        if sealed_metadata is not None:
            pairs["sealed_metadata"] = sealed_metadata
        headers = {**TUS, "Upload-Length": str(length), "Upload-Metadata": _metadata(pairs)}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self._send("POST", "/v1/uploads", headers=headers)
        location = response.headers.get("location")
        if not location:
            raise ApiError(response.status_code, "client.bad_answer", "missing Location")
        offset = int(response.headers.get("upload-offset", "0") or 0)
        return UploadStatus(self.absolute(location), offset, length)

    def tus_head(self, url: str) -> UploadStatus:
        response = self._send("HEAD", url, headers=TUS)
        return UploadStatus(
            url, _int_header(response, "Upload-Offset"), _int_header(response, "Upload-Length")
        )

    def tus_patch(
        self,
        url: str,
        offset: int,
        chunk: Iterable[bytes],
        size: int,
        checksum: bytes | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        """Send ``size`` bytes at ``offset``; returns the new offset and, when this PATCH
        completed the upload, the signed receipt."""
        headers = {
            **TUS,
            "Content-Type": OFFSET_CONTENT_TYPE,
            "Upload-Offset": str(offset),
            # Declared, so the body streams with a length rather than chunked encoding.
            "Content-Length": str(size),
        }
        if checksum is not None:
            headers["Upload-Checksum"] = f"sha256 {base64.b64encode(checksum).decode()}"
        response = self._send("PATCH", url, headers=headers, content=chunk)
        new_offset = _int_header(response, "Upload-Offset")
        if response.status_code == 200:
            receipt: dict[str, Any] = response.json()
            return new_offset, receipt
        return new_offset, None

    def tus_receipt(self, url: str) -> dict[str, Any]:
        found: dict[str, Any] = self._send("GET", f"{url}/receipt", headers=TUS).json()
        return found

    def tus_delete(self, url: str) -> None:
        self._send("DELETE", url, headers=TUS)
