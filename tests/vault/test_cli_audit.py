"""vault audit verify / witness through click's CliRunner: exit codes and error lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.entry import GENESIS_PREV, Actor, AuditEntry, Outcome, RequestInfo, Subject, chain_digest
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.note import SIG_TYPE_ED25519, VerifierKey
from audit.rfc6962 import Hash, RootHash
from audit.witness import cosigner_key, verify_cosignature
from crypto.signing import SigningKey
from vault.cli.audit import audit

ORIGIN = "vault.example.org/audit"
LOG_KEY = SigningKey(bytes(range(32)))
VKEY = VerifierKey(ORIGIN, SIG_TYPE_ED25519, LOG_KEY.public_key).to_text()
WITNESS_KEY = SigningKey(bytes(range(7, 39)))
N = 12


@pytest.fixture
def log() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    prev = GENESIS_PREV
    for i in range(N):
        data = AuditEntry(
            index=i,
            time=datetime(2026, 11, 23, 10, i, tzinfo=UTC),
            actor=Actor(None, "anonymous"),
            action="auth.failed",
            subject=Subject(None, None),
            outcome=Outcome("denied", "auth.bad_token"),
            request=RequestInfo(f"r-{i}", "198.51.100.4", "phone/1.0"),
            details={},
            prev=prev,
        ).to_bytes()
        log.append(data)
        prev = chain_digest(data)
    return log


def _cp(log: MerkleLog, size: int, root: bytes | None = None) -> str:
    r = RootHash(Hash(root)) if root is not None else log.root(size)
    return sign_checkpoint(Checkpoint(ORIGIN, size, r), ORIGIN, LOG_KEY)


def _files(tmp_path: Path, log: MerkleLog) -> tuple[Path, Path]:
    export = tmp_path / "log.jsonl"
    export.write_bytes(b"".join(e + b"\n" for e in log.entries(0, N)))
    cp = tmp_path / "checkpoint"
    cp.write_text(_cp(log, N))
    return export, cp


def test_verify_ok_with_key_text_and_key_file(tmp_path: Path, log: MerkleLog) -> None:
    export, cp = _files(tmp_path, log)
    result = CliRunner().invoke(
        audit, ["verify", str(export), "--checkpoint", str(cp), "--log-key", VKEY]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {N} entries verified")
    key_file = tmp_path / "log.vkey"
    key_file.write_text(VKEY + "\n")
    previous = tmp_path / "old"
    previous.write_text(_cp(log, 5))
    args = ["verify", str(export), "--checkpoint", str(cp), "--log-key", str(key_file)]
    result = CliRunner().invoke(audit, [*args, "--previous", str(previous)])
    assert result.exit_code == 0, result.output


def test_verify_names_the_bad_entry(tmp_path: Path, log: MerkleLog) -> None:
    export, cp = _files(tmp_path, log)
    lines = export.read_bytes().splitlines(keepends=True)
    export.write_bytes(b"".join(lines[:4] + lines[5:]))
    result = CliRunner().invoke(
        audit, ["verify", str(export), "--checkpoint", str(cp), "--log-key", VKEY]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "vault: error: audit log verification failed: entry 4: index_mismatch"
    )


def test_verify_usage_errors(tmp_path: Path, log: MerkleLog) -> None:
    export, cp = _files(tmp_path, log)
    runner = CliRunner()
    bad_key = runner.invoke(
        audit, ["verify", str(export), "--checkpoint", str(cp), "--log-key", "nope"]
    )
    assert bad_key.exit_code == 2
    assert bad_key.stderr.startswith("vault: error: invalid log key")
    missing = runner.invoke(
        audit, ["verify", str(tmp_path / "x"), "--checkpoint", str(cp), "--log-key", VKEY]
    )
    assert missing.exit_code == 2
    assert missing.stderr.startswith("vault: error: cannot read log")
    assert runner.invoke(audit, ["verify", str(export)]).exit_code == 2


def _witness(tmp_path: Path, cp_text: str, proof: list[bytes], *extra: str) -> Result:
    (tmp_path / "new").write_text(cp_text)
    (tmp_path / "proof").write_text("".join(h.hex() + "\n" for h in proof))
    (tmp_path / "wkey").write_text(WITNESS_KEY.to_text_unsafe())
    args = [
        "witness", "--state", str(tmp_path / "state"), "--log-key", VKEY,
        "--checkpoint", str(tmp_path / "new"), "--proof", str(tmp_path / "proof"),
        "--key", str(tmp_path / "wkey"), "--name", "witness.example.net",
        "--timestamp", "1795000000",
        *extra,
    ]  # fmt: skip
    return CliRunner().invoke(audit, args)


def test_witness_flow(tmp_path: Path, log: MerkleLog) -> None:
    first = _witness(tmp_path, _cp(log, 5), [])
    assert first.exit_code == 2 and "--init" in first.stderr
    assert _witness(tmp_path, _cp(log, 5), [], "--init").exit_code == 0
    assert (tmp_path / "state").read_text() == _cp(log, 5)

    grown = _witness(tmp_path, _cp(log, N), log.consistency_proof(5, N))
    assert grown.exit_code == 0, grown.output
    cosigned = _cp(log, N) + grown.stdout
    assert (
        verify_cosignature(cosigned, cosigner_key("witness.example.net", WITNESS_KEY)) == 1795000000
    )
    assert (tmp_path / "state").read_text() == _cp(log, N)


def test_witness_refuses_fork_and_rollback(tmp_path: Path, log: MerkleLog) -> None:
    assert _witness(tmp_path, _cp(log, 8), [], "--init").exit_code == 0
    fork = _witness(tmp_path, _cp(log, 8, root=bytes(32)), [])
    assert fork.exit_code == 1
    assert fork.stderr.startswith("vault: error: refusing to cosign: same tree size")
    assert "prove the fork" in fork.stderr
    rollback = _witness(tmp_path, _cp(log, 7), [])
    assert rollback.exit_code == 1
    bad_proof = _witness(tmp_path, _cp(log, N), log.consistency_proof(7, N))
    assert bad_proof.exit_code == 1
    assert (tmp_path / "state").read_text() == _cp(log, 8)  # state untouched by refusals
