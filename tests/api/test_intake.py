"""Intake end to end over HTTP, on both object stores (filesystem, and S3 on moto).

Every accepted upload is checked the way a lawyer would check it, with no vault code in the
loop for the plaintext: the receipt verifies against the log key; the ciphertext downloads
with the right headers; the sealed case key opens with the lawyer's own identity; and the
``age`` command decrypts the ciphertext to bytes whose SHA-256 is the receipt's.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live_server import serve
from sqlmodel import select
from vault_testing import TestMember, log_size, require_tool

from api.app import create_app
from crypto import age
from crypto.signing import SigningKey
from storage.filesystem import FilesystemStore
from vault import i18n, statements
from vault.context import Vault
from vault.db import session_scope
from vault.models import AuditLeaf, IdempotencyRecord, Item
from vault.receipts import verify_receipt
from vault.settings import Settings

SIZES = [0, 1, 65536, 65537, 3 * 1024 * 1024 + 17]
# Bad inputs are refused before the store is touched: they run on the filesystem store only.
FS_ONLY = pytest.mark.parametrize("vault", ["filesystem"], indirect=True)
FR = {"Accept-Language": "fr"}


@pytest.fixture(params=["filesystem", "s3"])
def vault(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Vault]:
    """Overrides the conftest vault: every test here runs on both object stores."""
    chosen = settings if request.param == "filesystem" else request.getfixturevalue("s3_settings")
    v = Vault.open(chosen)
    yield v
    v.close()


@dataclass
class World:
    vault: Vault
    client: TestClient
    investigator: TestMember
    lawyer: TestMember
    case_id: str
    device_key: SigningKey
    device_id: str
    tmp: Path


@pytest.fixture
def world(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
    tmp_path: Path,
) -> World:
    investigator = make_member("investigator")
    lawyer = make_member("lawyer")
    case_id = make_case(investigator, lawyer)
    device_key = SigningKey.generate()
    r = client.post(
        "/v1/devices",
        json={"public_key": device_key.public_key.to_base64(), "label": "phone"},
        headers=investigator.headers,
    )
    assert r.status_code == 201, r.text
    return World(vault, client, investigator, lawyer, case_id, device_key, r.json()["id"], tmp_path)


# -- helpers ---------------------------------------------------------------------------------


def payload(size: int) -> bytes:
    return os.urandom(size)


def item_count(vault: Vault) -> int:
    with session_scope(vault.engine) as session:
        return len(session.exec(select(Item)).all())


def stored_keys(vault: Vault) -> list[str]:
    return list(vault.store.keys("items/"))


def temp_files(vault: Vault) -> list[str]:
    """The filesystem store's files in progress (none for S3)."""
    if isinstance(vault.store, FilesystemStore):
        return sorted(os.listdir(vault.store.root / "tmp"))
    return []


def upload_actions(vault: Vault) -> list[tuple[str, str]]:
    """(action, outcome) of every audit entry, in log order."""
    with session_scope(vault.engine) as session:
        leaves = session.exec(select(AuditLeaf).order_by(AuditLeaf.idx)).all()  # type: ignore[arg-type]
        out = []
        for leaf in leaves:
            entry = json.loads(leaf.entry)
            out.append((entry["action"], entry["outcome"]["result"]))
        return out


def capture_statement(
    w: World, data: bytes, *, key: SigningKey | None = None, **override: Any
) -> tuple[str, dict[str, Any]]:
    fields: dict[str, Any] = {
        "v": 1,
        "case_id": w.case_id,
        "item_id": str(uuid.uuid4()),
        "plaintext_sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": "video/mp4",
        "captured_at": "2026-03-01T10:00:00Z",
        "device_id": w.device_id,
    }
    fields.update(override)
    return statements.make(fields, key or w.device_key), fields


def case_recipients(w: World) -> list[age.X25519Recipient]:
    r = w.client.get(f"/v1/cases/{w.case_id}", headers=w.investigator.headers)
    assert r.status_code == 200, r.text
    return [age.X25519Recipient.parse(t) for t in r.json()["recipients"]]


