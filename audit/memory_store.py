"""An in-memory :class:`audit.store.LeafStore`, for tests, benchmarks and the offline verifier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from audit.compact import NodeKey
from audit.errors import LogStoreError
from audit.rfc6962 import Hash, LeafHash
from audit.store import NewNode


class MemoryLeafStore:
    """Entries, leaf hashes and complete nodes in Python lists and a dict."""

    def __init__(self) -> None:
        self._entries: list[bytes] = []
        self._leaves: list[LeafHash] = []
        self._nodes: dict[NodeKey, Hash] = {}

    def size(self) -> int:
        return len(self._entries)

    def append(
        self, index: int, entry: bytes, leaf_hash: LeafHash, new_nodes: Sequence[NewNode]
    ) -> None:
        if index != len(self._entries):
            raise LogStoreError("append out of order", index=index, size=len(self._entries))
        for level, node_index, _ in new_nodes:
            if level < 1 or (level, node_index) in self._nodes:
                raise LogStoreError("invalid or duplicate node", level=level, index=node_index)
        self._entries.append(entry)
        self._leaves.append(leaf_hash)
        for level, node_index, h in new_nodes:
            self._nodes[level, node_index] = h

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, Hash]:
        out: dict[NodeKey, Hash] = {}
        leaves, nodes = self._leaves, self._nodes
        for key in keys:
            level, index = key
            try:
                out[key] = nodes[key] if level else leaves[index]
            except (KeyError, IndexError):
                raise LogStoreError("node not stored", level=level, index=index) from None
        return out

    def get_entries(self, start: int, end: int) -> list[bytes]:
        if not 0 <= start <= end <= len(self._entries):
            raise LogStoreError("entries out of range", start=start, end=end)
        return self._entries[start:end]
