"""Push-style age decryption (spec §"age file"), with the reference's order of checks:

1. parse the header strictly (:class:`HeaderError`);
2. reject an scrypt stanza mixed with others, before any unwrapping (:class:`HeaderError`);
3. let each identity in turn try the stanzas; a malformed stanza of its own type is a
   :class:`HeaderError`, no stanza unwrapped is :class:`NoIdentityMatchError`;
4. check the header MAC with the file key (:class:`HeaderMacError`);
5. read the 16-byte payload nonce; a missing or short nonce is a :class:`HeaderError`;
6. open the STREAM payload (:class:`PayloadError`), releasing authenticated chunks only.

Armor is not handled here; see :mod:`crypto.age.armor` and the file helpers.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.age import header
from crypto.age.scrypt import has_mixed_scrypt
from crypto.age.stanza import FILE_KEY_SIZE, Identity
from crypto.age.stream import NONCE_SIZE, StreamDecryptor, payload_key
from crypto.errors import HeaderError, NoIdentityMatchError


def unwrap_file_key(parsed: header.ParsedHeader, identities: Sequence[Identity]) -> bytes:
    """Steps 2–4: the file key of a parsed header, or the matching error."""
    stanzas = parsed.header.stanzas
    if has_mixed_scrypt(stanzas):
        raise HeaderError("an scrypt stanza must be the only stanza")
    for identity in identities:
        file_key = identity.unwrap(stanzas)
        if file_key is not None:
            if len(file_key) != FILE_KEY_SIZE:
                raise HeaderError("unwrapped file key is not 16 bytes")
            header.verify_header_mac(file_key, parsed)
            return file_key
    raise NoIdentityMatchError("no identity matches any recipient stanza")


class Decryptor:
    """Decrypt with one or more identities; feed ciphertext in pieces of any size.

    ``update()`` returns only plaintext from chunks that authenticated; ``finalize()``
    must be called at end of input and raises :class:`PayloadError` if the final chunk is
    missing or bad.  Until ``finalize()`` returns, the plaintext is incomplete.
    """

    def __init__(self, identities: Sequence[Identity]) -> None:
        self._identities = list(identities)
        self._buf: bytearray | None = bytearray()  # Header and nonce bytes until parsed.
        self._file_key: bytes | None = None
        self._header_length = 0
        self._stream: StreamDecryptor | None = None

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._stream is not None:
            return self._stream.update(data)
        assert self._buf is not None
        seen = len(self._buf)
        self._buf += data
        if self._file_key is None:
            # Only a new LF can complete a header line, so skip parsing otherwise.
            if self._buf.find(b"\n", seen) < 0:
                return b""
            parsed = header.parse(self._buf, at_eof=False)
            if parsed is None:
                return b""
            self._accept_header(parsed)
        return self._start_stream_if_ready()

    def finalize(self) -> bytes:
        if self._stream is None:
            assert self._buf is not None
            if self._file_key is None:
                parsed = header.parse(self._buf, at_eof=True)
                assert parsed is not None  # at_eof: complete or raises.
                self._accept_header(parsed)
            out = self._start_stream_if_ready()
            if self._stream is None:
                raise HeaderError("payload nonce is missing or shorter than 16 bytes")
            return out + self._stream.finalize()
        return self._stream.finalize()

    def _accept_header(self, parsed: header.ParsedHeader) -> None:
        self._file_key = unwrap_file_key(parsed, self._identities)
        self._header_length = parsed.length

    def _start_stream_if_ready(self) -> bytes:
        assert self._buf is not None and self._file_key is not None
        start = self._header_length
        if len(self._buf) < start + NONCE_SIZE:
            return b""
        nonce = bytes(self._buf[start : start + NONCE_SIZE])
        rest = memoryview(self._buf)[start + NONCE_SIZE :]
        self._stream = StreamDecryptor(payload_key(self._file_key, nonce))
        try:
            return self._stream.update(rest)
        finally:
            rest.release()
            self._buf = None
