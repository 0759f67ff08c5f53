"""Resumable client-sealed uploads (tus 1.0) through the real app: creation validates before
any byte, chunks append at the right offset, an interrupted PATCH keeps what arrived, and
only the completing PATCH records an item (with a receipt that verifies)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import vault_testing
from fastapi.testclient import TestClient
from sqlmodel import select

from audit.entry import AuditEntry
from audit.note import VerifierKey
from crypto import age
from crypto.signing import SigningKey
from vault import statements
from vault.clock import now
from vault.context import Vault
from vault.db import session_scope
from vault.models import Item, Upload
from vault.receipts import verify_receipt

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


@dataclass
class Tus:
    vault: Vault
    client: TestClient
    investigator: vault_testing.TestMember
    other: vault_testing.TestMember  # another investigator on the same case
    lawyer: vault_testing.TestMember
    case_id: str
    device_key: SigningKey
    device_id: str

    def headers(self, member: vault_testing.TestMember | None = None) -> dict[str, str]:
        return {**TUS, **(member or self.investigator).headers}


@pytest.fixture
def tus(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., vault_testing.TestMember],
    make_case: Callable[..., str],
) -> Tus:
    investigator = make_member("investigator")
    other = make_member("investigator", "other")
    lawyer = make_member("lawyer")
    case_id = make_case(investigator, other, lawyer)
    key = SigningKey.generate()
    r = client.post(
        "/v1/devices",
        json={"public_key": key.public_key.to_base64(), "label": "laptop"},
        headers=investigator.headers,
    )
    assert r.status_code == 201, r.text
    return Tus(vault, client, investigator, other, lawyer, case_id, key, r.json()["id"])


@dataclass
class Sealed:
    plaintext: bytes
    ciphertext: bytes
    statement: str
    metadata: bytes
    item_id: str


def seal(t: Tus, plaintext: bytes, key: SigningKey | None = None) -> Sealed:
    r = t.client.get(f"/v1/cases/{t.case_id}", headers=t.investigator.headers)
    recipients = [age.X25519Recipient.parse(x) for x in r.json()["recipients"]]
    metadata = age.encrypt(json.dumps({"filename": "photo.jpg"}).encode(), recipients)
    item_id = str(uuid.uuid4())
    fields = {
        "v": 1,
        "case_id": t.case_id,
        "item_id": item_id,
        "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
        "size": len(plaintext),
        "media_type": "image/jpeg",
        "captured_at": "2026-11-20T08:00:00Z",
        "device_id": t.device_id,
        "metadata_sha256": hashlib.sha256(metadata).hexdigest(),
    }
    header = statements.make(fields, key or t.device_key)
    return Sealed(plaintext, age.encrypt(plaintext, recipients), header, metadata, item_id)


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def create(t: Tus, s: Sealed, member: vault_testing.TestMember | None = None, **extra: str) -> Any:
    metadata = (
        f"case_id {b64(t.case_id)},statement {b64(s.statement)},"
        f"sealed_metadata {b64(s.metadata)},filename {b64('never-stored.jpg')}"
    )
    headers = {
        **t.headers(member),
        "Upload-Length": str(len(s.ciphertext)),
        "Upload-Metadata": metadata,
        **extra,
    }
    return t.client.post("/v1/uploads", headers=headers)


def patch(t: Tus, url: str, offset: int, data: bytes, **extra: str) -> Any:
    headers = {**t.headers(), "Content-Type": OCTETS, "Upload-Offset": str(offset), **extra}
    return t.client.patch(url, content=data, headers=headers)


def head_offset(t: Tus, url: str) -> int:
    r = t.client.head(url, headers=t.headers())
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return int(r.headers["Upload-Offset"])


def items(vault: Vault) -> list[Item]:
    with session_scope(vault.engine) as session:
        return list(session.exec(select(Item)))


def entries(vault: Vault) -> list[AuditEntry]:
    with session_scope(vault.engine) as session:
        log = vault.trail.log(session)
        return [AuditEntry.parse(e) for e in log.entries(0, log.size())]


def upload_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def partial_dir(t: Tus, url: str) -> Path:
    return t.vault.settings.data_dir / "uploads" / upload_id(url)


def log_key(t: Tus) -> VerifierKey:
    return VerifierKey.parse(t.client.get("/v1/log/key").text.strip())


# -- discovery and creation ------------------------------------------------------------------


def test_options_advertises_version_extensions_and_limit(tus: Tus) -> None:
    r = tus.client.options("/v1/uploads")
    assert r.status_code == 204
    assert r.headers["Tus-Resumable"] == "1.0.0"
    assert r.headers["Tus-Version"] == "1.0.0"
    extensions = r.headers["Tus-Extension"].split(",")
    assert {"creation", "expiration", "termination"} <= set(extensions)
    assert int(r.headers["Tus-Max-Size"]) == tus.vault.settings.max_upload_bytes
    assert "sha1" in r.headers["Tus-Checksum-Algorithm"].split(",")


def test_a_request_without_tus_resumable_is_412(tus: Tus) -> None:
    s = seal(tus, b"x")
    r = tus.client.post(
        "/v1/uploads",
        headers={**tus.investigator.headers, "Upload-Length": str(len(s.ciphertext))},
    )
    assert r.status_code == 412
    assert r.headers["Tus-Version"] == "1.0.0"
    assert r.json()["error"]["code"] == "tus.version_unsupported"


def test_creation_checks_the_statement_and_the_case_before_any_byte(tus: Tus) -> None:
    forged = seal(tus, b"evidence", key=SigningKey.generate())
    r = create(tus, forged)
    assert r.status_code == 422 and r.json()["error"]["code"] == "statement.signature"
    assert r.headers["Tus-Resumable"] == "1.0.0"

    s = seal(tus, b"evidence")
    r = create(tus, s, member=tus.lawyer)  # a lawyer may not upload
    assert r.status_code in (403, 404), r.text

    outsider_case = f"case_id {b64(str(uuid.uuid4()))},statement {b64(s.statement)}"
    r = tus.client.post(
        "/v1/uploads",
        headers={**tus.headers(), "Upload-Length": "100", "Upload-Metadata": outsider_case},
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "case.not_found"

    r = tus.client.post(
        "/v1/uploads",
        headers={**tus.headers(), "Upload-Length": "100", "Upload-Metadata": "statement !!"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "upload.metadata_invalid"

    with session_scope(tus.vault.engine) as session:
        assert session.exec(select(Upload)).all() == []
    assert not (tus.vault.settings.data_dir / "uploads").exists() or not any(
        (tus.vault.settings.data_dir / "uploads").iterdir()
    )


def test_creation_over_the_size_limit_is_413(tus: Tus) -> None:
    s = seal(tus, b"x")
    r = create(tus, s, **{"Upload-Length": str(tus.vault.settings.max_upload_bytes + 1)})
    assert r.status_code == 413


def test_a_retried_creation_finds_the_same_upload(tus: Tus) -> None:
    s = seal(tus, b"evidence")
    first, second = create(tus, s), create(tus, s)
    assert first.status_code == second.status_code == 201
    assert first.headers["Location"] == second.headers["Location"]


# -- the whole flow ----------------------------------------------------------------------------


def test_upload_in_several_patches_completes_with_a_receipt(tus: Tus) -> None:
    s = seal(tus, os.urandom(300_000))
    r = create(tus, s)
    assert r.status_code == 201, r.text
    url = r.headers["Location"]
    assert r.headers["Upload-Offset"] == "0" and "GMT" in r.headers["Upload-Expires"]
    assert head_offset(tus, url) == 0

    ct, step = s.ciphertext, 100_000
    offset = 0
    while offset + step < len(ct):
        r = patch(tus, url, offset, ct[offset : offset + step])
        assert r.status_code == 204, r.text
        offset += step
        assert int(r.headers["Upload-Offset"]) == offset == head_offset(tus, url)
        assert items(tus.vault) == []  # nothing is evidence until the last byte

    r = patch(tus, url, offset, ct[offset:])
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert int(r.headers["Upload-Offset"]) == len(ct)
    verify_receipt(receipt, log_key(tus))
    assert receipt["item_id"] == s.item_id
    assert receipt["ciphertext_sha256"] == hashlib.sha256(ct).hexdigest()
    assert receipt["plaintext_sha256"] == hashlib.sha256(s.plaintext).hexdigest()

    [item] = items(tus.vault)
    assert (item.id, item.mode, item.ciphertext_size) == (s.item_id, "client_sealed", len(ct))
    assert item.sealed_metadata == s.metadata
    with tus.vault.store.open(item.object_key) as stored:
        assert stored.read_all() == ct

    # The partial copy is gone; the receipt stays retrievable; HEAD says complete.
    assert not (partial_dir(tus, url) / "partial").exists()
    again = tus.client.get(f"{url}/receipt", headers=tus.headers())
    assert again.status_code == 200 and again.json() == receipt
    assert head_offset(tus, url) == len(ct)
    # A repeated final PATCH (the answer was lost) gives the same receipt, records nothing.
    r = patch(tus, url, len(ct), b"")
    assert r.status_code == 200 and r.json() == receipt
    assert len(items(tus.vault)) == 1


def test_every_step_is_audited_and_only_completion_records_the_item(tus: Tus) -> None:
    s = seal(tus, os.urandom(5000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:1000]).status_code == 204
    head_offset(tus, url)

    assert items(tus.vault) == []
    steps = [e for e in entries(tus.vault) if e.action == "item.upload"]
    assert [e.details["tus"] for e in steps] == ["create", "patch", "head"]
    assert all(e.subject.item is None for e in steps)  # no entry records an item yet
    assert steps[0].details["statement_item"] == s.item_id
    assert (steps[1].details["from"], steps[1].details["to"]) == (0, 1000)
    text = json.dumps([e.details for e in steps])
    assert "never-stored" not in text  # an unsealed filename never reaches the log

    assert patch(tus, url, 1000, s.ciphertext[1000:]).status_code == 200
    recorded = [e for e in entries(tus.vault) if e.subject.item == s.item_id]
    assert len(recorded) == 1 and recorded[0].details["ciphertext_sha256"]


def test_a_wrong_offset_is_409_and_changes_nothing(tus: Tus) -> None:
    s = seal(tus, os.urandom(2000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:500]).status_code == 204
    r = patch(tus, url, 400, s.ciphertext[400:900])
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "upload.offset_mismatch"
    assert head_offset(tus, url) == 500
    assert (partial_dir(tus, url) / "partial").read_bytes() == s.ciphertext[:500]


def test_wrong_content_type_is_415(tus: Tus) -> None:
    s = seal(tus, b"abc")
    url = create(tus, s).headers["Location"]
    r = patch(tus, url, 0, s.ciphertext, **{"Content-Type": "application/octet-stream"})
    assert r.status_code == 415
    assert head_offset(tus, url) == 0


def test_bytes_past_the_declared_length_are_refused(tus: Tus) -> None:
    s = seal(tus, b"abc")
    url = create(tus, s).headers["Location"]
    r = patch(tus, url, 0, s.ciphertext + b"extra")
    assert r.status_code == 413
    assert head_offset(tus, url) == 0


def test_a_body_that_is_not_age_is_refused_at_the_first_byte(tus: Tus) -> None:
    s = seal(tus, b"abc")
    url = create(tus, s).headers["Location"]
    r = patch(tus, url, 0, b"PLAINTEXT" + s.ciphertext[9:])
    assert r.status_code == 400 and r.json()["error"]["code"] == "upload.not_age"
    assert head_offset(tus, url) == 0


def test_checksums_are_checked_per_chunk(tus: Tus) -> None:
    s = seal(tus, os.urandom(1000))
    url = create(tus, s).headers["Location"]
    chunk = s.ciphertext[:300]
    bad = "sha256 " + b64(hashlib.sha256(b"other").digest())
    r = patch(tus, url, 0, chunk, **{"Upload-Checksum": bad})
    assert r.status_code == 460 and r.json()["error"]["code"] == "upload.checksum_mismatch"
    assert head_offset(tus, url) == 0
    good = "sha1 " + b64(hashlib.sha1(chunk).digest())
    assert patch(tus, url, 0, chunk, **{"Upload-Checksum": good}).status_code == 204
    r = patch(tus, url, 300, s.ciphertext[300:], **{"Upload-Checksum": "md4 AAAA"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "upload.checksum_unsupported"


# -- interruption ------------------------------------------------------------------------------


def interrupted_patch(t: Tus, url: str, offset: int, sent: bytes) -> int:
    """Drive the ASGI app directly: deliver ``sent`` of a longer body, then a disconnect, the
    way uvicorn reports a client whose connection dropped mid-PATCH.  Returns the status."""
    app = t.client.app
    headers = {**t.headers(), "Content-Type": OCTETS, "Upload-Offset": str(offset)}
    headers["Content-Length"] = str(len(sent) + 10_000)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": sent[:700], "more_body": True},
        {"type": "http.request", "body": sent[700:], "more_body": True},
        {"type": "http.disconnect"},
    ]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # pragma: no cover - the app stops reading at disconnect
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return statuses[0] if statuses else 0


def test_an_interrupted_patch_keeps_what_arrived_and_resumes(tus: Tus) -> None:
    s = seal(tus, os.urandom(40_000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:1000]).status_code == 204

    interrupted_patch(tus, url, 1000, s.ciphertext[1000:6000])
    offset = head_offset(tus, url)
    assert offset == 6000  # everything that arrived was fsynced and acknowledged
    assert (partial_dir(tus, url) / "partial").read_bytes() == s.ciphertext[:6000]
    assert items(tus.vault) == []
    steps = [e.details for e in entries(tus.vault) if e.details.get("tus") == "patch"]
    assert steps[-1]["interrupted"] is True

    r = patch(tus, url, offset, s.ciphertext[offset:])
    assert r.status_code == 200, r.text
    verify_receipt(r.json(), log_key(tus))
    [item] = items(tus.vault)
    assert item.ciphertext_sha256 == hashlib.sha256(s.ciphertext).hexdigest()


def test_unacknowledged_bytes_on_disk_are_dropped(tus: Tus) -> None:
    """A crash between the fsync and the database commit leaves bytes the client was never
    told about; the row's offset wins and the next PATCH overwrites them."""
    s = seal(tus, os.urandom(3000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:1000]).status_code == 204
    with (partial_dir(tus, url) / "partial").open("ab") as fh:
        fh.write(b"garbage that was never acknowledged")
    assert head_offset(tus, url) == 1000
    assert patch(tus, url, 1000, s.ciphertext[1000:]).status_code == 200
    [item] = items(tus.vault)
    assert item.ciphertext_sha256 == hashlib.sha256(s.ciphertext).hexdigest()


