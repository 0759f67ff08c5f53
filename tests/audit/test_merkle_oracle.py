"""MerkleLog over the memory store agrees with the naive RFC 6962 reference; proofs are tight."""

from __future__ import annotations

import random

import audit_reference as ref
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.errors import ConsistencyProofError, InclusionProofError, LogStoreError
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.proof import root_from_inclusion_proof, verify_consistency, verify_inclusion
from audit.rfc6962 import Hash, leaf_hash

N = 300
DATA = [f"entry {i}".encode() for i in range(N)]


@pytest.fixture(scope="module")
def log() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    for i, d in enumerate(DATA):
        assert log.append(d) == i
    return log


@pytest.fixture(scope="module")
def roots() -> list[bytes]:
    return [ref.mth(DATA[:n]) for n in range(N + 1)]


def test_roots_every_size(log: MerkleLog, roots: list[bytes]) -> None:
    for n in range(N + 1):
        assert log.root(n) == roots[n], n


def test_inclusion_proofs_every_size(log: MerkleLog, roots: list[bytes]) -> None:
    rng = random.Random(6962)
    for n in range(1, N + 1):
        indices = {0, n - 1, *(rng.randrange(n) for _ in range(4))}
        for i in indices:
            proof = log.inclusion_proof(i, n)
            assert proof == ref.path(i, DATA[:n]), (i, n)
            verify_inclusion(i, n, leaf_hash(DATA[i]), proof, roots[n])


def test_consistency_proofs_every_size(log: MerkleLog, roots: list[bytes]) -> None:
    rng = random.Random(9162)
    for n in range(1, N + 1):
        for m in {1, n, n - 1 or 1, *(rng.randint(1, n) for _ in range(4))}:
            proof = log.consistency_proof(m, n)
            assert proof == ref.proof(m, DATA[:n]), (m, n)
            verify_consistency(m, n, proof, roots[m], roots[n])


def test_out_of_range_requests_fail(log: MerkleLog) -> None:
    with pytest.raises(LogStoreError):
        log.root(N + 1)
    with pytest.raises(InclusionProofError):
        log.inclusion_proof(5, 5)
    with pytest.raises(ConsistencyProofError):
        log.consistency_proof(0, 5)
    with pytest.raises(LogStoreError):
        log.store.append(N + 3, b"x", leaf_hash(b"x"), [])


def test_proofs_need_log_n_nodes() -> None:
    """A proof reads O(log n) stored hashes, in one batched call."""
    calls: list[int] = []

    class CountingStore(MemoryLeafStore):
        def get_nodes(self, keys):  # type: ignore[no-untyped-def]
            calls.append(len(keys))
            return super().get_nodes(keys)

    log = MerkleLog(CountingStore())
    for d in DATA:
        log.append(d)
    assert max(calls) <= 9  # popcount(size) <= 9 for size < 512
    calls.clear()
    log.inclusion_proof(137, 299)
    log.consistency_proof(137, 299)
    log.root(255)
    assert len(calls) == 3 and max(calls) <= 2 * 9


def _flip(b: bytes, bit: int) -> bytes:
    i = bit % (8 * len(b))
    return b[: i // 8] + bytes([b[i // 8] ^ (1 << (i % 8))]) + b[i // 8 + 1 :]


def _flip_one(
    data: st.DataObject, proof: list[Hash], a: bytes, b: bytes
) -> tuple[list[Hash], bytes, bytes]:
    """Flip one bit in one place: a proof hash, ``a`` or ``b`` (the leaf or roots)."""
    target = data.draw(st.integers(0, len(proof) + 1))
    bit = data.draw(st.integers(0, 255))
    if target < len(proof):
        proof = [*proof[:target], Hash(_flip(proof[target], bit)), *proof[target + 1 :]]
    elif target == len(proof):
        a = _flip(a, bit)
    else:
        b = _flip(b, bit)
    return proof, a, b


sizes = st.integers(min_value=2, max_value=N)


@given(data=st.data(), n=sizes)
def test_any_flipped_bit_breaks_inclusion(log: MerkleLog, data: st.DataObject, n: int) -> None:
    i = data.draw(st.integers(0, n - 1))
    proof, root, leaf = _flip_one(data, log.inclusion_proof(i, n), log.root(n), leaf_hash(DATA[i]))
    with pytest.raises(InclusionProofError):
        verify_inclusion(i, n, leaf, proof, root)


@given(data=st.data(), n=sizes)
def test_any_flipped_bit_breaks_consistency(log: MerkleLog, data: st.DataObject, n: int) -> None:
    m = data.draw(st.integers(1, n - 1))
    proof, r1, r2 = _flip_one(data, log.consistency_proof(m, n), log.root(m), log.root(n))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(m, n, proof, r1, r2)


@given(data=st.data(), n=sizes)
def test_wrong_index_or_size_breaks_inclusion(log: MerkleLog, data: st.DataObject, n: int) -> None:
    i = data.draw(st.integers(0, n - 1))
    proof = log.inclusion_proof(i, n)
    other = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
    with pytest.raises(InclusionProofError):
        verify_inclusion(other, n, leaf_hash(DATA[i]), proof, log.root(n))
    assert root_from_inclusion_proof(i, n, leaf_hash(DATA[i]), proof) == log.root(n)
