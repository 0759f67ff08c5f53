"""No plaintext at rest: a random marker sent in every place an investigator can put words
(content, filename, testimony statement and notes, client-sealed metadata) appears nowhere
the server keeps anything: objects, the SQLite database and its WAL, temp directories, the
S3 bucket (every version), and the log output."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from minio import Minio
from vault_testing import TestMember

from api.app import create_app
from crypto import age
from crypto.signing import SigningKey
from vault import statements
from vault.context import Vault
from vault.logs import configure_logging
from vault.settings import Settings


@pytest.fixture(params=["filesystem", "s3"])
def vault(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Vault]:
    chosen = settings if request.param == "filesystem" else request.getfixturevalue("s3_settings")
    v = Vault.open(chosen)
    yield v
    v.close()


def forms(marker: str) -> list[bytes]:
    """The marker as it could be written: raw UTF-8, JSON-escaped, UTF-16, base64."""
    raw = marker.encode()
    return [
        raw,
        marker.encode("utf-16-le"),
        base64.b64encode(raw)[:-4],
        base64.urlsafe_b64encode(raw)[:-4],
        json.dumps(marker).encode()[1:-1],
    ]


def files_under(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            yield Path(dirpath) / name


def assert_absent(marker: str, blob: bytes, where: str) -> None:
    for form in forms(marker):
        assert form not in blob, f"marker found in {where} as {form!r}"


def scan_data_dir(vault: Vault, marker: str) -> set[str]:
    names = set()
    for path in files_under(vault.settings.data_dir):
        assert_absent(marker, path.read_bytes(), str(path))
        names.add(path.name)
    return names


def upload_everything(
    client: TestClient, investigator: TestMember, case_id: str, marker: str
) -> int:
    """Every way in, each carrying the marker; returns how many were accepted."""
    headers = investigator.headers
    url = f"/v1/cases/{case_id}/items"
    content = (f"photo of {marker} " * 5000).encode()
    accepted = []
    # Server-sealed raw, filename in the header.
    accepted.append(
        client.post(
            url,
            content=content,
            headers={**headers, "Content-Type": "image/jpeg", "Vault-Filename": f"{marker}.jpg"},
        )
    )
    # Multipart, filename in the part, and a field that is ignored.
    accepted.append(
        client.post(
            url,
            files={"file": (f"{marker}.mp4", content, "video/mp4")},
            data={"notes": marker},
            headers=headers,
        )
    )
    # Testimony: statement and notes.
    accepted.append(
        client.post(
            f"/v1/cases/{case_id}/testimonies",
            json={
                "statement": f"I saw {marker} at the checkpoint",
                "notes": f"interviewer notes {marker}",
                "victims": [marker],
                "incident_place": marker,
            },
            headers=headers,
        )
    )
    # Client-sealed with sealed metadata.
    device_key = SigningKey.generate()
    device = client.post(
        "/v1/devices", json={"public_key": device_key.public_key.to_base64()}, headers=headers
    )
    recipients = [
        age.X25519Recipient.parse(t)
        for t in client.get(f"/v1/cases/{case_id}", headers=headers).json()["recipients"]
    ]
    meta = age.encrypt(json.dumps({"filename": marker}).encode(), recipients)
    statement = statements.make(
        {
            "v": 1,
            "case_id": case_id,
            "item_id": str(uuid.uuid4()),
            "plaintext_sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
            "media_type": "video/mp4",
            "captured_at": "2026-03-01T10:00:00Z",
            "device_id": device.json()["id"],
            "metadata_sha256": hashlib.sha256(meta).hexdigest(),
        },
        device_key,
    )
    accepted.append(
        client.post(
            f"{url}/sealed",
            content=age.encrypt(content, recipients),
            headers={
                **headers,
                "Vault-Statement": statement,
                "Vault-Sealed-Metadata": base64.b64encode(meta).decode(),
            },
        )
    )
    for r in accepted:
        assert r.status_code == 201, r.text
    # Refused uploads must not leak either: invalid testimony, and an aborted raw upload.
    bad = client.post(
        f"/v1/cases/{case_id}/testimonies",
        json={"statement": marker, "interview_date": marker},
        headers=headers,
    )
    assert bad.status_code == 422
    bad = client.post(
        url,
        content=content,
        headers={**headers, "Vault-Filename": f"{marker}.bin", "Vault-Statement": marker},
    )
    assert bad.status_code == 201  # (a statement header is ignored on this route)
    return len(accepted) + 1


def test_the_marker_is_nowhere_at_rest(
    vault: Vault, make_member: Callable[..., TestMember], make_case: Callable[..., str]
) -> None:
    marker = f"MARKER-{secrets.token_hex(16)}"
    investigator = make_member("investigator")
    case_id = make_case(investigator, make_member("lawyer"))
    logs = io.StringIO()
    with TestClient(create_app(vault=vault), raise_server_exceptions=False) as client:
        configure_logging(json=True, level="debug", stream=logs)  # after create_app's own
        try:
            accepted = upload_everything(client, investigator, case_id, marker)
        finally:
            configure_logging(json=True)

    assert accepted == 5
    text = logs.getvalue()
    assert "item.received" in text  # the log was captured: the check below means something
    assert_absent(marker, text.encode(), "the log output")

    # Scan with the database open (its -wal and -shm files exist), then after closing it
    # (SQLite checkpoints the WAL into the main file).
    names = scan_data_dir(vault, marker)
    assert "vault.db-wal" in names
    vault.engine.dispose()
    assert "vault.db" in scan_data_dir(vault, marker)

    if vault.settings.store == "s3":
        s3 = Minio(
            vault.settings.s3_endpoint,
            access_key=vault.settings.s3_access_key,
            secret_key=vault.settings.s3_secret_key,
            secure=False,
            region=vault.settings.s3_region,
        )
        bucket = vault.settings.s3_bucket
        objects = list(s3.list_objects(bucket, recursive=True, include_version=True))
        assert len(objects) >= 5
        for obj in objects:
            assert obj.object_name is not None
            assert marker not in obj.object_name
            response = s3.get_object(bucket, obj.object_name, version_id=obj.version_id)
            try:
                assert_absent(marker, response.read(), f"s3://{bucket}/{obj.object_name}")
                assert_absent(marker, json.dumps(dict(response.headers)).encode(), "S3 headers")
            finally:
                response.close()
                response.release_conn()
