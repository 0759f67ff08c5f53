"""Stanzas and the two roles that produce and consume them (spec §"Header", §"Recipient stanza").

A :class:`Recipient` wraps the file key into stanzas; an :class:`Identity` tries to unwrap
one from a header's stanzas.  Following the reference implementation, ``unwrap`` returns
``None`` when none of the stanzas is addressed to the identity ("no match"), and raises
:class:`HeaderError` when a stanza of its own type is malformed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

FILE_KEY_SIZE = 16

RandomSource = Callable[[int], bytes]
"""``rng(n)`` returns ``n`` random bytes; ``secrets.token_bytes`` unless a test injects one."""


@dataclass(frozen=True)
class Stanza:
    """``-> type args…`` followed by a body (spec §"Header").  The body may be empty."""

    type: str
    args: tuple[str, ...]
    body: bytes = field(repr=False)


class Recipient(Protocol):
    def wrap(self, file_key: bytes, rng: RandomSource) -> list[Stanza]: ...


class Identity(Protocol):
    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...
