"""Errors raised by crypto/.

Every error has a stable ``code`` (a key of the vault's French/English message catalogue)
and optional structured ``fields`` for the message.  The age classes mirror the outcome
classes of the C2SP age test kit, one class per ``expect:`` value::

    CryptoError                      crypto.error
    ├── AgeError                     age.error
    │   ├── HeaderError              age.header        "header failure"
    │   ├── HeaderMacError           age.header_mac    "HMAC failure"
    │   ├── NoIdentityMatchError     age.no_match      "no match"
    │   ├── PayloadError             age.payload       "payload failure"
    │   └── ArmorError               age.armor         "armor failure"
    ├── KeyFormatError               crypto.key_format  (bad age or Ed25519 key text)
    └── SignatureError               crypto.signature   (an Ed25519 signature did not verify)

``detail`` is an English, developer-facing explanation; it never contains key material or
plaintext.  User-facing text comes from the catalogue, keyed by ``code``.
"""

from __future__ import annotations

from typing import Any


class CryptoError(Exception):
    code = "crypto.error"

    def __init__(self, detail: str = "", **fields: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields


class AgeError(CryptoError):
    """Root of the age v1 errors; catch this to handle any undecryptable file."""

    code = "age.error"


class HeaderError(AgeError):
    """The header (or the payload nonce) is malformed, unsupported or fails validation."""

    code = "age.header"


class HeaderMacError(AgeError):
    """A file key was unwrapped but the header MAC does not match: the header was altered."""

    code = "age.header_mac"


class NoIdentityMatchError(AgeError):
    """The header is well formed but none of the given identities can unwrap a stanza."""

    code = "age.no_match"


class PayloadError(AgeError):
    """The encrypted payload (STREAM) is damaged, truncated or has trailing data."""

    code = "age.payload"


class ArmorError(AgeError):
    """The ASCII armor (PEM) around an age file is malformed."""

    code = "age.armor"


class KeyFormatError(CryptoError):
    """A key's text form is not valid (age recipient/identity or vault Ed25519 key)."""

    code = "crypto.key_format"


class SignatureError(CryptoError):
    """An Ed25519 signature did not verify."""

    code = "crypto.signature"
