"""X25519 identities and recipients and their Bech32 text forms (spec §"The X25519 recipient type").

* identity: ``AGE-SECRET-KEY-1…``, uppercase, 32 random bytes (the X25519 scalar);
* recipient: ``age1…``, lowercase, the scalar times the base point.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from crypto.age import bech32, x25519
from crypto.age.primitives import x25519_base
from crypto.age.stanza import RandomSource, Stanza
from crypto.errors import KeyFormatError

IDENTITY_HRP = "age-secret-key-"
RECIPIENT_HRP = "age"
KEY_SIZE = 32


@dataclass(frozen=True)
class X25519Recipient:
    """An ``age1…`` public key."""

    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != KEY_SIZE:
            raise KeyFormatError("an X25519 recipient is 32 bytes")

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """Parse ``age1…``.  Only the lowercase form is accepted, as by the age tool."""
        hrp, data = bech32.decode(text)
        if hrp != RECIPIENT_HRP or text != text.lower():
            raise KeyFormatError("not an age X25519 recipient (age1…)")
        if len(data) != KEY_SIZE:
            raise KeyFormatError("an X25519 recipient is 32 bytes")
        return cls(data)

    def encode(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self.public_key)

    def __str__(self) -> str:
        return self.encode()

    def wrap(self, file_key: bytes, rng: RandomSource) -> list[Stanza]:
        return [x25519.wrap(file_key, self.public_key, rng)]


@dataclass(frozen=True)
class X25519Identity:
    """An ``AGE-SECRET-KEY-1…`` secret key.  ``repr`` shows only the public recipient."""

    secret_key: bytes = field(repr=False)
    public_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret_key) != KEY_SIZE:
            raise KeyFormatError("an X25519 identity is 32 bytes")
        object.__setattr__(self, "public_key", x25519_base(self.secret_key))

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={self.recipient.encode()!r})"

    @classmethod
    def generate(cls, rng: RandomSource = secrets.token_bytes) -> X25519Identity:
        return cls(rng(KEY_SIZE))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """Parse ``AGE-SECRET-KEY-1…``.  Only the uppercase form is accepted, as by age."""
        hrp, data = bech32.decode(text)
        if hrp != IDENTITY_HRP or text != text.upper():
            raise KeyFormatError("not an age X25519 identity (AGE-SECRET-KEY-1…)")
        if len(data) != KEY_SIZE:
            raise KeyFormatError("an X25519 identity is 32 bytes")
        return cls(data)

    def encode(self) -> str:
        """The secret text form.  Whoever reads it can decrypt everything sent to this key."""
        return bech32.encode(IDENTITY_HRP, self.secret_key).upper()

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self.public_key)

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        return x25519.unwrap(stanzas, self.secret_key, self.public_key)
