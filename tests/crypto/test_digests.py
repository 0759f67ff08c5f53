from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.digests import Digests, Sha256Digest


def test_known_values_of_the_empty_input() -> None:
    result = Digests().result()
    assert result.sha256 == Sha256Digest(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert result.sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert result.md5 == "d41d8cd98f00b204e9800998ecf8427e"
    assert result.size == 0


def test_sha256_only_leaves_the_others_out() -> None:
    d = Digests(sha256_only=True)
    d.update(b"abc")
    result = d.result()
    assert result.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert (result.sha1, result.md5, result.size) == (None, None, 3)


@settings(max_examples=50)
@given(st.lists(st.binary(max_size=2000), max_size=8))
def test_pieces_hash_like_the_whole(pieces: list[bytes]) -> None:
    d = Digests()
    for piece in pieces:
        d.update(memoryview(piece))
    whole = b"".join(pieces)
    result = d.result()
    assert result.sha256 == hashlib.sha256(whole).hexdigest()
    assert result.sha1 == hashlib.sha1(whole).hexdigest()
    assert result.md5 == hashlib.md5(whole).hexdigest()
    assert result.size == len(whole)
