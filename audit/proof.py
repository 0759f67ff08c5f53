"""Inclusion and consistency proofs: generation from stored subtrees, and verification.

Generation follows the recursive definitions of RFC 6962 §2.1.1 (PATH) and §2.1.2 (PROOF /
SUBPROOF), unrolled into loops that name *ranges of leaves* instead of hashes.  Every range they
produce starts at a multiple of a power of two at least as large as the range, so its MTH is the
right fold of the perfect subtrees that tile it (see :func:`range_keys`); a store that keeps every
complete subtree can therefore answer any proof with one batched look-up of O(log n) hashes.

Verification is RFC 9162 §2.1.3.2 and §2.1.4.2, step for step.  It raises; it never returns a
bool, so a forgotten check cannot read as success.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from audit.compact import NodeKey
from audit.errors import ConsistencyProofError, InclusionProofError
from audit.rfc6962 import EMPTY_ROOT, HASH_SIZE, Hash, RootHash, node_hash, split_point

#: Returns the hashes of the requested complete subtrees; it must return every key it is given.
NodeSource = Callable[[Sequence[NodeKey]], Mapping[NodeKey, Hash]]
#: A half-open range of leaf indices ``[start, end)``.
LeafRange = tuple[int, int]


# --- generation --------------------------------------------------------------------------------


def range_keys(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees that tile ``[start, end)``, left first.

    Requires ``start`` to be a multiple of the smallest power of two >= ``end - start`` (true of
    every range used below).  Then the tiling is the binary expansion of ``end - start``, and
    MTH(range) = node(P1, node(P2, ... Pk)) because RFC 6962 always splits off the largest power
    of two on the left.
    """
    keys: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def inclusion_ranges(index: int, size: int) -> list[LeafRange]:
    """The leaf ranges whose MTHs form PATH(index, D[0:size]) (RFC 6962 §2.1.1), bottom-up."""
    if not 0 <= index < size:
        raise InclusionProofError("leaf index out of range", index=index, size=size)
    ranges: list[LeafRange] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[LeafRange]:
    """The leaf ranges whose MTHs form PROOF(size1, D[0:size2]) (RFC 6962 §2.1.2), bottom-up."""
    if not 0 < size1 <= size2:
        raise ConsistencyProofError("need 0 < size1 <= size2", size1=size1, size2=size2)
    ranges: list[LeafRange] = []
    lo, hi, m, whole_old_tree = 0, size2, size1, True
    while True:
        n = hi - lo
        if m == n:
            # SUBPROOF(m, D, true) = [] because the verifier already knows the old root;
            # SUBPROOF(m, D, false) = [MTH(D)].
            if not whole_old_tree:
                ranges.append((lo, hi))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole_old_tree = False
    ranges.reverse()
    return ranges


def hashes_of_ranges(ranges: Sequence[LeafRange], source: NodeSource) -> list[Hash]:
    """MTH of each range, with a single call to ``source``."""
    tilings = [range_keys(start, end) for start, end in ranges]
    nodes = source([key for tiling in tilings for key in tiling])
    out: list[Hash] = []
    for tiling in tilings:
        h = nodes[tiling[-1]]
        for key in reversed(tiling[:-1]):
            h = node_hash(nodes[key], h)
        out.append(h)
    return out


def root_at(size: int, source: NodeSource) -> RootHash:
    """MTH(D[0:size]) from stored subtrees."""
    if size == 0:
        return EMPTY_ROOT
    return RootHash(hashes_of_ranges([(0, size)], source)[0])


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[Hash]:
    return hashes_of_ranges(inclusion_ranges(index, size), source)


def consistency_proof(size1: int, size2: int, source: NodeSource) -> list[Hash]:
    return hashes_of_ranges(consistency_ranges(size1, size2), source)


# --- verification ------------------------------------------------------------------------------


def _check_hash(
    h: bytes, what: str, error: type[InclusionProofError | ConsistencyProofError]
) -> None:
    if len(h) != HASH_SIZE:
        raise error(f"{what} is {len(h)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> RootHash:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5, without step 6)."""
    # 1. The leaf must lie inside the tree; hashes must be SHA-256 sized.
    if not 0 <= index < size:
        raise InclusionProofError("leaf index out of range", index=index, size=size)
    _check_hash(leaf_hash, "the leaf hash", InclusionProofError)
    for p in proof:
        _check_hash(p, "a proof hash", InclusionProofError)
    # 2. fn is the leaf's index and sn the last index, both shifted up the tree as we go.
    fn, sn = index, size - 1
    r = Hash(leaf_hash)
    # 3. Combine with each sibling, on the left when fn is a right child or on the right edge.
    for p in proof:
        if sn == 0:
            raise InclusionProofError("proof is too long", index=index, size=size)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # Climb past levels where this node has no right sibling (right edge of the tree).
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 4. A complete proof reaches the root exactly.
    if sn != 0:
        raise InclusionProofError("proof is too short", index=index, size=size)
    return RootHash(r)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`InclusionProofError` unless ``proof`` shows leaf ``index`` in ``root``."""
    _check_hash(root, "the root", InclusionProofError)
    # 5. The computed root must equal the expected root (RFC 9162 §2.1.3.2 step 6).
    if root_from_inclusion_proof(index, size, leaf_hash, proof) != root:
        raise InclusionProofError("computed root does not match", index=index, size=size)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise :class:`ConsistencyProofError` unless ``proof`` shows tree 1 is a prefix of tree 2.

    Policy (docs/decisions/0003-empty-tree-consistency.md): ``size1 == 0`` is always rejected,
    as in transparency-dev/merkle; callers that start from an empty tree say so explicitly.
    """
    fields = {"size1": size1, "size2": size2}
    # 0. Edge cases the RFC leaves to the implementation.
    if size1 == 0:
        raise ConsistencyProofError("no consistency proof exists from the empty tree", **fields)
    if size2 < size1:
        raise ConsistencyProofError("the second tree is smaller than the first", **fields)
    if size1 == size2:
        if proof:
            raise ConsistencyProofError("proof must be empty for equal sizes", **fields)
        if root1 != root2:
            raise ConsistencyProofError("same size but different roots", **fields)
        return
    # 1. Reject empty proofs and wrongly sized hashes (RFC 9162 §2.1.4.2 step 1).
    if not proof:
        raise ConsistencyProofError("empty proof", **fields)
    for h, what in [
        (root1, "the first root"),
        (root2, "the second root"),
        *((p, "a proof hash") for p in proof),
    ]:
        _check_hash(h, what, ConsistencyProofError)
    # 2. If size1 is a power of two, the old root is itself a node of the new tree.
    path: list[bytes] = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # 3. Start at the old tree's last leaf and skip the levels where it is a right child.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 4. fr rebuilds the old root, sr the new root, from the same seed.
    fr = sr = Hash(path[0])
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofError("proof is too long", **fields)
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 5. Accept only if the proof was consumed exactly and both roots match.
    if sn != 0:
        raise ConsistencyProofError("proof is too short", **fields)
    if fr != root1:
        raise ConsistencyProofError("proof does not lead to the first root", **fields)
    if sr != root2:
        raise ConsistencyProofError("proof does not lead to the second root", **fields)
