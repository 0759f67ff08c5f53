"""The scrypt (passphrase) recipient stanza (spec §"The scrypt recipient type").

``-> scrypt <b64(16-byte salt)> <work factor>``; the wrap key is
``scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, N=2^wf, r=8, p=1)``.

scrypt runs through libsodium (PyNaCl) rather than ``hashlib.scrypt``: OpenSSL caps
``maxmem`` at 2 GiB, which would refuse the work factors 21 and 22 that age accepts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import nacl.bindings
import nacl.exceptions

from crypto.age.header import b64decode_strict, b64encode_unpadded
from crypto.age.primitives import aead_open, aead_seal
from crypto.age.stanza import FILE_KEY_SIZE, RandomSource, Stanza
from crypto.errors import HeaderError

STANZA_TYPE = "scrypt"
SALT_LABEL = b"age-encryption.org/v1/scrypt"
SALT_SIZE = 16
MAX_WORK_FACTOR = 22  # The age tool's default cap; the test kit requires 23 to fail.
DEFAULT_WORK_FACTOR = 18  # age's default: about a second on a laptop.
_WORK_FACTOR_SYNTAX = re.compile(r"[1-9][0-9]*")
_WRAP_NONCE = bytes(12)


def _derive(passphrase: bytes, salt: bytes, work_factor: int) -> bytes:
    n = 1 << work_factor
    try:
        return bytes(
            nacl.bindings.crypto_pwhash_scryptsalsa208sha256_ll(
                passphrase, SALT_LABEL + salt, n, 8, 1, dklen=32, maxmem=256 * n + (1 << 20)
            )
        )
    except (nacl.exceptions.RuntimeError, nacl.exceptions.ValueError, MemoryError) as exc:
        raise HeaderError("scrypt key derivation failed", work_factor=work_factor) from exc


def has_mixed_scrypt(stanzas: Sequence[Stanza]) -> bool:
    """An scrypt stanza must be the only stanza (spec §"The scrypt recipient type"), so
    that a passphrase-encrypted file cannot silently also be readable by a key."""
    return len(stanzas) != 1 and any(s.type == STANZA_TYPE for s in stanzas)


@dataclass(frozen=True)
class ScryptRecipient:
    passphrase: bytes = field(repr=False)
    work_factor: int = DEFAULT_WORK_FACTOR

    def wrap(self, file_key: bytes, rng: RandomSource) -> list[Stanza]:
        salt = rng(SALT_SIZE)
        key = _derive(self.passphrase, salt, self.work_factor)
        body = aead_seal(key, _WRAP_NONCE, file_key)
        return [Stanza(STANZA_TYPE, (b64encode_unpadded(salt), str(self.work_factor)), body)]


@dataclass(frozen=True)
class ScryptIdentity:
    passphrase: bytes = field(repr=False)
    max_work_factor: int = MAX_WORK_FACTOR

    @classmethod
    def from_text(cls, passphrase: str) -> ScryptIdentity:
        return cls(passphrase.encode("utf-8"))

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        if has_mixed_scrypt(stanzas):
            raise HeaderError("an scrypt stanza must be the only stanza")
        for stanza in stanzas:
            if stanza.type != STANZA_TYPE:
                continue
            if len(stanza.args) != 2:
                raise HeaderError("scrypt stanza must have exactly two arguments")
            salt = b64decode_strict(stanza.args[0])
            if len(salt) != SALT_SIZE:
                raise HeaderError("scrypt salt must be 16 bytes")
            if not _WORK_FACTOR_SYNTAX.fullmatch(stanza.args[1]):
                raise HeaderError("scrypt work factor is not a canonical decimal")
            work_factor = int(stanza.args[1])
            if work_factor > self.max_work_factor:
                raise HeaderError("scrypt work factor too large", work_factor=work_factor)
            if len(stanza.body) != FILE_KEY_SIZE + 16:
                raise HeaderError("scrypt stanza body must be 32 bytes")
            key = _derive(self.passphrase, salt, work_factor)
            file_key = aead_open(key, _WRAP_NONCE, stanza.body)
            if file_key is not None:
                return file_key
        return None
