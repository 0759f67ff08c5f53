"""Hypothesis properties of the age implementation: round trips under any chunking, any
flipped bit fails with the right class, truncation fails, key text round-trips."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.age import (
    Decryptor,
    Encryptor,
    X25519Identity,
    X25519Recipient,
    decrypt,
    encrypt,
)
from crypto.age import header as age_header
from crypto.age.stanza import Stanza
from crypto.age.stream import CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, NONCE_SIZE
from crypto.errors import (
    AgeError,
    HeaderError,
    HeaderMacError,
    KeyFormatError,
    NoIdentityMatchError,
    PayloadError,
)

IDENTITY = X25519Identity.generate()
OTHER = X25519Identity.generate()
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[last:p])
        last = p
    return pieces


def _header_length(ciphertext: bytes) -> int:
    parsed = age_header.parse(ciphertext, at_eof=True)
    assert parsed is not None
    return parsed.length


sizes = st.one_of(
    st.integers(0, 300),
    st.sampled_from([CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE]),
    st.integers(0, 3 * CHUNK_SIZE + 10),
)


@FAST
@given(
    size=sizes,
    cuts=st.lists(st.integers(0, 1 << 20), max_size=6),
    seed=st.binary(min_size=16, max_size=16),
)
def test_round_trip_with_any_chunking(size: int, cuts: list[int], seed: bytes) -> None:
    data = (seed * (size // 16 + 1))[:size]
    enc = Encryptor([IDENTITY.recipient, OTHER.recipient])
    ciphertext = b"".join(enc.update(p) for p in _split(data, cuts)) + enc.finalize()
    # Spec §"Payload": full chunks, the last one possibly full, never an empty one.
    chunks = max(1, -(-size // CHUNK_SIZE))
    assert len(ciphertext) == _header_length(ciphertext) + NONCE_SIZE + size + 16 * chunks
    dec = Decryptor([OTHER])
    out = b"".join(dec.update(p) for p in _split(ciphertext, cuts[::-1])) + dec.finalize()
    assert out == data


@FAST
@given(data=st.binary(max_size=200), armor=st.booleans())
def test_one_shot_round_trip(data: bytes, armor: bool) -> None:
    assert decrypt(encrypt(data, [IDENTITY.recipient], armor=armor), [IDENTITY]) == data


CIPHERTEXT = encrypt(bytes(range(256)) * 300, [IDENTITY.recipient])  # 76 800 B, 2 chunks
HEADER_LENGTH = _header_length(CIPHERTEXT)


@FAST
@given(position=st.integers(0, len(CIPHERTEXT) * 8 - 1))
def test_any_flipped_bit_fails_with_the_right_class(position: int) -> None:
    damaged = bytearray(CIPHERTEXT)
    damaged[position // 8] ^= 1 << (position % 8)
    with pytest.raises(AgeError) as caught:
        decrypt(bytes(damaged), [IDENTITY], armor=False)
    if position // 8 < HEADER_LENGTH:
        # A damaged share or body no longer unwraps; a damaged MAC or text is malformed.
        assert type(caught.value) in (HeaderError, HeaderMacError, NoIdentityMatchError)
    else:
        assert type(caught.value) is PayloadError  # nonce or chunk


def test_a_changed_mac_is_a_mac_failure() -> None:
    damaged = bytearray(CIPHERTEXT)
    at = HEADER_LENGTH - 20  # inside the base64 MAC, not its last (canonical-bits) char
    damaged[at] = ord("A") if damaged[at] != ord("A") else ord("B")
    with pytest.raises(HeaderMacError):
        decrypt(bytes(damaged), [IDENTITY])


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_truncation_at_every_chunk_boundary_fails(chunks: int) -> None:
    data = b"z" * (chunks * CHUNK_SIZE)
    ciphertext = encrypt(data, [IDENTITY.recipient])
    start = _header_length(ciphertext) + NONCE_SIZE
    for k in range(chunks):
        with pytest.raises(PayloadError):
            decrypt(ciphertext[: start + k * ENCRYPTED_CHUNK_SIZE], [IDENTITY])
    assert decrypt(ciphertext, [IDENTITY]) == data


@FAST
@given(cut=st.integers(0, len(CIPHERTEXT) - 1))
def test_any_truncation_fails(cut: int) -> None:
    with pytest.raises((HeaderError, PayloadError)):
        decrypt(CIPHERTEXT[:cut], [IDENTITY], armor=False)


@FAST
@given(st.binary(min_size=32, max_size=32))
def test_key_text_round_trips(secret: bytes) -> None:
    identity = X25519Identity(secret)
    assert X25519Identity.parse(identity.encode()) == identity
    assert identity.encode().startswith("AGE-SECRET-KEY-1") and identity.encode().isupper()
    recipient = identity.recipient
    assert X25519Recipient.parse(recipient.encode()) == recipient
    assert recipient.encode().startswith("age1")


@FAST
@given(st.binary(min_size=32, max_size=32), st.integers(0, 57))
def test_mixed_case_or_a_typo_is_rejected(secret: bytes, position: int) -> None:
    text = X25519Identity(secret).recipient.encode()
    position = 4 + position % (len(text) - 4)
    mixed = text[:position] + text[position].upper() + text[position + 1 :]
    if mixed != text:
        with pytest.raises(KeyFormatError):
            X25519Recipient.parse(mixed)
    typo = text[:position] + ("q" if text[position] != "q" else "p") + text[position + 1 :]
    with pytest.raises(KeyFormatError):
        X25519Recipient.parse(typo)


def test_identity_repr_hides_the_secret() -> None:
    text = IDENTITY.encode()
    assert text not in repr(IDENTITY)
    assert IDENTITY.secret_key.hex() not in repr(IDENTITY)
    assert IDENTITY.recipient.encode() in repr(IDENTITY)


def test_identity_text_is_case_sensitive_like_age() -> None:
    with pytest.raises(KeyFormatError):
        X25519Identity.parse(IDENTITY.encode().lower())
    with pytest.raises(KeyFormatError):
        X25519Recipient.parse(IDENTITY.recipient.encode().upper())
    with pytest.raises(KeyFormatError):
        X25519Recipient.parse(IDENTITY.encode())


args = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)


@FAST
@given(st.lists(st.tuples(args, st.lists(args, max_size=3), st.binary(max_size=200)), min_size=1))
def test_header_serialise_then_parse_is_identity(raw: list[tuple[str, list[str], bytes]]) -> None:
    stanzas = [Stanza(t, tuple(a), body) for t, a, body in raw]
    text = age_header.serialise(stanzas, b"k" * 16)
    parsed = age_header.parse(text + b"payload", at_eof=True)
    assert parsed is not None
    assert list(parsed.header.stanzas) == stanzas
    assert parsed.length == len(text)
    age_header.verify_header_mac(b"k" * 16, parsed)
    for cut in range(0, len(text), max(1, len(text) // 7)):
        assert age_header.parse(text[:cut], at_eof=False) is None


def test_release_only_authenticated_chunks() -> None:
    data = b"a" * CHUNK_SIZE + b"b" * 10
    ciphertext = bytearray(encrypt(data, [IDENTITY.recipient]))
    ciphertext[-1] ^= 1  # break the final chunk only
    dec = Decryptor([IDENTITY])
    released = dec.update(bytes(ciphertext))
    assert released == b"a" * CHUNK_SIZE
    with pytest.raises(PayloadError):
        dec.finalize()


def test_encryptor_refuses_misuse() -> None:
    with pytest.raises(ValueError):
        Encryptor([])
    enc = Encryptor([IDENTITY.recipient])
    enc.finalize()
    with pytest.raises(ValueError):
        enc.update(b"x")


def test_no_identities_is_no_match() -> None:
    with pytest.raises(NoIdentityMatchError):
        decrypt(CIPHERTEXT, [])
    with pytest.raises(NoIdentityMatchError):
        decrypt(CIPHERTEXT, [OTHER])
