"""Third-party RFC 6962 / RFC 9162 vectors (tests/vectors/merkle), one test id per probe."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from audit.compact import CompactRange
from audit.errors import ConsistencyProofError, InclusionProofError
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.proof import verify_consistency, verify_inclusion
from audit.rfc6962 import EMPTY_ROOT, leaf_hash, node_hash

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "merkle"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


REFERENCE = _load("rfc6962_reference_tree.json")
INCLUSION = _load("inclusion.json")["vectors"]
CONSISTENCY = _load("consistency.json")["vectors"]
ACCUMULATED = {v["name"]: v for v in _load("accumulated_subtree_vectors.json")["vectors"]}
H = bytes.fromhex


@pytest.mark.parametrize("op", REFERENCE["hasher"], ids=lambda op: op["name"])
def test_hasher(op: dict[str, str]) -> None:
    if op["op"] == "empty_root":
        got = EMPTY_ROOT
    elif op["op"] == "leaf":
        got = leaf_hash(H(op["input"]))
    else:
        got = node_hash(H(op["left"]), H(op["right"]))
    assert got.hex() == op["expected"]


def _reference_log() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    for leaf in REFERENCE["leaves"]:
        log.append(H(leaf))
    return log


def test_reference_leaf_and_node_hashes() -> None:
    log = _reference_log()
    assert [leaf_hash(H(x)).hex() for x in REFERENCE["leaves"]] == REFERENCE["leaf_hashes"]
    for level, hashes in enumerate(REFERENCE["node_hashes_by_level"]):
        keys = [(level, i) for i in range(len(hashes))]
        got = log.store.get_nodes(keys)
        assert [got[k].hex() for k in keys] == hashes


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size: int) -> None:
    expected = REFERENCE["roots"][size]
    assert expected["tree_size"] == size
    assert _reference_log().root(size).hex() == expected["root"]
    compact = CompactRange()
    for leaf in REFERENCE["leaves"][:size]:
        compact.append(leaf_hash(H(leaf)))
    assert compact.root().hex() == expected["root"]


@pytest.mark.parametrize("v", INCLUSION, ids=[v["id"] for v in INCLUSION])
def test_inclusion_vector(v: dict[str, Any]) -> None:
    if v["leaf"] is not None:
        assert leaf_hash(H(v["leaf"])).hex() == v["leaf_hash"]
    args = (v["leaf_index"], v["tree_size"], H(v["leaf_hash"]), [H(p) for p in v["proof"]])
    if v["valid"]:
        verify_inclusion(*args, H(v["root"]))
    else:
        with pytest.raises(InclusionProofError):
            verify_inclusion(*args, H(v["root"]))


@pytest.mark.parametrize("v", CONSISTENCY, ids=[v["id"] for v in CONSISTENCY])
def test_consistency_vector(v: dict[str, Any]) -> None:
    # The vault keeps the vectors' policy, "size1 == 0 is always invalid" (ADR 0003),
    # so no probe is skipped or inverted.
    args = (v["size1"], v["size2"], [H(p) for p in v["proof"]], H(v["root1"]), H(v["root2"]))
    if v["valid"]:
        verify_consistency(*args)
    else:
        with pytest.raises(ConsistencyProofError):
            verify_consistency(*args)


def _valid_subtree(start: int, end: int) -> bool:
    width = end - start
    ceil = 1 << (width - 1).bit_length() if width > 0 else 1
    return start == 0 or start == end or start % ceil == 0


D130 = [bytes([i]) for i in range(130)]


@pytest.fixture(scope="module")
def log130() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    for d in D130:
        log.append(d)
    return log


def test_accumulated_subtree_hashes(log130: MerkleLog) -> None:
    """Every root of sizes 0..130 from MerkleLog; other subtrees from the reference MTH."""
    import audit_reference as ref

    acc = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            if _valid_subtree(start, end):
                h = log130.root(end) if start == 0 else ref.mth(D130[start:end])
                acc.update(f"[{start}, {end}) {h.hex()}\n".encode())
    assert acc.hexdigest() == ACCUMULATED["subtree_hashes"]["expected"]


def test_accumulated_inclusion_proofs(log130: MerkleLog) -> None:
    import audit_reference as ref

    acc = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            if not _valid_subtree(start, end):
                continue
            for index in range(start, end):
                if start == 0:
                    proof = log130.inclusion_proof(index, end)
                    verify_inclusion(index, end, leaf_hash(D130[index]), proof, log130.root(end))
                else:
                    proof = ref.path(index - start, D130[start:end])
                line = f"{index} [{start}, {end})" + "".join(f" {h.hex()}" for h in proof)
                acc.update(line.encode() + b"\n")
    assert acc.hexdigest() == ACCUMULATED["subtree_inclusion_proofs"]["expected"]


def test_accumulated_consistency_proofs(log130: MerkleLog) -> None:
    import audit_reference as ref

    acc = hashlib.sha256()
    for n in range(131):
        for end in range(n + 1):
            for start in range(end + 1):
                if not _valid_subtree(start, end):
                    continue
                if start == 0 and end > 0:
                    proof = log130.consistency_proof(end, n)
                    verify_consistency(end, n, proof, log130.root(end), log130.root(n))
                else:
                    proof = ref.subtree_proof(start, end, D130[:n])
                line = f"[{start}, {end}) {n}" + "".join(f" {h.hex()}" for h in proof)
                acc.update(line.encode() + b"\n")
    assert acc.hexdigest() == ACCUMULATED["subtree_consistency_proofs"]["expected"]
