"""A naive RFC 6962 reference, straight from the recursive definitions, used as a test oracle.

Deliberately slow and obvious: MTH, PATH and PROOF/SUBPROOF exactly as RFC 6962 §2.1 writes them,
over a list of leaf data.  It shares nothing with audit/ except hashlib.
"""

from __future__ import annotations

import hashlib


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


def subtree_proof(start: int, end: int, d: list[bytes]) -> list[bytes]:
    """The Merkle Tree Certificates draft's subtree consistency proof (FORMAT.md recipe)."""
    if start == end or (start == 0 and end == len(d)):
        return []
    if start == 0:
        return proof(end, d)
    # Walk down while [start, end) lies wholly in one half; then continue as SUBPROOF.
    lo, hi, suffix = 0, len(d), []
    while lo != start:
        k = _k(hi - lo)
        if end <= lo + k:
            suffix.insert(0, mth(d[lo + k : hi]))
            hi = lo + k
        else:
            suffix.insert(0, mth(d[lo : lo + k]))
            lo += k
    return [*subproof(end - lo, d[lo:hi], True), *suffix]
