"""Push-style age encryption: header, payload nonce, STREAM, optional armor (spec §"age file")."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from crypto.age import header
from crypto.age.armor import ArmorEncoder
from crypto.age.scrypt import has_mixed_scrypt
from crypto.age.stanza import FILE_KEY_SIZE, RandomSource, Recipient, Stanza
from crypto.age.stream import NONCE_SIZE, StreamEncryptor, payload_key


class Encryptor:
    """Encrypt to one or more recipients; feed plaintext in pieces of any size.

    ``update()`` returns ciphertext ready to write (the header comes with the first
    output); ``finalize()`` returns the last chunk (and the armor footer).  ``rng`` is
    injectable for tests; by default it is ``secrets.token_bytes``.
    """

    def __init__(
        self,
        recipients: Sequence[Recipient],
        *,
        armor: bool = False,
        rng: RandomSource = secrets.token_bytes,
    ) -> None:
        if not recipients:
            raise ValueError("at least one recipient is required")
        file_key = rng(FILE_KEY_SIZE)
        stanzas: list[Stanza] = [s for r in recipients for s in r.wrap(file_key, rng)]
        if has_mixed_scrypt(stanzas):
            raise ValueError("a passphrase (scrypt) recipient must be the only recipient")
        nonce = rng(NONCE_SIZE)
        self._prefix: bytes | None = header.serialise(stanzas, file_key) + nonce
        self._stream = StreamEncryptor(payload_key(file_key, nonce))
        self._armor = ArmorEncoder() if armor else None

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        out = self._stream.update(data)
        return self._emit(out)

    def finalize(self) -> bytes:
        out = self._emit(self._stream.finalize())
        if self._armor is not None:
            out += self._armor.finalize()
        return out

    def _emit(self, out: bytes) -> bytes:
        if self._prefix is not None:
            out = self._prefix + out
            self._prefix = None
        if self._armor is not None:
            return self._armor.update(out)
        return out
