"""The C2SP age test kit (tests/vectors/age/testdata): one test id per vector file.

See tests/vectors/age/FORMAT.md for how the files are read.  Each ``expect:`` maps to
exactly one exception class; the plaintext released before any error must hash to
``payload``.  Hybrid ML-KEM identities are skipped: we do not implement them.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto.age import ArmorDecoder, Decryptor, ScryptIdentity, X25519Identity
from crypto.age import header as age_header
from crypto.age.decryptor import unwrap_file_key
from crypto.age.stanza import Identity
from crypto.errors import (
    AgeError,
    ArmorError,
    HeaderError,
    HeaderMacError,
    NoIdentityMatchError,
    PayloadError,
)

TESTDATA = Path(__file__).parents[1] / "vectors" / "age" / "testdata"
KNOWN_KEYS = {
    "expect",
    "payload",
    "file key",
    "identity",
    "passphrase",
    "armored",
    "compressed",
    "comment",
}
OUTCOMES: dict[str, type[AgeError] | None] = {
    "success": None,
    "header failure": HeaderError,
    "HMAC failure": HeaderMacError,
    "no match": NoIdentityMatchError,
    "payload failure": PayloadError,
    "armor failure": ArmorError,
}


@dataclass
class Vector:
    headers: dict[str, list[str]]
    body: bytes

    def one(self, key: str) -> str | None:
        values = self.headers.get(key)
        return values[0] if values else None


def load(path: Path) -> Vector:
    text, sep, body = path.read_bytes().partition(b"\n\n")
    assert sep, f"{path.name}: no blank line after the test header"
    headers: dict[str, list[str]] = {}
    for line in text.decode("utf-8").split("\n"):
        key, _, value = line.partition(": ")
        headers.setdefault(key, []).append(value)
    if headers.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return Vector(headers, body)


def identities_for(vector: Vector) -> list[Identity]:
    ids: list[Identity] = [X25519Identity.parse(t) for t in vector.headers.get("identity", [])]
    ids += [ScryptIdentity.from_text(p) for p in vector.headers.get("passphrase", [])]
    return ids


def run(vector: Vector, feed: int | None = None) -> tuple[type[AgeError] | None, bytes]:
    """Decrypt ``vector`` pushing ``feed``-byte pieces; return (error class, released)."""
    released = bytearray()
    dec = Decryptor(identities_for(vector))
    armor = ArmorDecoder() if vector.one("armored") == "yes" else None
    data = vector.body
    step = feed or max(len(data), 1)
    try:
        for i in range(0, len(data), step):
            piece = data[i : i + step]
            released += dec.update(armor.update(piece) if armor else piece)
        if armor:
            released += dec.update(armor.finalize())
        released += dec.finalize()
    except AgeError as exc:
        return type(exc), bytes(released)
    return None, bytes(released)


VECTORS = sorted(p for p in TESTDATA.iterdir() if p.is_file())


def test_the_kit_is_complete() -> None:
    assert len(VECTORS) == 143


def _skip_reason(vector: Vector) -> str | None:
    unknown = set(vector.headers) - KNOWN_KEYS
    if unknown:
        return f"unknown test header keys {sorted(unknown)} (the kit says to skip)"
    if any(i.startswith("AGE-SECRET-KEY-PQ-") for i in vector.headers.get("identity", [])):
        return "hybrid ML-KEM-768+X25519 identities are not implemented"
    return None


@pytest.mark.parametrize("path", VECTORS, ids=[p.name for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = load(path)
    reason = _skip_reason(vector)
    if reason:
        pytest.skip(reason)
    expected = OUTCOMES[vector.headers["expect"][0]]
    outcome, released = run(vector)
    assert outcome is expected, f"expected {expected}, got {outcome}"
    payload = vector.one("payload")
    if payload is not None:
        assert hashlib.sha256(released).hexdigest() == payload
    else:
        assert expected is not None


STREAMED = [p for p in VECTORS if p.name.startswith(("stream_", "armor_garbage", "x25519"))]


@pytest.mark.parametrize("feed", [1, 4099, 65552])
@pytest.mark.parametrize("path", STREAMED, ids=[p.name for p in STREAMED])
def test_vector_outcome_does_not_depend_on_feed_size(path: Path, feed: int) -> None:
    vector = load(path)
    if _skip_reason(vector):
        pytest.skip("see test_vector")
    if feed == 1 and len(vector.body) > 200_000:
        pytest.skip("byte-at-a-time on a multi-MB vector is too slow to be worth it")
    assert run(vector, feed) == run(vector)


SUCCESSES = [p for p in VECTORS if load(p).one("expect") == "success"]


@pytest.mark.parametrize("path", SUCCESSES, ids=[p.name for p in SUCCESSES])
def test_unwrapped_file_key_matches(path: Path) -> None:
    vector = load(path)
    if _skip_reason(vector):
        pytest.skip("see test_vector")
    data = vector.body
    if vector.one("armored") == "yes":
        armor = ArmorDecoder()
        data = armor.update(data) + armor.finalize()
    parsed = age_header.parse(data, at_eof=True)
    assert parsed is not None
    file_key = unwrap_file_key(parsed, identities_for(vector))
    assert file_key.hex() == vector.one("file key")
