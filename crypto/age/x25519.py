"""The X25519 recipient stanza: wrap and unwrap (spec §"The X25519 recipient type").

Pure functions over bytes; the key classes in :mod:`crypto.age.keys` call them.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.age.header import b64decode_strict, b64encode_unpadded
from crypto.age.primitives import aead_open, aead_seal, hkdf_sha256, x25519, x25519_base
from crypto.age.stanza import FILE_KEY_SIZE, RandomSource, Stanza
from crypto.errors import HeaderError

STANZA_TYPE = "X25519"
WRAP_INFO = b"age-encryption.org/v1/X25519"
POINT_SIZE = 32
_WRAP_NONCE = bytes(12)  # Each wrap key is used once, so a zero nonce is safe (spec).


def wrap(file_key: bytes, recipient: bytes, rng: RandomSource) -> Stanza:
    """``-> X25519 <ephemeral share>`` with the file key sealed under the derived wrap key."""
    ephemeral_secret = rng(32)
    ephemeral_share = x25519_base(ephemeral_secret)
    shared = x25519(ephemeral_secret, recipient)
    if shared is None:
        # Only a low-order recipient point gives this; such a key cannot be honest.
        raise ValueError("recipient public key is a low-order point")
    wrap_key = hkdf_sha256(shared, ephemeral_share + recipient, WRAP_INFO)
    body = aead_seal(wrap_key, _WRAP_NONCE, file_key)
    return Stanza(STANZA_TYPE, (b64encode_unpadded(ephemeral_share),), body)


def unwrap_one(stanza: Stanza, secret: bytes, public: bytes) -> bytes | None:
    """The file key if ``stanza`` is ours; ``None`` if it is not (wrong type or AEAD
    failure); :class:`HeaderError` if it is an X25519 stanza that breaks the rules."""
    if stanza.type != STANZA_TYPE:  # Exact, case-sensitive comparison.
        return None
    if len(stanza.args) != 1:
        raise HeaderError("X25519 stanza must have exactly one argument")
    share = b64decode_strict(stanza.args[0])
    if len(share) != POINT_SIZE:
        raise HeaderError("X25519 share must be 32 bytes")
    # Check the body size before decrypting, so a wrong size is a header error and not
    # an AEAD failure that would read as "not for us".
    if len(stanza.body) != FILE_KEY_SIZE + 16:
        raise HeaderError("X25519 stanza body must be 32 bytes")
    shared = x25519(secret, share)
    if shared is None:
        raise HeaderError("X25519 shared secret is all zeros (low-order share)")
    wrap_key = hkdf_sha256(shared, share + public, WRAP_INFO)
    return aead_open(wrap_key, _WRAP_NONCE, stanza.body)


def unwrap(stanzas: Sequence[Stanza], secret: bytes, public: bytes) -> bytes | None:
    for stanza in stanzas:
        file_key = unwrap_one(stanza, secret, public)
        if file_key is not None:
            return file_key
    return None
