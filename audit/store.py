"""The storage interface the Merkle log needs; ``vault/`` implements it with SQL.

A store keeps three things, all append-only:

* the entries, as the exact bytes that were hashed, numbered 0, 1, 2, ...;
* their leaf hashes, ``SHA-256(0x00 || entry)`` (level 0 of the tree);
* the hash of every *complete* subtree of level >= 1: node ``(level, index)`` is the MTH of
  leaves ``[index * 2**level, (index + 1) * 2**level)``.  A node becomes complete on the append
  of its last leaf and never changes afterwards.

With those, the root at any size and any inclusion or consistency proof needs O(log n) hashes,
fetched in one :meth:`LeafStore.get_nodes` call (one SQL query), and an append writes one entry
row plus on average one node row.  Suggested SQL shape::

    audit_entry(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, leaf_hash BLOB NOT NULL)
    audit_node(level INTEGER, idx INTEGER, hash BLOB NOT NULL, PRIMARY KEY (level, idx))

with ``get_nodes`` a single ``SELECT ... WHERE (level, idx) IN (...)`` that answers level-0 keys
from ``audit_entry.leaf_hash``.  Both tables are insert-only (no UPDATE, no DELETE).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from audit.compact import NodeKey
from audit.rfc6962 import Hash, LeafHash

#: ``(level, index, hash)`` of a subtree completed by an append; level >= 1.
NewNode = tuple[int, int, Hash]


class LeafStore(Protocol):
    """Append-only storage for log entries, leaf hashes and complete subtree hashes."""

    def size(self) -> int:
        """The number of entries appended so far."""
        ...

    def append(
        self, index: int, entry: bytes, leaf_hash: LeafHash, new_nodes: Sequence[NewNode]
    ) -> None:
        """Store entry ``index`` (which must equal :meth:`size`) and the nodes it completed.

        Must be atomic, and must raise :class:`audit.errors.LogStoreError` (or let a unique
        constraint fail) if ``index != size()``: two writers must never both append ``index``.
        """
        ...

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, Hash]:
        """The hashes of the given complete subtrees, in one round trip.

        Level-0 keys are leaf hashes.  Raise :class:`audit.errors.LogStoreError` if a key is not
        stored (the log asks only for complete subtrees, so that means damage or a bug).
        """
        ...

    def get_entries(self, start: int, end: int) -> list[bytes]:
        """Entries ``[start, end)`` in order; raise ``LogStoreError`` if out of range."""
        ...
