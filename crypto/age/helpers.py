"""One-shot and file-to-file helpers over :class:`Encryptor` and :class:`Decryptor`.

I/O lives here, at the edge: the format code above never reads or writes files.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import BinaryIO, cast

from crypto.age.armor import WHITESPACE, ArmorDecoder, is_armored
from crypto.age.decryptor import Decryptor
from crypto.age.encryptor import Encryptor
from crypto.age.stanza import Identity, Recipient

BLOCK_SIZE = 1024 * 1024
# age skips up to 1 KiB of whitespace before the BEGIN line when sniffing for armor.
_SNIFF_SIZE = 1024 + 64


class _ArmoredDecryptor:
    """Armor decoding in front of a :class:`Decryptor`; armor errors surface first."""

    def __init__(self, identities: Sequence[Identity]) -> None:
        self._armor = ArmorDecoder()
        self._inner = Decryptor(identities)

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        return self._inner.update(self._armor.update(data))

    def finalize(self) -> bytes:
        return self._inner.update(self._armor.finalize()) + self._inner.finalize()


def encrypt(data: bytes, recipients: Sequence[Recipient], *, armor: bool = False) -> bytes:
    """Encrypt a small blob in memory."""
    enc = Encryptor(recipients, armor=armor)
    return enc.update(data) + enc.finalize()


def decrypt(data: bytes, identities: Sequence[Identity], *, armor: bool | None = None) -> bytes:
    """Decrypt a small blob in memory; ``armor=None`` sniffs for ASCII armor."""
    if armor is None:
        armor = is_armored(data[:_SNIFF_SIZE])
    dec = _ArmoredDecryptor(identities) if armor else Decryptor(identities)
    return dec.update(data) + dec.finalize()


def encrypt_file(
    src: BinaryIO,
    dst: BinaryIO,
    recipients: Sequence[Recipient],
    *,
    armor: bool = False,
    block_size: int = BLOCK_SIZE,
) -> None:
    """Stream ``src`` to ``dst`` encrypted.  Does not flush, fsync or close ``dst``."""
    enc = Encryptor(recipients, armor=armor)
    buf = bytearray(block_size)
    view = memoryview(buf)
    readinto = cast(io.BufferedIOBase, src).readinto  # BinaryIO lacks readinto in typeshed.
    while n := readinto(buf):
        dst.write(enc.update(view[:n]))
    dst.write(enc.finalize())


def decrypt_file(
    src: BinaryIO,
    dst: BinaryIO,
    identities: Sequence[Identity],
    *,
    block_size: int = BLOCK_SIZE,
) -> None:
    """Stream ``src`` to ``dst`` decrypted; armored input is detected automatically.

    Plaintext reaches ``dst`` chunk by chunk, each one authenticated, but the file is
    complete only if this returns: on an exception ``dst`` holds a truncated plaintext
    that the caller must discard.
    """
    first = src.read(block_size)
    while len(first) < _SNIFF_SIZE and first.strip(WHITESPACE) == b"" and first:
        more = src.read(block_size)
        if not more:
            break
        first += more
    dec = _ArmoredDecryptor(identities) if is_armored(first) else Decryptor(identities)
    dst.write(dec.update(first))
    buf = bytearray(block_size)
    view = memoryview(buf)
    readinto = cast(io.BufferedIOBase, src).readinto  # BinaryIO lacks readinto in typeshed.
    while n := readinto(buf):
        dst.write(dec.update(view[:n]))
    dst.write(dec.finalize())
