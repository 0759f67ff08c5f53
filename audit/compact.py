"""A compact range: the O(log n) state needed to append leaves to an RFC 6962 tree.

For a tree of ``size`` leaves, the compact range holds one hash per set bit of ``size``: the roots
of the perfect subtrees that tile ``[0, size)`` from the left, largest first.  Appending a leaf
merges equal-sized neighbours exactly like incrementing a binary counter, and each merge
completes a subtree that a :class:`audit.store.LeafStore` keeps so that proofs for any later size
need only O(log n) stored hashes.  (Same idea as transparency-dev/merkle ``compact/range.go``.)
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.rfc6962 import EMPTY_ROOT, Hash, LeafHash, RootHash, node_hash

#: A complete subtree: ``(level, index)`` covers leaves ``[index << level, (index + 1) << level)``.
NodeKey = tuple[int, int]


def compact_keys(size: int) -> list[NodeKey]:
    """The perfect subtrees that tile ``[0, size)``, left (largest) first."""
    keys: list[NodeKey] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


class CompactRange:
    """The compact range ``[0, size)``; mutable, O(log size) hashes."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[Hash] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a compact range holds one hash per set bit of its size")
        self._size = size
        # Largest (leftmost) first: the subtree that the next leaf merges with is at the end.
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        return self._size

    def hashes(self) -> list[Hash]:
        """The subtree roots in the order of :func:`compact_keys` (largest first)."""
        return list(self._hashes)

    def append(self, leaf: LeafHash) -> list[tuple[int, int, Hash]]:
        """Add one leaf; return the interior nodes ``(level, index, hash)`` it completed.

        Level-0 nodes (the leaf itself) are not returned: the store keeps leaf hashes anyway.
        """
        completed: list[tuple[int, int, Hash]] = []
        index = self._size
        h: Hash = leaf
        level = 0
        # Each trailing 1 bit of the old size is a perfect subtree of the same height as the
        # one being carried: merge them, as in binary addition.
        while index >> level & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            completed.append((level, index >> level, h))
        self._hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> RootHash:
        """MTH of ``[0, size)``: fold the subtree roots from the right (RFC 6962 §2.1)."""
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return RootHash(h)
