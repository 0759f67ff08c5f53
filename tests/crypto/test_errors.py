from __future__ import annotations

import pytest

import crypto.errors as errors
import crypto.signing as signing
from crypto.age import ScryptIdentity, ScryptRecipient, X25519Identity, decrypt, encrypt

CODES = {
    errors.CryptoError: "crypto.error",
    errors.AgeError: "age.error",
    errors.HeaderError: "age.header",
    errors.HeaderMacError: "age.header_mac",
    errors.NoIdentityMatchError: "age.no_match",
    errors.PayloadError: "age.payload",
    errors.ArmorError: "age.armor",
    errors.KeyFormatError: "crypto.key_format",
    errors.SignatureError: "crypto.signature",
}


@pytest.mark.parametrize("cls", list(CODES), ids=[c.__name__ for c in CODES])
def test_codes_are_stable_and_drawn_in_the_docstring(cls: type[errors.CryptoError]) -> None:
    assert cls.code == CODES[cls]
    assert issubclass(cls, errors.CryptoError)
    assert f"{cls.__name__}" in (errors.__doc__ or "")
    assert cls.code in (errors.__doc__ or "")


def test_signing_reexports_the_moved_errors() -> None:
    assert signing.KeyFormatError is errors.KeyFormatError
    assert signing.SignatureError is errors.SignatureError
    with pytest.raises(errors.KeyFormatError):
        signing.SigningKey.from_text("VAULT-ED25519-SECRET-KEY-%%%")


def test_foreign_exceptions_are_translated() -> None:
    with pytest.raises(errors.KeyFormatError) as caught:
        X25519Identity.parse("AGE-SECRET-KEY-1" + "Ü" * 58)
    assert not isinstance(caught.value, UnicodeError)
    with pytest.raises(errors.HeaderError) as header:
        decrypt(
            b"age-encryption.org/v1\n-> X25519 @@@@\n\n--- " + b"A" * 43 + b"\n",
            [X25519Identity.generate()],
        )
    assert header.value.code == "age.header"


def test_scrypt_round_trip_and_wrong_passphrase() -> None:
    ciphertext = encrypt(b"by passphrase", [ScryptRecipient(b"correct horse", work_factor=10)])
    assert decrypt(ciphertext, [ScryptIdentity(b"correct horse")]) == b"by passphrase"
    with pytest.raises(errors.NoIdentityMatchError):
        decrypt(ciphertext, [ScryptIdentity(b"wrong")])
    with pytest.raises(errors.HeaderError):
        decrypt(ciphertext, [ScryptIdentity(b"correct horse", max_work_factor=9)])
