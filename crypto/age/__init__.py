"""age v1 file encryption (c2sp.org/age), byte-compatible with the age tool.

X25519 and scrypt recipients, STREAM payload, ASCII armor.  Standard library and PyNaCl
only.  Errors are the :mod:`crypto.errors` age classes, one per test-kit outcome.
"""

from crypto.age.armor import ArmorDecoder, ArmorEncoder, is_armored
from crypto.age.decryptor import Decryptor
from crypto.age.encryptor import Encryptor
from crypto.age.helpers import decrypt, decrypt_file, encrypt, encrypt_file
from crypto.age.keys import X25519Identity, X25519Recipient
from crypto.age.scrypt import ScryptIdentity, ScryptRecipient
from crypto.age.stanza import Identity, Recipient, Stanza
from crypto.errors import (
    AgeError,
    ArmorError,
    HeaderError,
    HeaderMacError,
    KeyFormatError,
    NoIdentityMatchError,
    PayloadError,
)

__all__ = [
    "AgeError",
    "ArmorDecoder",
    "ArmorEncoder",
    "ArmorError",
    "Decryptor",
    "Encryptor",
    "HeaderError",
    "HeaderMacError",
    "Identity",
    "KeyFormatError",
    "NoIdentityMatchError",
    "PayloadError",
    "Recipient",
    "ScryptIdentity",
    "ScryptRecipient",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_file",
    "encrypt",
    "encrypt_file",
    "is_armored",
]
