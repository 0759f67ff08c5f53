"""Twenty concurrent uploads against a real uvicorn server on 127.0.0.1.

Every upload must be receipted, appear in the log at its own index (the indices of the
twenty are distinct and consecutive: nothing else was appended in between and no two
commits interleaved), the whole log must verify offline against the latest checkpoint, and
every ciphertext must decrypt (with pyrage, an independent age implementation).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyrage
import pytest
import uvicorn
from sqlmodel import select
from vault_testing import TestMember

from api.app import create_app
from audit.verifier import verify_log
from vault.context import Vault
from vault.db import session_scope
from vault.models import AuditLeaf, Item
from vault.receipts import verify_receipt

UPLOADS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def base_url(vault: Vault) -> Iterator[str]:
    """uvicorn (httptools) serving the test vault in a thread, on a free port."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(vault=vault), host="127.0.0.1", port=port, log_level="warning", http="httptools"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive()


async def _upload_all(
    base_url: str, investigator: TestMember, case_id: str, bodies: list[bytes]
) -> list[httpx.Response]:
    async def body_of(data: bytes) -> Any:  # streamed in 64 KiB chunks, as a phone would
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]
            await asyncio.sleep(0)

    limits = httpx.Limits(max_connections=UPLOADS)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"/v1/cases/{case_id}/items",
                    content=body_of(data),
                    headers={
                        **investigator.headers,
                        "Content-Type": "application/octet-stream",
                        "Idempotency-Key": f"concurrent-{n}",
                    },
                )
                for n, data in enumerate(bodies)
            )
        )


def test_twenty_concurrent_uploads(
    vault: Vault,
    base_url: str,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    investigator, lawyer = make_member("investigator"), make_member("lawyer")
    case_id = make_case(investigator, lawyer)
    bodies = [os.urandom(n * 97_003 + 1) for n in range(UPLOADS)]  # 1 B to 1.8 MiB

    responses = asyncio.run(_upload_all(base_url, investigator, case_id, bodies))

    assert [r.status_code for r in responses] == [201] * UPLOADS, [r.text for r in responses]
    receipts = [r.json() for r in responses]
    for receipt, data in zip(receipts, bodies, strict=True):
        verify_receipt(receipt, vault.trail.verifier_key)
        assert receipt["plaintext_sha256"] == hashlib.sha256(data).hexdigest()
    indices = sorted(r["log_index"] for r in receipts)
    assert indices == list(range(indices[0], indices[0] + UPLOADS)), indices

    with httpx.Client(base_url=base_url, timeout=30) as client:
        checkpoint = client.get("/v1/log/checkpoint", headers=lawyer.headers)
        assert checkpoint.status_code == 200, checkpoint.text
        sealed_key = client.get(f"/v1/cases/{case_id}/key", headers=lawyer.headers).content
        case_identity = pyrage.x25519.Identity.from_str(
            pyrage.decrypt(sealed_key, [pyrage.x25519.Identity.from_str(lawyer.identity.encode())])  # type: ignore[attr-defined]
            .decode()
            .strip()
        )
        for receipt, data in zip(receipts, bodies, strict=True):
            r = client.get(f"/v1/items/{receipt['item_id']}/content", headers=lawyer.headers)
            assert r.status_code == 200
            assert hashlib.sha256(r.content).hexdigest() == receipt["ciphertext_sha256"]
            assert pyrage.decrypt(r.content, [case_identity]) == data

    with session_scope(vault.engine) as session:
        lines = [
            bytes(leaf.entry) + b"\n"
            for leaf in session.exec(select(AuditLeaf).order_by(AuditLeaf.idx))  # type: ignore[arg-type]
        ]
        items = session.exec(select(Item)).all()
        assert len(items) == UPLOADS
        assert sorted(i.log_index for i in items) == indices
    verified = verify_log(lines, checkpoint.text, vault.trail.verifier_key)
    assert verified.checkpoint.size >= indices[-1] + 1