def age_decrypt(identity_text: str, ciphertext: bytes, tmp: Path) -> bytes:
    """The age command, not our code, decrypts."""
    tool = require_tool("age")
    name = uuid.uuid4().hex
    key_file, in_file = tmp / f"{name}.key", tmp / f"{name}.age"
    key_file.write_text(identity_text + "\n")
    key_file.chmod(0o600)
    in_file.write_bytes(ciphertext)
    proc = subprocess.run(
        [tool, "-d", "-i", str(key_file), str(in_file)], capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def case_identity(w: World) -> str:
    """The lawyer opens the sealed case key with their own identity (age command)."""
    assert w.lawyer.identity is not None
    r = w.client.get(f"/v1/cases/{w.case_id}/key", headers=w.lawyer.headers)
    assert r.status_code == 200, r.text
    own = w.lawyer.identity.encode()  # type: ignore[attr-defined]
    return age_decrypt(own, r.content, w.tmp).decode().strip()


def check_accepted(w: World, receipt: dict[str, Any], plaintext: bytes) -> bytes:
    """Everything a lawyer can check about an accepted upload; returns the ciphertext."""
    verify_receipt(receipt, w.vault.trail.verifier_key)
    expected = hashlib.sha256(plaintext).hexdigest()
    assert receipt["plaintext_sha256"] == expected
    assert receipt["size"] == len(plaintext)
    r = w.client.get(f"/v1/items/{receipt['item_id']}/content", headers=w.lawyer.headers)
    assert r.status_code == 200, r.text
    ciphertext = r.content
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"
    digest = base64.b64encode(hashlib.sha256(ciphertext).digest()).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert hashlib.sha256(ciphertext).hexdigest() == receipt["ciphertext_sha256"]
    assert len(ciphertext) == receipt["ciphertext_size"]
    assert ciphertext.startswith(b"age-encryption.org/v1\n")
    if len(plaintext) >= 32:
        assert plaintext[:32] not in ciphertext
    decrypted = age_decrypt(case_identity(w), ciphertext, w.tmp)
    assert hashlib.sha256(decrypted).hexdigest() == receipt["plaintext_sha256"]
    assert decrypted == plaintext
    return ciphertext


def sealed_metadata(w: World, item_id: str) -> dict[str, Any]:
    with session_scope(w.vault.engine) as session:
        item = session.get(Item, item_id)
        assert item is not None and item.sealed_metadata is not None
        blob = item.sealed_metadata
    identity = age.X25519Identity.parse(case_identity(w))
    return json.loads(age.decrypt(blob, [identity]))  # type: ignore[no-any-return]


def assert_error(r: Any, status: int, code: str) -> None:
    """A stable code and a French message (when the catalogue has one: a separate test below
    fails for every intake code that the catalogue lacks)."""
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert r.headers["content-language"] == "fr"
    template = i18n.catalogue("fr").get(code)
    if template is not None:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{\w+\\\}", ".+", pattern)
        assert re.fullmatch(pattern, r.json()["error"]["message"]), r.json()


# -- server-sealed ---------------------------------------------------------------------------


@pytest.mark.age_cli
@pytest.mark.parametrize("size", SIZES)
def test_server_sealed_raw_upload_round_trips(world: World, size: int) -> None:
    data = payload(size)
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items",
        content=data,
        headers={
            **world.investigator.headers,
            "Content-Type": "image/jpeg",
            "Vault-Filename": "IMG_0001.jpg",
        },
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    check_accepted(world, receipt, data)
    assert "IMG_0001" not in r.text
    meta = sealed_metadata(world, receipt["item_id"])
    assert meta["filename"] == "IMG_0001.jpg"
    assert meta["media_type"] == "image/jpeg"
    item = world.client.get(f"/v1/items/{receipt['item_id']}", headers=world.lawyer.headers)
    assert item.status_code == 200
    assert item.json()["sha1"] == hashlib.sha1(data).hexdigest()
    assert item.json()["md5"] == hashlib.md5(data).hexdigest()
    assert item.json()["mode"] == "server_sealed"
    assert "IMG_0001" not in item.text


@pytest.mark.age_cli
@pytest.mark.parametrize("size", SIZES)
def test_multipart_upload_round_trips_and_seals_the_filename(world: World, size: int) -> None:
    data = payload(size)
    filename = f"témoin-{uuid.uuid4().hex[:8]}.mp4"
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items",
        files={"file": (filename, data, "video/mp4")},
        data={"other": "ignored field"},
        headers=world.investigator.headers,
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    check_accepted(world, receipt, data)
    assert filename not in r.text
    meta = sealed_metadata(world, receipt["item_id"])
    assert meta["filename"] == filename
    assert meta["media_type"] == "video/mp4"
    item = world.client.get(f"/v1/items/{receipt['item_id']}", headers=world.lawyer.headers)
    assert filename not in item.text
    assert item.json()["media_type"] == "video/mp4"


@pytest.mark.age_cli
@pytest.mark.parametrize("length", [1, 65536, 900_000])
def test_testimony_round_trips(world: World, length: int) -> None:
    statement = ("Le témoin déclare " * (length // 18 + 1))[:length]
    body = {
        "statement": statement,
        "language": "fr",
        "interview_date": "2026-02-11",
        "interview_place": "Mopti",
        "incident_date": "2025-12-24",
        "incident_place": "Ogossagou",
        "violation_types": ["arbitrary_detention"],
        "victims": ["V-017"],
        "perpetrators": ["P-003"],
        "consent": {"court": True, "partners": False, "public": False},
        "interpreter": "I-2",
    }
    r = world.client.post(
        f"/v1/cases/{world.case_id}/testimonies", json=body, headers=world.investigator.headers
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["kind"] == "testimony"
    verify_receipt(receipt, world.vault.trail.verifier_key)
    ciphertext = world.client.get(
        f"/v1/items/{receipt['item_id']}/content", headers=world.lawyer.headers
    ).content
    document = age_decrypt(case_identity(world), ciphertext, world.tmp)
    assert hashlib.sha256(document).hexdigest() == receipt["plaintext_sha256"]
    stored = json.loads(document)
    assert stored["statement"] == statement
    assert stored["victims"] == ["V-017"]
    assert stored["consent"] == {"court": True, "partners": False, "public": False}
    check_accepted(world, receipt, document)


@FS_ONLY
@pytest.mark.parametrize(
    "body",
    [
        {},  # statement is required
        {"statement": ""},
        {"statement": "x", "interview_date": "yesterday"},
        {"statement": "x", "role": "admin"},  # unknown fields are refused
        {"statement": "x", "consent": {"court": "maybe"}},
    ],
)
def test_invalid_testimony_is_422_and_records_nothing(world: World, body: dict[str, Any]) -> None:
    before = log_size(world.vault)
    r = world.client.post(
        f"/v1/cases/{world.case_id}/testimonies",
        json=body,
        headers={**world.investigator.headers, **FR},
    )
    assert_error(r, 422, "testimony.invalid")
    assert item_count(world.vault) == 0
    assert log_size(world.vault) == before


@FS_ONLY
def test_testimony_that_is_not_json_is_422(world: World) -> None:
    r = world.client.post(
        f"/v1/cases/{world.case_id}/testimonies",
        content=b"\xff\xfe not json",
        headers={**world.investigator.headers, **FR, "Content-Type": "application/json"},
    )
    assert_error(r, 422, "testimony.invalid")


# -- client-sealed ---------------------------------------------------------------------------


@pytest.mark.age_cli
@pytest.mark.parametrize("size", SIZES)
def test_client_sealed_upload_round_trips(world: World, size: int) -> None:
    data = payload(size)
    ciphertext = age.encrypt(data, case_recipients(world))
    header, fields = capture_statement(world, data)
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items/sealed",
        content=ciphertext,
        headers={**world.investigator.headers, "Vault-Statement": header},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["item_id"] == fields["item_id"]
    stored = check_accepted(world, receipt, data)
    assert stored == ciphertext  # the server stored exactly the client's bytes
    item = world.client.get(f"/v1/items/{receipt['item_id']}", headers=world.lawyer.headers)
    assert item.json()["mode"] == "client_sealed"
    assert item.json()["device_id"] == world.device_id


@pytest.mark.age_cli
def test_client_sealed_upload_with_sealed_metadata(world: World) -> None:
    data = payload(1000)
    recipients = case_recipients(world)
    meta_blob = age.encrypt(json.dumps({"filename": "cam.mp4"}).encode(), recipients)
    header, _ = capture_statement(
        world, data, metadata_sha256=hashlib.sha256(meta_blob).hexdigest()
    )
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items/sealed",
        content=age.encrypt(data, recipients),
        headers={
            **world.investigator.headers,
            "Vault-Statement": header,
            "Vault-Sealed-Metadata": base64.b64encode(meta_blob).decode(),
        },
    )
    assert r.status_code == 201, r.text
    check_accepted(world, r.json(), data)
    assert sealed_metadata(world, r.json()["item_id"]) == {"filename": "cam.mp4"}


# -- bad inputs: a 4xx with a stable code, in French, and nothing stored ---------------------


def assert_nothing_stored(w: World) -> None:
    assert item_count(w.vault) == 0
    assert stored_keys(w.vault) == []
    assert temp_files(w.vault) == []
    assert ("item.upload", "allowed") not in upload_actions(w.vault)


@FS_ONLY
def test_declared_length_over_the_limit_is_413(world: World) -> None:
    world.vault.settings.max_upload_bytes = 1000
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items",
        content=b"x" * 1001,
        headers={**world.investigator.headers, **FR},
    )
    assert_error(r, 413, "upload.too_large")
    assert_nothing_stored(world)
    ok = world.client.post(
        f"/v1/cases/{world.case_id}/items", content=b"x" * 1000, headers=world.investigator.headers
    )
    assert ok.status_code == 201, ok.text


@FS_ONLY
def test_chunked_multipart_over_the_limit_is_413(world: World) -> None:
    world.vault.settings.max_upload_bytes = 100_000
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(4):
            yield b"z" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r = world.client.post(
        f"/v1/cases/{world.case_id}/items",
        content=body(),
        headers={
            **world.investigator.headers,
            **FR,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert_error(r, 413, "upload.too_large")
    assert_nothing_stored(world)


@FS_ONLY
@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        ("multipart/form-data", b"--x\r\n", "upload.multipart_malformed"),  # no boundary
        ("multipart/form-data; boundary=x", b"garbage that is not multipart", None),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--x--\r\n',
            "upload.multipart_no_file",
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            "upload.multipart_malformed",  # truncated: no closing boundary
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\n" + b"X-Long: " + b"h" * 20_000 + b"\r\n\r\nabc\r\n--x--\r\n",
            "upload.multipart_malformed",  # part headers over the bound
        ),
    ],
)
def test_bad_multipart_is_400(
    world: World, content_type: str, body: bytes, code: str | None
) -> None:
    r = world.client.post(
        f"/v1/cases/{world.case_id}/items",
        content=body,
        headers={**world.investigator.headers, **FR, "Content-Type": content_type},
    )
    if code is None:  # either refusal is right for garbage; it must be one of them
        assert r.status_code == 400, r.text
        code = r.json()["error"]["code"]
        assert code in ("upload.multipart_malformed", "upload.multipart_no_file")
    assert_error(r, 400, code)
    assert_nothing_stored(world)


def _sealed_post(w: World, ciphertext: bytes, header: str | None, **extra: str) -> Any:
    headers = {**w.investigator.headers, **FR, **extra}
    if header is not None:
        headers["Vault-Statement"] = header
    return w.client.post(f"/v1/cases/{w.case_id}/items/sealed", content=ciphertext, headers=headers)


@FS_ONLY
def test_missing_statement_is_400(world: World) -> None:
    ciphertext = age.encrypt(b"data", case_recipients(world))
    assert_error(_sealed_post(world, ciphertext, None), 400, "statement.missing")
    assert_nothing_stored(world)


@FS_ONLY
@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h + "x",  # not canonical base64url
        lambda h: h.replace(".", ""),  # no signature part
        lambda h: "e30." + h.split(".")[1],  # {} : missing fields
        lambda h: "!!!." + h.split(".")[1],
        lambda h: h.split(".")[0] + ".AAAA",  # signature of the wrong length
    ],
)
def test_malformed_statement_is_400(world: World, mangle: Callable[[str], str]) -> None:
    data = b"data"
    header, _ = capture_statement(world, data)
    r = _sealed_post(world, age.encrypt(data, case_recipients(world)), mangle(header))
    assert_error(r, 400, "statement.malformed")
    assert_nothing_stored(world)


