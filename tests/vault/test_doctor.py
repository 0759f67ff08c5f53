from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from vault_testing import TestMember, log_size

from vault.context import Vault
from vault.services.doctor import examine


def _upload(client: TestClient, case_id: str, who: TestMember, data: bytes) -> dict:
    r = client.post(
        f"/v1/cases/{case_id}/items",
        content=data,
        headers={**who.headers, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_orphan_objects_are_quarantined_once_and_audited(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    investigator = make_member("investigator")
    case_id = make_case(investigator)
    _upload(client, case_id, investigator, b"recorded item")
    # A crash between "stored" and "committed" leaves exactly this: an object, no row.
    vault.store.put("items/00000000-0000-4000-8000-000000000001", iter([b"orphan ciphertext"]))
    before = log_size(vault)
    report = examine(vault)
    assert report.quarantined == ["items/00000000-0000-4000-8000-000000000001"]
    assert report.healthy and report.checked_items == 1
    assert log_size(vault) == before + 1
    assert examine(vault).quarantined == []  # not reported twice


def test_a_changed_object_is_reported_and_audited(
    vault: Vault,
    client: TestClient,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
    settings: object,
) -> None:
    investigator = make_member("investigator")
    case_id = make_case(investigator)
    receipt = _upload(client, case_id, investigator, os.urandom(1000))
    # Someone with disk access flips a byte of the stored ciphertext.
    stored = [
        p
        for p in Path(vault.settings.data_dir, "store").rglob("*")
        if p.is_file() and receipt["item_id"] in p.name and "@" not in p.name
    ]
    assert len(stored) == 1, stored
    path = stored[0]
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    before = log_size(vault)
    report = examine(vault, rehash=True)
    assert report.corrupted == [receipt["item_id"]]
    assert not report.healthy
    assert log_size(vault) == before + 1
