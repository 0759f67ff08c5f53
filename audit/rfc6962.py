"""RFC 6962 §2.1 Merkle tree hashing with SHA-256 (the same hashing as RFC 9162 §2.1.1).

Leaves and interior nodes are hashed with different one-byte prefixes so that a leaf can never
be passed off as an interior node (a second-preimage defence, RFC 6962 §2.1).  Byte strings that
play different roles get different ``NewType``s so that mypy refuses to mix them up: a
:data:`LeafHash` is what a log entry hashes to, a :data:`RootHash` is what a checkpoint signs,
and :data:`Hash` is any node of the tree (both of the others are kinds of :data:`Hash`).
"""

from __future__ import annotations

import hashlib
from typing import NewType

#: Any node hash of the tree: a leaf hash, an interior node, or a root.
Hash = NewType("Hash", bytes)
#: ``SHA-256(0x00 || entry bytes)``.
LeafHash = NewType("LeafHash", Hash)
#: The Merkle Tree Hash (MTH) of a whole tree, as signed in a checkpoint.
RootHash = NewType("RootHash", Hash)

#: RFC 6962 §2.1: the domain-separation byte prepended to a leaf's data.
LEAF_PREFIX = b"\x00"
#: RFC 6962 §2.1: the domain-separation byte prepended to two child hashes.
NODE_PREFIX = b"\x01"
#: SHA-256 output size; every hash in a proof, root or checkpoint must have this length.
HASH_SIZE = 32
#: RFC 6962 §2.1: MTH({}) = SHA-256() -- the root of the empty tree.
EMPTY_ROOT = RootHash(Hash(hashlib.sha256(b"").digest()))


def leaf_hash(data: bytes) -> LeafHash:
    """``MTH({d}) = SHA-256(0x00 || d)``."""
    return LeafHash(Hash(hashlib.sha256(LEAF_PREFIX + data).digest()))


def node_hash(left: bytes, right: bytes) -> Hash:
    """``SHA-256(0x01 || left || right)``.

    The children are not length-checked here (the reference vectors hash short ASCII strings);
    proof verification checks lengths where untrusted hashes enter.
    """
    return Hash(hashlib.sha256(NODE_PREFIX + left + right).digest())


def split_point(n: int) -> int:
    """The largest power of two strictly less than ``n`` (``k`` in RFC 6962 §2.1), for n > 1."""
    if n < 2:
        raise ValueError("split_point needs n > 1")
    return 1 << ((n - 1).bit_length() - 1)
