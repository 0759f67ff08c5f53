"""C2SP signed notes (c2sp.org/signed-note, v1.0.0) with Ed25519 signatures (type 0x01).

A note is UTF-8 text, one empty line, then signature lines ``— <name> <b64(key_id || sig)>``.
The signed message is the text up to and including its final LF; the separator is the *last*
empty line, because the text may itself contain empty lines.  Parsing is strict (no control
characters but LF, padded canonical base64, a final LF, at most :data:`MAX_SIGNATURES`
signatures) so that a note has one meaning however it reached us.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from audit.errors import NoteError, NoteSignatureError, UnverifiedNoteError, VerifierKeyError
from crypto.errors import CryptoError
from crypto.signing import PUBLIC_KEY_SIZE, SigningKey, VerifyKey, b64decode_strict

#: signed-note "Signature types": pure Ed25519 over the note text.
SIG_TYPE_ED25519 = 0x01
#: tlog-cosignature: timestamped Ed25519 cosignature (see :mod:`audit.witness`).
SIG_TYPE_COSIGNATURE = 0x04
#: Each signature line starts with U+2014 EM DASH and a space.
SIGNATURE_PREFIX = "\u2014 "
#: signed-note: verifiers must accept at least 16 signatures; like Go's x/mod we cap at 100.
MAX_SIGNATURES = 100
KEY_ID_SIZE = 4


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || sig_type || public_key)[:4]`` (signed-note "Signatures")."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    """A key name is non-empty and has no Unicode whitespace and no ``+``."""
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError("invalid key name", name=name)
    _check_chars(name)


def _check_chars(text: str) -> None:
    if any((c < " " and c != "\n") or "\ud800" <= c <= "\udfff" for c in text):
        raise NoteError("control character or lone surrogate in note")


def _b64(text: str) -> bytes:
    try:
        return b64decode_strict(text)
    except CryptoError as exc:
        raise NoteError("invalid base64 in note") from exc


@dataclass(frozen=True)
class VerifierKey:
    """A public key under a name, as in the vkey text form ``<name>+<hex id>+<b64(type||pk)>``."""

    name: str
    sig_type: int
    public_key: VerifyKey

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE):
            raise VerifierKeyError("unsupported signature type", sig_type=self.sig_type)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key.raw)

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse a vkey; reject a key ID that does not match the name and key."""
        # Split at the first two '+' only: the base64 part may itself contain '+'.
        parts = text.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8 or parts[1] != parts[1].lower():
            raise VerifierKeyError("a vkey is <name>+<8 hex digits>+<base64>")
        name, hex_id, b64 = parts
        try:
            claimed_id = bytes.fromhex(hex_id)
            material = _b64(b64)
        except (ValueError, NoteError) as exc:
            raise VerifierKeyError("malformed vkey") from exc
        if len(material) != 1 + PUBLIC_KEY_SIZE:
            raise VerifierKeyError("an Ed25519 vkey holds a type byte and 32 key bytes")
        try:
            key = cls(name, material[0], VerifyKey(material[1:]))
        except NoteError as exc:
            raise VerifierKeyError(exc.detail) from exc
        if key.key_id != claimed_id:
            raise VerifierKeyError("key ID does not match the name and key", name=name)
        return key

    def to_text(self) -> str:
        material = bytes([self.sig_type]) + self.public_key.raw
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(material).decode()}"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes that follow it."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    @classmethod
    def parse(cls, data: str | bytes) -> Note:
        """Split a note into text and signatures (no verification)."""
        # 1. UTF-8, no control characters but LF, ends in LF.
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NoteError("note is not UTF-8") from exc
        _check_chars(data)
        if not data.endswith("\n"):
            raise NoteError("note does not end with a newline")
        # 2. The separator is the last empty line; the text keeps its final LF.
        split = data.rfind("\n\n")
        if split < 0:
            raise NoteError("note has no signature separator")
        text, block = data[: split + 1], data[split + 2 :]
        lines = block.split("\n")[:-1]
        if not lines:
            raise NoteError("note has no signatures")
        if len(lines) > MAX_SIGNATURES:
            raise NoteError("too many signatures", count=len(lines), limit=MAX_SIGNATURES)
        # 3. Each line: EM DASH, space, valid key name, space, base64 of key ID and signature.
        signatures = []
        for line in lines:
            if not line.startswith(SIGNATURE_PREFIX):
                raise NoteError("malformed signature line")
            name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
            check_key_name(name)
            blob = _b64(b64)
            if len(blob) <= KEY_ID_SIZE:
                raise NoteError("signature too short", name=name)
            signatures.append(NoteSignature(name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:]))
        return cls(text, tuple(signatures))


@dataclass(frozen=True)
class OpenedNote:
    text: str
    verified: tuple[NoteSignature, ...]  # signatures by trusted keys, all verified
    ignored: tuple[NoteSignature, ...]  # signatures by keys we were not told to trust


def signature_line(text: str, name: str, signing_key: SigningKey) -> str:
    """A type-0x01 signature line for ``text``, to append to a note."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_chars(text)
    check_key_name(name)
    kid = key_id(name, SIG_TYPE_ED25519, signing_key.public_key.raw)
    return NoteSignature(name, kid, signing_key.sign(text.encode())).to_line()


def sign_note(text: str, name: str, signing_key: SigningKey) -> str:
    """A signed note with one Ed25519 signature."""
    return text + "\n" + signature_line(text, name, signing_key)


def open_note(data: str | bytes, verifiers: Sequence[VerifierKey]) -> OpenedNote:
    """Parse and verify a note against trusted Ed25519 keys.

    Signatures whose (name, key ID) match no trusted key are ignored; a trusted key's signature
    that fails rejects the whole note (:class:`NoteSignatureError`); and at least one trusted
    signature must verify (:class:`UnverifiedNoteError`).
    """
    if any(v.sig_type != SIG_TYPE_ED25519 for v in verifiers):
        raise VerifierKeyError("notes are verified with Ed25519 (type 0x01) keys only")
    note = Note.parse(data)
    trusted = {(v.name, v.key_id): v for v in verifiers}
    message = note.text.encode()
    verified: list[NoteSignature] = []
    ignored: list[NoteSignature] = []
    for sig in note.signatures:
        verifier = trusted.get((sig.name, sig.key_id))
        if verifier is None:
            ignored.append(sig)
            continue
        try:
            verifier.public_key.verify(message, sig.signature)
        except CryptoError as exc:
            raise NoteSignatureError("a trusted signature does not verify", name=sig.name) from exc
        if sig not in verified:
            verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("no signature from a trusted key")
    return OpenedNote(note.text, tuple(verified), tuple(ignored))
