"""Ed25519 signing keys for devices and for the server's log and receipts.

Pure RFC 8032 Ed25519 through PyNaCl.  Verification raises :class:`SignatureError`; it never
returns a bool, so a forgotten check cannot read as success.

Text forms (one line each, for files and headers):

* private key: ``VAULT-ED25519-SECRET-KEY-<base64url of the 32-byte seed, unpadded>``
* public key: standard padded base64 of the 32-byte key (what devices register).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing

from crypto.errors import KeyFormatError, SignatureError

# Both errors live in crypto.errors; they are re-exported here so that
# ``from crypto.signing import KeyFormatError`` keeps working.
__all__ = ["KeyFormatError", "SignatureError", "SigningKey", "VerifyKey", "b64decode_strict"]

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
_SECRET_PREFIX = "VAULT-ED25519-SECRET-KEY-"  # noqa: S105 (a label, not a secret)


def b64decode_strict(text: str, *, urlsafe: bool = False, padded: bool = True) -> bytes:
    """Decode base64 and insist that re-encoding gives the same text (no malleability)."""
    try:
        if urlsafe:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4) if not padded else text)
        else:
            raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError("invalid base64") from exc
    again = base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)
    expected = again.decode() if padded else again.decode().rstrip("=")
    if expected != text:
        raise KeyFormatError("non-canonical base64")
    return raw


@dataclass(frozen=True)
class VerifyKey:
    """An Ed25519 public key."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != PUBLIC_KEY_SIZE:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")

    @classmethod
    def from_base64(cls, text: str) -> VerifyKey:
        return cls(b64decode_strict(text.strip()))

    def to_base64(self) -> str:
        return base64.b64encode(self.raw).decode()

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return None if ``signature`` is a valid signature of ``message``; raise otherwise."""
        if len(signature) != SIGNATURE_SIZE:
            raise SignatureError("an Ed25519 signature is 64 bytes")
        try:
            nacl.signing.VerifyKey(self.raw).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
            raise SignatureError("signature does not verify") from exc


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key.  ``repr`` never shows the seed."""

    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_SIZE:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(SEED_SIZE))

    @property
    def public_key(self) -> VerifyKey:
        return VerifyKey(bytes(nacl.signing.SigningKey(self.seed).verify_key))

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached signature of ``message``."""
        return bytes(nacl.signing.SigningKey(self.seed).sign(message).signature)

    def to_text_unsafe(self) -> str:
        """The secret text form; unsafe because whoever reads it can sign as this key."""
        return _SECRET_PREFIX + base64.urlsafe_b64encode(self.seed).decode().rstrip("=")

    @classmethod
    def from_text(cls, text: str) -> SigningKey:
        text = text.strip()
        if not text.startswith(_SECRET_PREFIX):
            raise KeyFormatError("not a vault Ed25519 secret key")
        return cls(b64decode_strict(text[len(_SECRET_PREFIX) :], urlsafe=True, padded=False))
