"""The primitives age v1 is built from (spec §"Conventions used in this document").

HKDF-SHA-256 and HMAC-SHA-256 come from the standard library; X25519 and
ChaCha20-Poly1305 (IETF, 12-byte nonce) come from libsodium through PyNaCl.  Foreign
exceptions never leave this module: callers get ``None`` or a :class:`CryptoError`.

The bulk AEAD calls libsodium through PyNaCl's own cffi handle (``nacl._sodium``) so that
chunks are sealed and opened straight into a caller-owned buffer.  The public
``nacl.bindings`` wrappers only take ``bytes`` and return a fresh copy, which costs two
extra copies per 64 KiB chunk (see docs/decisions/0002-bulk-cipher.md).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import nacl.bindings
import nacl.exceptions
from nacl import _sodium

KEY_SIZE = 32
TAG_SIZE = 16
NONCE_SIZE = 12

_ffi: Any = _sodium.ffi
_lib: Any = _sodium.lib
_NULL: Any = _ffi.NULL


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA-256 (RFC 5869): Extract with ``salt`` (may be empty), Expand with ``info``."""
    prk = hmac.digest(salt, ikm, hashlib.sha256)
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), hashlib.sha256)
        okm += block
        counter += 1
    return okm[:length]


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, hashlib.sha256)


def x25519_base(scalar: bytes) -> bytes:
    """The public point ``X25519(scalar, basepoint)`` (RFC 7748 §6.1)."""
    return bytes(nacl.bindings.crypto_scalarmult_base(scalar))


def x25519(scalar: bytes, point: bytes) -> bytes | None:
    """``X25519(scalar, point)``, or ``None`` when the result is the all-zero value.

    libsodium refuses (returns -1) exactly when the shared secret is all zeros, i.e. when
    ``point`` is of low order; age requires that case to be rejected (spec §"X25519").
    """
    try:
        out = bytes(nacl.bindings.crypto_scalarmult(scalar, point))
    except (nacl.exceptions.RuntimeError, nacl.exceptions.CryptoError):
        return None
    return None if out == bytes(32) else out


def seal_into(out: Any, out_offset: int, key: bytes, nonce: bytes, plaintext: Any) -> int:
    """ChaCha20-Poly1305-seal ``plaintext`` into ``out[out_offset:]``; return bytes written.

    ``out`` must be a writable buffer (bytearray) with room for ``len(plaintext) + 16``.
    """
    n = len(plaintext)
    dst = _ffi.from_buffer(out, require_writable=True)
    src = _ffi.from_buffer(plaintext) if n else _NULL
    rc = _lib.crypto_aead_chacha20poly1305_ietf_encrypt(
        dst + out_offset, _NULL, src, n, _NULL, 0, _NULL, nonce, key
    )
    if rc != 0:  # libsodium never fails here; keep the check so a failure cannot pass silently.
        raise RuntimeError("ChaCha20-Poly1305 seal failed")
    return n + TAG_SIZE


def open_into(out: Any, out_offset: int, key: bytes, nonce: bytes, ciphertext: Any) -> int | None:
    """Open ``ciphertext`` into ``out[out_offset:]``; return the plaintext length, or
    ``None`` when authentication fails (nothing meaningful is left in ``out`` then)."""
    n = len(ciphertext)
    if n < TAG_SIZE:
        return None
    dst = _ffi.from_buffer(out, require_writable=True)
    src = _ffi.from_buffer(ciphertext)
    rc = _lib.crypto_aead_chacha20poly1305_ietf_decrypt(
        dst + out_offset, _NULL, _NULL, src, n, _NULL, 0, nonce, key
    )
    return None if rc != 0 else n - TAG_SIZE


def aead_seal(key: bytes, nonce: bytes, plaintext: bytes) -> bytes:
    """One-shot seal for small values (wrapped file keys)."""
    return bytes(
        nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, None, nonce, key)
    )


def aead_open(key: bytes, nonce: bytes, ciphertext: bytes) -> bytes | None:
    """One-shot open for small values; ``None`` when the tag does not verify."""
    try:
        return bytes(
            nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, None, nonce, key)
        )
    except nacl.exceptions.CryptoError:
        return None
