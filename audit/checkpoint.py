"""C2SP tlog-checkpoint (v1.0.0): the signed statement "log <origin> has <size> entries with
root <hash>".

Body (the note text), in this order, each line ending in LF::

    <origin>          non-empty log identity
    <size>            ASCII decimal, no leading zeros, < 2**64
    <root hash>       padded canonical base64 of the 32-byte RFC 6962 root
    [<extension>]*    optional non-empty lines (NOT RECOMMENDED; we never write them)

The body has exactly one encoding, so ``Checkpoint.parse(t).to_text() == t``.  Signing and
opening go through :mod:`audit.note`; the caller must say which origin it expects, because a
valid signature from the right key on another log's checkpoint proves nothing about this log.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from audit.errors import CheckpointError
from audit.note import VerifierKey, open_note, sign_note
from audit.rfc6962 import HASH_SIZE, Hash, RootHash
from crypto.errors import CryptoError
from crypto.signing import SigningKey, b64decode_strict

_SIZE_RE = re.compile(r"(0|[1-9][0-9]*)\Z")
_MAX_SIZE = 2**64 - 1


def _check_line(line: str, what: str) -> None:
    if not line or any(c < " " or "\ud800" <= c <= "\udfff" for c in line):
        raise CheckpointError(f"{what} must be a non-empty line")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: RootHash
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "the origin")
        if type(self.size) is not int or not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError("tree size must be an integer in [0, 2**64)")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("the root hash must be 32 bytes (SHA-256)")
        for ext in self.extensions:
            _check_line(ext, "an extension")

    def to_text(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (the vault requires a 32-byte SHA-256 root)."""
        # 1. At least three lines, each ending in LF.
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs origin, size and root lines")
        origin, size_text, root_text, *extensions = lines
        # 2. Size: decimal, no sign, no leading zeros, fits in uint64.
        if not _SIZE_RE.match(size_text) or int(size_text) > _MAX_SIZE:
            raise CheckpointError("invalid tree size", size=size_text)
        # 3. Root: canonical padded base64 of exactly 32 bytes.
        try:
            root = b64decode_strict(root_text)
        except CryptoError as exc:
            raise CheckpointError("root hash is not canonical base64") from exc
        # 4. Field rules (non-empty origin and extensions, root length) in the constructor.
        return cls(origin, int(size_text), RootHash(Hash(root)), tuple(extensions))


def sign_checkpoint(cp: Checkpoint, name: str, signing_key: SigningKey) -> str:
    """The checkpoint as a signed note with one Ed25519 signature by ``name``."""
    return sign_note(cp.to_text(), name, signing_key)


def open_checkpoint(note_text: str | bytes, verifier_key: VerifierKey, origin: str) -> Checkpoint:
    """Verify the log's signature, parse the body, and check the origin.

    Raises :class:`audit.errors.NoteError` subclasses for signature problems and
    :class:`CheckpointError` for a bad body or an unexpected origin.
    """
    cp = Checkpoint.parse(open_note(note_text, [verifier_key]).text)
    if cp.origin != origin:
        raise CheckpointError("checkpoint is for another log", origin=cp.origin, expected=origin)
    return cp