# -- ownership, expiry, termination ------------------------------------------------------------


def test_another_member_cannot_touch_an_upload(tus: Tus) -> None:
    s = seal(tus, os.urandom(1000))
    url = create(tus, s).headers["Location"]
    other = tus.headers(tus.other)
    for r in (
        tus.client.head(url, headers=other),
        tus.client.patch(
            url,
            content=s.ciphertext,
            headers={**other, "Content-Type": OCTETS, "Upload-Offset": "0"},
        ),
        tus.client.delete(url, headers=other),
        tus.client.get(f"{url}/receipt", headers=other),
    ):
        assert r.status_code == 404, r.text
    assert tus.client.get(f"{url}/receipt", headers=other).json()["error"]["code"] == (
        "upload.not_found"
    )
    assert head_offset(tus, url) == 0 and items(tus.vault) == []
    denied = [e for e in entries(tus.vault) if e.outcome.result == "denied"]
    assert len(denied) == 5 and all(e.actor.id == tus.other.id for e in denied)
    assert all(e.subject.case is None for e in denied)


def test_an_expired_upload_is_410_and_cleaned_up(tus: Tus) -> None:
    s = seal(tus, os.urandom(1000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:100]).status_code == 204
    with session_scope(tus.vault.engine) as session:
        row = session.get(Upload, upload_id(url))
        assert row is not None
        row.expires_at = now() - timedelta(seconds=1)
        session.add(row)
    r = patch(tus, url, 100, s.ciphertext[100:])
    assert r.status_code == 410 and r.json()["error"]["code"] == "upload.expired"
    assert not partial_dir(tus, url).exists()
    assert tus.client.head(url, headers=tus.headers()).status_code == 404
    assert items(tus.vault) == []


