"""The append-only Merkle log over a :class:`audit.store.LeafStore`.

Appends are O(log n): the compact range for the current size is read back from the store (one
batched look-up of at most 64 nodes), the new leaf is merged into it, and the subtrees that
become complete are written with the entry.  Nothing is cached between calls, so several
processes (or a rolled-back transaction) cannot leave a stale tree behind: the store is the only
state.  Roots and proofs for any size up to the current one are built from complete subtrees
(:mod:`audit.proof`); the incomplete right edge is recomputed, never stored.
"""

from __future__ import annotations

from audit.compact import CompactRange, compact_keys
from audit.errors import LogStoreError
from audit.proof import consistency_proof, inclusion_proof, root_at
from audit.rfc6962 import Hash, RootHash, leaf_hash
from audit.store import LeafStore


class MerkleLog:
    """RFC 6962 log operations; the caller provides transactions and the single-writer lock."""

    def __init__(self, store: LeafStore) -> None:
        self.store = store

    def size(self) -> int:
        return self.store.size()

    def append(self, entry: bytes) -> int:
        """Append ``entry`` (the exact bytes to hash) and return its index."""
        return self.append_with_root(entry)[0]

    def append_with_root(self, entry: bytes) -> tuple[int, RootHash]:
        """Append ``entry``; return its index and the root of the tree that now ends with it.

        The compact range read for the append already holds that root, so a caller that signs
        a checkpoint after every append needs no second look-up.
        """
        size = self.store.size()
        keys = compact_keys(size)
        nodes = self.store.get_nodes(keys) if keys else {}
        compact = CompactRange(size, [nodes[k] for k in keys])
        leaf = leaf_hash(entry)
        completed = compact.append(leaf)
        self.store.append(size, entry, leaf, completed)
        return size, compact.root()

    def _size(self, size: int | None) -> int:
        current = self.store.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise LogStoreError("tree size beyond the log", size=size, log_size=current)
        return size

    def root(self, size: int | None = None) -> RootHash:
        """MTH of the first ``size`` entries (default: all)."""
        return root_at(self._size(size), self.store.get_nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[Hash]:
        """PATH(index, D[0:size]), bottom-up, as RFC 9162 §2.1.3.1 orders it."""
        return inclusion_proof(index, self._size(size), self.store.get_nodes)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[Hash]:
        """PROOF(size1, D[0:size2]); requires 0 < size1 <= size2 (ADR 0003)."""
        return consistency_proof(size1, self._size(size2), self.store.get_nodes)

    def entries(self, start: int, end: int) -> list[bytes]:
        return self.store.get_entries(start, end)
