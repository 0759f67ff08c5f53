"""The offline verifier names the first bad index and the kind of damage."""

from __future__ import annotations

import base64

import pytest
from audit_fixtures import LOG_KEY, LOG_VKEY, ORIGIN, OTHER_KEY, build, checkpoint, entry

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.entry import chain_digest
from audit.errors import LogVerificationError
from audit.rfc6962 import EMPTY_ROOT, Hash, RootHash
from audit.verifier import KINDS, verify_log

N = 20
LOG, LINES = build(N)
CP = checkpoint(LOG, N)


def _fails(lines: list[bytes], cp: str = CP, previous: str | None = None) -> LogVerificationError:
    with pytest.raises(LogVerificationError) as info:
        verify_log(lines, cp, LOG_VKEY, previous=previous)
    assert info.value.kind in KINDS
    return info.value


def test_honest_log_verifies() -> None:
    result = verify_log(LINES, CP, LOG_VKEY, previous=checkpoint(LOG, 7))
    assert (result.entries, result.checkpoint.size) == (N, N)


def test_honest_log_with_entries_past_the_checkpoint() -> None:
    result = verify_log(LINES, checkpoint(LOG, 12), LOG_VKEY)
    assert (result.entries, result.checkpoint.size) == (N, 12)


def test_empty_log() -> None:
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), ORIGIN, LOG_KEY)
    assert verify_log([], empty, LOG_VKEY).entries == 0
    assert verify_log(LINES, CP, LOG_VKEY, previous=empty).entries == N


def test_edited_row() -> None:
    lines = list(LINES)
    lines[5] = lines[5].replace(b"item.download", b"item.uploads")
    err = _fails(lines)
    assert (err.index, err.kind) == (5, "chain_broken")


def test_edited_row_with_rebuilt_chain_is_caught_by_the_root() -> None:
    """An attacker who re-chains every later entry still cannot match the signed root."""
    lines = list(LINES[:5])
    prev = chain_digest(lines[-1][:-1])
    for i in range(5, N):
        data = entry(i, prev, action="item.upload" if i == 5 else "item.download").to_bytes()
        lines.append(data + b"\n")
        prev = chain_digest(data)
    err = _fails(lines)
    assert (err.index, err.kind) == (None, "root_mismatch")


def test_deleted_middle_row() -> None:
    err = _fails(LINES[:8] + LINES[9:])
    assert (err.index, err.kind) == (8, "index_mismatch")


def test_deleted_tail_below_checkpoint() -> None:
    err = _fails(LINES[:15])
    assert (err.index, err.kind) == (15, "truncated")


def test_inserted_row() -> None:
    """A forged entry 6 slotted in with a valid prev: the old entry 6 now sits on line 7."""
    forged = entry(6, chain_digest(LINES[5][:-1]), action="item.delete").to_bytes() + b"\n"
    err = _fails([*LINES[:6], forged, *LINES[6:]])
    assert (err.index, err.kind) == (7, "index_mismatch")


def test_swapped_rows() -> None:
    lines = list(LINES)
    lines[10], lines[11] = lines[11], lines[10]
    err = _fails(lines)
    assert (err.index, err.kind) == (10, "index_mismatch")


def test_non_canonical_row() -> None:
    lines = list(LINES)
    lines[3] = lines[3].replace(b'{"action"', b'{ "action"')
    err = _fails(lines)
    assert (err.index, err.kind) == (3, "entry_not_canonical")
    err = _fails([*LINES[:-1], LINES[-1][:-1]])  # last LF missing
    assert (err.index, err.kind) == (N - 1, "entry_not_canonical")


def test_checkpoint_signed_by_another_key() -> None:
    err = _fails(LINES, checkpoint(LOG, N, key=OTHER_KEY))
    assert (err.index, err.kind) == (None, "wrong_key")


def test_checkpoint_with_corrupted_signature() -> None:
    text, sig_line = CP.split("\n\n")
    name, b64 = sig_line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[10] ^= 1
    err = _fails(LINES, f"{text}\n\n{name} {base64.b64encode(raw).decode()}\n")
    assert (err.index, err.kind) == (None, "bad_signature")


def test_checkpoint_root_for_other_entries() -> None:
    forged = sign_checkpoint(Checkpoint(ORIGIN, N, RootHash(Hash(bytes(32)))), ORIGIN, LOG_KEY)
    assert _fails(LINES, forged).kind == "root_mismatch"


def test_fork_between_checkpoints() -> None:
    other = sign_checkpoint(Checkpoint(ORIGIN, N, RootHash(Hash(bytes(32)))), ORIGIN, LOG_KEY)
    err = _fails(LINES, CP, previous=other)
    assert (err.index, err.kind) == (None, "fork")


def test_previous_checkpoint_not_extended() -> None:
    other_log, _ = build(30)
    # Same signer, different history: the first 12 entries differ from what was signed before.
    lines = list(LINES)
    fake_prev = sign_checkpoint(Checkpoint(ORIGIN, 12, RootHash(Hash(bytes(32)))), ORIGIN, LOG_KEY)
    err = _fails(lines, CP, previous=fake_prev)
    assert (err.index, err.kind) == (None, "inconsistent_with_previous")
    err = _fails(lines, CP, previous=checkpoint(other_log, 25))
    assert err.kind == "inconsistent_with_previous"  # previous larger than current: rollback