def test_creation_sweeps_other_expired_uploads(tus: Tus) -> None:
    s = seal(tus, os.urandom(100))
    url = create(tus, s).headers["Location"]
    with session_scope(tus.vault.engine) as session:
        row = session.get(Upload, upload_id(url))
        assert row is not None
        row.expires_at = now() - timedelta(seconds=1)
        session.add(row)
    assert create(tus, seal(tus, b"next")).status_code == 201
    assert not partial_dir(tus, url).exists()


def test_delete_removes_the_partial_data(tus: Tus) -> None:
    s = seal(tus, os.urandom(1000))
    url = create(tus, s).headers["Location"]
    assert patch(tus, url, 0, s.ciphertext[:500]).status_code == 204
    assert partial_dir(tus, url).exists()
    r = tus.client.delete(url, headers=tus.headers())
    assert r.status_code == 204 and r.headers["Tus-Resumable"] == "1.0.0"
    assert not partial_dir(tus, url).exists()
    assert tus.client.head(url, headers=tus.headers()).status_code == 404
    with session_scope(tus.vault.engine) as session:
        assert session.get(Upload, upload_id(url)) is None
    assert items(tus.vault) == []
    assert any(e.details.get("tus") == "terminate" for e in entries(tus.vault))


def test_receipt_before_completion_is_409(tus: Tus) -> None:
    s = seal(tus, os.urandom(1000))
    url = create(tus, s).headers["Location"]
    r = tus.client.get(f"{url}/receipt", headers=tus.headers())
    assert r.status_code == 409 and r.json()["error"]["code"] == "upload.incomplete"