@FS_ONLY
def test_statement_with_a_bad_signature_is_422(world: World) -> None:
    data = b"data"
    header, _ = capture_statement(world, data, key=SigningKey.generate())
    r = _sealed_post(world, age.encrypt(data, case_recipients(world)), header)
    assert_error(r, 422, "statement.signature")
    assert_nothing_stored(world)
    assert ("item.upload", "denied") in upload_actions(world.vault)  # the refusal is audited


@FS_ONLY
def test_statement_for_another_case_is_422(world: World, make_case: Callable[..., str]) -> None:
    other = make_case(world.investigator, title="other")
    data = b"data"
    header, _ = capture_statement(world, data, case_id=other)
    r = _sealed_post(world, age.encrypt(data, case_recipients(world)), header)
    assert_error(r, 422, "statement.mismatch")
    assert_nothing_stored(world)


@FS_ONLY
def test_statement_from_an_unknown_device_is_422(world: World) -> None:
    data = b"data"
    header, _ = capture_statement(world, data, device_id=str(uuid.uuid4()))
    r = _sealed_post(world, age.encrypt(data, case_recipients(world)), header)
    assert_error(r, 422, "statement.device_unknown")
    assert_nothing_stored(world)


@FS_ONLY
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"plain text, not age",
        b"age-encryption.org/v1\n-> X25519 garbage\n",
        b"-----BEGIN AGE ENCRYPTED FILE-----\n",
    ],
)
def test_non_age_body_on_the_sealed_route_is_400(world: World, body: bytes) -> None:
    header, _ = capture_statement(world, body)
    r = _sealed_post(world, body, header)
    assert_error(r, 400, "upload.not_age")
    assert_nothing_stored(world)


