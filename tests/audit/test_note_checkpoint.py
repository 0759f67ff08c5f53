"""Signed notes and checkpoints: round trips, flipped bits, origin and key checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from audit.errors import (
    CheckpointError,
    NoteError,
    NoteSignatureError,
    UnverifiedNoteError,
    VerifierKeyError,
)
from audit.note import (
    SIG_TYPE_ED25519,
    Note,
    NoteSignature,
    VerifierKey,
    open_note,
    sign_note,
)
from audit.rfc6962 import EMPTY_ROOT, Hash, RootHash
from crypto.signing import SigningKey

LOG_KEY = SigningKey(bytes(range(32)))
OTHER_KEY = SigningKey(bytes(range(1, 33)))
ORIGIN = "vault.example.org/audit"
VKEY = VerifierKey(ORIGIN, SIG_TYPE_ED25519, LOG_KEY.public_key)

names = st.text(
    st.characters(min_codepoint=0x21, exclude_categories=("Cs",), exclude_characters="+"),
    min_size=1,
    max_size=20,
).filter(lambda s: not any(c.isspace() for c in s))
lines = st.text(
    st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=30
)
texts = st.lists(
    st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), max_size=30), min_size=1
).map(lambda ls: "".join(x + "\n" for x in ls))
roots = st.binary(min_size=32, max_size=32).map(lambda b: RootHash(Hash(b)))
checkpoints = st.builds(
    Checkpoint,
    origin=lines,
    size=st.integers(0, 2**64 - 1),
    root_hash=roots,
    extensions=st.lists(lines, max_size=3).map(tuple),
)


@given(checkpoints)
def test_checkpoint_round_trip(cp: Checkpoint) -> None:
    assert Checkpoint.parse(cp.to_text()) == cp


@given(
    texts,
    st.lists(
        st.tuples(names, st.binary(min_size=4, max_size=4), st.binary(min_size=1, max_size=80)),
        min_size=1,
        max_size=5,
    ),
)
def test_note_round_trip(text: str, sigs: list[tuple[str, bytes, bytes]]) -> None:
    note = Note(text, tuple(NoteSignature(*s) for s in sigs))
    assert Note.parse(note.to_text()) == note
    assert Note.parse(note.to_text().encode()) == note


def test_surrogates_rejected() -> None:
    with pytest.raises(NoteError):
        VerifierKey("\ud800", SIG_TYPE_ED25519, LOG_KEY.public_key)
    with pytest.raises(CheckpointError):
        Checkpoint("\udfff", 1, EMPTY_ROOT)


@given(names, st.binary(min_size=32, max_size=32))
def test_vkey_round_trip(name: str, seed: bytes) -> None:
    vkey = VerifierKey(name, SIG_TYPE_ED25519, SigningKey(seed).public_key)
    assert VerifierKey.parse(vkey.to_text()) == vkey


@given(
    st.builds(
        Checkpoint,
        st.just(ORIGIN),
        st.integers(0, 2**64 - 1),
        roots,
        st.lists(lines, max_size=2).map(tuple),
    )
)
def test_sign_open_checkpoint(cp: Checkpoint) -> None:
    assert open_checkpoint(sign_checkpoint(cp, ORIGIN, LOG_KEY), VKEY, ORIGIN) == cp


SIGNED = sign_checkpoint(Checkpoint(ORIGIN, 7, EMPTY_ROOT), ORIGIN, LOG_KEY)


@given(st.integers(0, 8 * len(SIGNED.encode()) - 1))
def test_any_flipped_bit_in_a_signed_checkpoint_fails(bit: int) -> None:
    data = bytearray(SIGNED.encode())
    data[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises((NoteError, CheckpointError)):
        open_checkpoint(bytes(data), VKEY, ORIGIN)


def test_checkpoint_from_another_key_is_unverified() -> None:
    forged = sign_checkpoint(Checkpoint(ORIGIN, 7, EMPTY_ROOT), ORIGIN, OTHER_KEY)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(forged, VKEY, ORIGIN)


def test_checkpoint_for_another_origin_is_refused() -> None:
    other = sign_checkpoint(Checkpoint("other.example/log", 7, EMPTY_ROOT), ORIGIN, LOG_KEY)
    with pytest.raises(CheckpointError):
        open_checkpoint(other, VKEY, ORIGIN)


def test_bad_trusted_signature_rejects_even_with_a_good_one() -> None:
    good = sign_note("hello\n", ORIGIN, LOG_KEY)
    bad_sig = NoteSignature(ORIGIN, VKEY.key_id, bytes(64)).to_line()
    with pytest.raises(NoteSignatureError):
        open_note(good + bad_sig, [VKEY])


def test_signature_cap() -> None:
    line = sign_note("hello\n", ORIGIN, LOG_KEY).split("\n\n")[1]
    assert len(open_note("hello\n\n" + line * 16, [VKEY]).verified) == 1  # >= 16 accepted
    open_note("hello\n\n" + line * 100, [VKEY])
    with pytest.raises(NoteError):
        open_note("hello\n\n" + line * 101, [VKEY])


@pytest.mark.parametrize(
    "note",
    [
        "hello\r\n\n— a AAAAAAA=\n",
        "hello\n\n— a AAAAAAA\n",  # unpadded
        "hello\n\n— a AAAAAAB=\n",  # non-canonical trailing bits
        "hello\n\n— a+b AAAAAAA=\n",
        "hello\n\n—  AAAAAAA=\n",
        "hello\n\n— a AAAA\n",  # key ID only, no signature
        "hello\n\n- a AAAAAAA=\n",
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(NoteError):
        Note.parse(note)


def test_vkey_for_cosignatures_is_not_a_note_key() -> None:
    cosigner = VerifierKey("w.example", 0x04, LOG_KEY.public_key)
    assert VerifierKey.parse(cosigner.to_text()) == cosigner
    assert cosigner.key_id != VKEY.key_id or cosigner.name != VKEY.name
    with pytest.raises(VerifierKeyError):
        open_note(SIGNED, [cosigner])
