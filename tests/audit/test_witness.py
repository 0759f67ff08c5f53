"""tlog-cosignature lines and the witness's refusal to roll back or fork."""

from __future__ import annotations

import base64

import pytest
from audit_fixtures import LOG_KEY, LOG_VKEY, ORIGIN, OTHER_KEY, build, checkpoint
from hypothesis import given
from hypothesis import strategies as st

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.errors import (
    CheckpointError,
    ForkError,
    InconsistentCheckpointError,
    NoteSignatureError,
    RollbackError,
    UnverifiedNoteError,
)
from audit.note import VerifierKey, open_note
from audit.rfc6962 import EMPTY_ROOT, Hash, RootHash
from audit.witness import (
    Witness,
    cosignature_line,
    cosignature_message,
    cosigner_key,
    verify_cosignature,
)
from crypto.signing import SigningKey

WITNESS_KEY = SigningKey(bytes(range(50, 82)))
WITNESS = Witness("witness.example.net/w1", WITNESS_KEY, LOG_VKEY, ORIGIN)
LOG, _ = build(40)
T = 1_795_000_000


def test_signed_message_layout() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode()
    )


def test_cosign_grows_the_tree_and_verifies() -> None:
    old, new = checkpoint(LOG, 13), checkpoint(LOG, 40)
    line = WITNESS.cosign(old, new, LOG.consistency_proof(13, 40), T)
    cosigned = new + line
    key = cosigner_key(WITNESS.name, WITNESS_KEY)
    assert VerifierKey.parse(key.to_text()) == key
    assert verify_cosignature(cosigned, key) == T
    # The log's own signature still verifies; the cosignature is just ignored by note clients.
    assert [s.name for s in open_note(cosigned, [LOG_VKEY]).ignored] == [WITNESS.name]


@given(st.integers(0, 8 * 72 - 1))
def test_any_flipped_bit_in_a_cosignature_fails(bit: int) -> None:
    new = checkpoint(LOG, 40)
    key = cosigner_key(WITNESS.name, WITNESS_KEY)
    name_part, b64 = (
        cosignature_line(new.split("\n\n")[0] + "\n", WITNESS.name, WITNESS_KEY, T)
        .rstrip("\n")
        .rsplit(" ", 1)
    )
    raw = bytearray(base64.b64decode(b64))
    raw[4 + bit // 8] ^= 1 << (bit % 8)  # after the key ID: timestamp or signature
    with pytest.raises(NoteSignatureError):
        verify_cosignature(new + f"{name_part} {base64.b64encode(raw).decode()}\n", key)


def test_first_contact_and_same_tree() -> None:
    cp = checkpoint(LOG, 40)
    assert WITNESS.check(None, cp, []).size == 40
    assert WITNESS.check(cp, cp, []).size == 40


def test_from_the_empty_tree() -> None:
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), ORIGIN, LOG_KEY)
    assert WITNESS.check(empty, checkpoint(LOG, 5), []).size == 5
    bad_empty = sign_checkpoint(Checkpoint(ORIGIN, 0, RootHash(Hash(bytes(32)))), ORIGIN, LOG_KEY)
    with pytest.raises(InconsistentCheckpointError):
        WITNESS.check(bad_empty, checkpoint(LOG, 5), [])


def test_rollback_refused() -> None:
    with pytest.raises(RollbackError):
        WITNESS.cosign(checkpoint(LOG, 30), checkpoint(LOG, 29), [], T)


def test_fork_refused() -> None:
    """Two checkpoints of the same size with different roots: the witness refuses (fork)."""
    fork_root = RootHash(Hash(bytes(32)))
    forked = sign_checkpoint(Checkpoint(ORIGIN, 30, fork_root), ORIGIN, LOG_KEY)
    with pytest.raises(ForkError) as info:
        WITNESS.cosign(checkpoint(LOG, 30), forked, [], T)
    assert info.value.fields["new"] == forked  # both signed checkpoints are the evidence


def test_bad_proof_refused() -> None:
    proof = LOG.consistency_proof(13, 40)
    with pytest.raises(InconsistentCheckpointError):
        WITNESS.cosign(checkpoint(LOG, 13), checkpoint(LOG, 40), proof[1:], T)
    with pytest.raises(InconsistentCheckpointError):
        WITNESS.cosign(checkpoint(LOG, 12), checkpoint(LOG, 40), proof, T)


def test_checkpoint_by_another_key_or_origin_refused() -> None:
    with pytest.raises(UnverifiedNoteError):
        WITNESS.cosign(None, checkpoint(LOG, 40, key=OTHER_KEY), [], T)
    other_origin = sign_checkpoint(
        Checkpoint("other.example", 40, LOG.root()), "other.example", LOG_KEY
    )
    with pytest.raises((UnverifiedNoteError, CheckpointError)):
        WITNESS.cosign(None, other_origin, [], T)
