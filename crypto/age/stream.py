"""The age payload: STREAM over ChaCha20-Poly1305 (spec §"Payload").

The plaintext is cut into 64 KiB chunks; chunk *i* is sealed under the payload key with
the 12-byte nonce ``i`` (11 bytes, big-endian) ``||`` last-flag (``0x01`` on the final
chunk).  Only the final chunk may be short, and it is empty only when the whole
plaintext is.

Both classes are push-style: ``update()`` returns what can be emitted now, ``finalize()``
the rest.  Memory stays bounded by one chunk plus the output of the current call.
"""

from __future__ import annotations

from crypto.age.primitives import TAG_SIZE, hkdf_sha256, open_into, seal_into
from crypto.errors import PayloadError

CHUNK_SIZE = 64 * 1024
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16
PAYLOAD_INFO = b"payload"
_COUNTER_LIMIT = 1 << 88


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """``HKDF(ikm=file_key, salt=nonce, info="payload")`` (spec §"Payload")."""
    return hkdf_sha256(file_key, nonce, PAYLOAD_INFO)


def chunk_nonce(counter: int, last: bool) -> bytes:
    if counter >= _COUNTER_LIMIT:
        raise PayloadError("STREAM chunk counter overflow")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class StreamEncryptor:
    """Seals a plaintext pushed in pieces of any size."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._counter = 0
        # Holds 0..CHUNK_SIZE bytes: the chunk that may still turn out to be the final
        # one.  A full chunk is sealed as non-final only once a later byte proves it is not
        # the last (a non-empty plaintext never ends with an empty chunk).
        self._pending = bytearray()
        self._finished = False

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._finished:
            raise ValueError("update() after finalize()")
        src = memoryview(data).cast("B")
        total = len(self._pending) + len(src)
        if total <= CHUNK_SIZE:
            self._pending += src
            return b""
        to_seal = (total - 1) // CHUNK_SIZE  # Always keep 1..CHUNK_SIZE bytes back.
        out = bytearray(to_seal * ENCRYPTED_CHUNK_SIZE)
        written = 0
        pos = 0
        if self._pending:
            pos = CHUNK_SIZE - len(self._pending)
            self._pending += src[:pos]
            written += seal_into(out, written, self._key, self._next_nonce(), self._pending)
            to_seal -= 1
        for _ in range(to_seal):
            chunk = src[pos : pos + CHUNK_SIZE]
            written += seal_into(out, written, self._key, self._next_nonce(), chunk)
            pos += CHUNK_SIZE
        self._pending = bytearray(src[pos:])
        return bytes(out)

    def finalize(self) -> bytes:
        if self._finished:
            raise ValueError("finalize() called twice")
        self._finished = True
        out = bytearray(len(self._pending) + TAG_SIZE)
        nonce = chunk_nonce(self._counter, last=True)
        seal_into(out, 0, self._key, nonce, self._pending)
        self._pending = bytearray()
        return bytes(out)

    def _next_nonce(self) -> bytes:
        nonce = chunk_nonce(self._counter, last=False)
        self._counter += 1
        return nonce


class StreamDecryptor:
    """Opens a payload pushed in pieces of any size.

    Release rule (test kit): the plaintext of every chunk that authenticates is returned
    before a later error is raised.  When an error is found in a call that already opened
    chunks, those chunks are returned and the error is raised by the next call.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._counter = 0
        self._pending = bytearray()  # 0..ENCRYPTED_CHUNK_SIZE-1 bytes of the next chunk.
        self._done = False  # A final chunk has been opened.
        self._error: PayloadError | None = None

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        self._raise_deferred()
        src = memoryview(data).cast("B")
        if not src:
            return b""
        if self._done:
            raise PayloadError("trailing data after the final chunk")
        total = len(self._pending) + len(src)
        full = total // ENCRYPTED_CHUNK_SIZE
        out = bytearray(full * CHUNK_SIZE)
        released = 0
        pos = 0
        try:
            if full and self._pending:
                pos = ENCRYPTED_CHUNK_SIZE - len(self._pending)
                self._pending += src[:pos]
                released += self._open_full(out, released, self._pending)
                self._pending = bytearray()
                full -= 1
            for _ in range(full):
                if self._done:
                    raise PayloadError("trailing data after the final chunk")
                released += self._open_full(out, released, src[pos : pos + ENCRYPTED_CHUNK_SIZE])
                pos += ENCRYPTED_CHUNK_SIZE
            if self._done and pos < len(src):
                raise PayloadError("trailing data after the final chunk")
            self._pending += src[pos:]
        except PayloadError as exc:
            if not released:
                raise
            self._error = exc
        return bytes(out[:released])

    def finalize(self) -> bytes:
        self._raise_deferred()
        if self._done:
            return b""
        chunk = self._pending
        if not chunk:
            if self._counter == 0:
                raise PayloadError("payload has no chunks")
            raise PayloadError("payload ends without a final chunk (truncated)")
        if len(chunk) < TAG_SIZE:
            raise PayloadError("final chunk is shorter than its tag")
        if len(chunk) == TAG_SIZE and self._counter > 0:
            # Only an empty plaintext may end with an empty chunk (spec §"Payload").
            raise PayloadError("empty final chunk after a non-empty one")
        out = bytearray(len(chunk) - TAG_SIZE)
        if open_into(out, 0, self._key, chunk_nonce(self._counter, last=True), chunk) is None:
            raise PayloadError("final chunk does not authenticate", chunk=self._counter)
        self._done = True
        self._pending = bytearray()
        return bytes(out)

    def _open_full(self, out: bytearray, offset: int, chunk: bytes | bytearray | memoryview) -> int:
        # A full-size chunk is tried as non-final first, then as final: a plaintext whose
        # length is a multiple of 64 KiB ends with a full chunk marked final (spec §"Payload").
        nonce = chunk_nonce(self._counter, last=False)
        n = open_into(out, offset, self._key, nonce, chunk)
        if n is None:
            n = open_into(out, offset, self._key, chunk_nonce(self._counter, last=True), chunk)
            if n is None:
                raise PayloadError("payload chunk does not authenticate", chunk=self._counter)
            self._done = True
        self._counter += 1
        return n

    def _raise_deferred(self) -> None:
        if self._error is not None:
            raise self._error