@FS_ONLY
@pytest.mark.parametrize("route", ["items", "items/sealed", "testimonies"])
def test_unknown_case_is_404(world: World, route: str) -> None:
    unknown = str(uuid.uuid4())
    header, _ = capture_statement(world, b"x", case_id=unknown)
    r = world.client.post(
        f"/v1/cases/{unknown}/{route}",
        content=b'{"statement": "x"}',
        headers={**world.investigator.headers, **FR, "Vault-Statement": header},
    )
    assert_error(r, 404, "case.not_found")
    assert_nothing_stored(world)
    assert upload_actions(world.vault)[-1] == ("item.upload", "denied")  # the denial is audited


# -- idempotency -----------------------------------------------------------------------------


def test_retry_with_the_same_idempotency_key_returns_the_same_receipt(world: World) -> None:
    headers = {**world.investigator.headers, "Idempotency-Key": "retry-0001"}
    data = payload(70_000)
    url = f"/v1/cases/{world.case_id}/items"
    first = world.client.post(url, content=data, headers=headers)
    assert first.status_code == 201, first.text
    keys = stored_keys(world.vault)
    again = world.client.post(url, content=data, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert item_count(world.vault) == 1
    assert stored_keys(world.vault) == keys
    assert temp_files(world.vault) == []
    with session_scope(world.vault.engine) as session:
        assert len(session.exec(select(IdempotencyRecord)).all()) == 1


@FS_ONLY
def test_client_sealed_retry_returns_the_same_receipt(world: World) -> None:
    data = payload(5000)
    ciphertext = age.encrypt(data, case_recipients(world))
    header, _ = capture_statement(world, data)
    extra = {"Idempotency-Key": "sealed-0001"}
    first = _sealed_post(world, ciphertext, header, **extra)
    assert first.status_code == 201, first.text
    again = _sealed_post(world, ciphertext, header, **extra)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert item_count(world.vault) == 1


@FS_ONLY
def test_same_key_with_a_different_request_is_409(world: World) -> None:
    headers = {**world.investigator.headers, **FR, "Idempotency-Key": "retry-0002"}
    url = f"/v1/cases/{world.case_id}/items"
    first = world.client.post(url, content=b"one", headers=headers)
    assert first.status_code == 201, first.text
    other = world.client.post(url, content=b"one", headers={**headers, "Content-Type": "image/png"})
    assert_error(other, 409, "idempotency.mismatch")
    testimony = world.client.post(
        f"/v1/cases/{world.case_id}/testimonies", json={"statement": "x"}, headers=headers
    )
    assert_error(testimony, 409, "idempotency.mismatch")
    assert item_count(world.vault) == 1


@FS_ONLY
def test_same_key_with_a_different_body_is_409(world: World) -> None:
    """The key names one request: different bytes under the same key must not be answered
    with the first upload's receipt (the client would believe the vault holds its file)."""
    headers = {**world.investigator.headers, **FR, "Idempotency-Key": "retry-0003"}
    url = f"/v1/cases/{world.case_id}/items"
    first = world.client.post(url, content=b"the first file", headers=headers)
    assert first.status_code == 201, first.text
    before = log_size(world.vault)
    other = world.client.post(url, content=b"a different file", headers=headers)
    assert_error(other, 409, "idempotency.mismatch")
    assert item_count(world.vault) == 1
    assert log_size(world.vault) == before  # no "allowed" replay entry for a refused retry
    again = world.client.post(url, content=b"the first file", headers=headers)
    assert again.json() == first.json()
    assert log_size(world.vault) == before + 1
    assert upload_actions(world.vault)[-1] == ("item.upload", "allowed")


# -- limits enforced before reading the body (needs a real server: TestClient reads ahead) --


@pytest.fixture
def live_url(vault: Vault) -> Iterator[str]:
    """The real app under uvicorn (httptools, as ``vault serve`` runs it)."""
    with serve(create_app(vault=vault)) as url:
        yield url.removeprefix("http://")


def test_content_length_over_the_limit_is_refused_before_the_body_is_sent(
    world: World, live_url: str
) -> None:
    """Only the headers are sent: an answer proves the server did not wait for the body."""
    world.vault.settings.max_upload_bytes = 1000
    host, port = live_url.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            (
                f"POST /v1/cases/{world.case_id}/items HTTP/1.1\r\nHost: {live_url}\r\n"
                f"Authorization: Bearer {world.investigator.token}\r\n"
                "Accept-Language: fr\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {10 * 1024**3}\r\n\r\n"
            ).encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, "connection closed without an answer"
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"upload.too_large" in answer or b"content-length" in answer.lower()
    assert_nothing_stored(world)


# -- catalogue -------------------------------------------------------------------------------

INTAKE_CODES = [
    "upload.too_large",
    "upload.multipart_malformed",
    "upload.multipart_no_file",
    "upload.not_age",
    "testimony.invalid",
    "statement.missing",
    "statement.malformed",
    "statement.signature",
    "statement.mismatch",
    "statement.device_unknown",
    "statement.item_exists",
    "statement.metadata_missing",
    "statement.metadata_malformed",
    "idempotency.mismatch",
    "case.not_found",
    "storage.unavailable",
    "database.unavailable",
]


@pytest.mark.parametrize("code", INTAKE_CODES)
def test_every_intake_error_has_a_french_and_an_english_message(code: str) -> None:
    assert code in i18n.catalogue("en"), f"{code} has no English message"
    assert code in i18n.catalogue("fr"), f"{code} has no French message"
    assert i18n.catalogue("fr")[code] != i18n.catalogue("en")[code]


def test_chunked_body_over_the_limit_is_413_and_the_server_stops_reading(
    world: World, live_url: str
) -> None:
    """No Content-Length: the limit is enforced while streaming.  The client keeps sending
    until it gets an answer; it must get 413 long before it has sent everything."""
    world.vault.settings.max_upload_bytes = 200_000
    host, port = live_url.split(":")
    chunk = b"y" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    total_frames, sent = 2048, 0  # 128 MiB if the server read it all
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /v1/cases/{world.case_id}/items HTTP/1.1\r\nHost: {live_url}\r\n"
                f"Authorization: Bearer {world.investigator.token}\r\n"
                "Accept-Language: fr\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        sock.setblocking(False)
        pending = b""
        while sent < total_frames and not answer:
            with contextlib.suppress(BlockingIOError):
                answer = sock.recv(65536)
            if not pending:
                pending, sent = frame, sent + 1
            try:
                pending = pending[sock.send(pending) :]
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"upload.too_large" in answer
    assert sent < total_frames // 4, f"the client could send {sent} chunks"
    assert_nothing_stored(world)
