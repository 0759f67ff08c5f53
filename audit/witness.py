"""C2SP tlog-cosignature (v1, Ed25519, signature type 0x04) and the witness's decision.

A witness remembers the last checkpoint it cosigned for a log.  Given a newer checkpoint and a
consistency proof from the old one, it checks the log's signature and the proof, and only then
signs: "as of <time>, this is the largest consistent tree I have seen for <origin>".  Rolling
back (a smaller tree) or forking (same size, different root) is refused with an error that
carries both checkpoints, which together are evidence that the log misbehaved.

Signed message (tlog-cosignature "Ed25519 signed message")::

    cosignature/v1 LF
    time <POSIX seconds, decimal, no leading zeros> LF
    <checkpoint body, including its final LF, excluding signature lines>

Signature line: ``— <witness name> b64(key_id || u64 big-endian timestamp || Ed25519 sig)``
with ``key_id = SHA-256(name || LF || 0x04 || public key)[:4]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.checkpoint import Checkpoint, open_checkpoint
from audit.errors import (
    ConsistencyProofError,
    ForkError,
    InconsistentCheckpointError,
    NoteSignatureError,
    RollbackError,
    UnverifiedNoteError,
    VerifierKeyError,
    WitnessError,
)
from audit.note import SIG_TYPE_COSIGNATURE, Note, NoteSignature, VerifierKey
from audit.proof import verify_consistency
from audit.rfc6962 import EMPTY_ROOT
from crypto.errors import CryptoError
from crypto.signing import SigningKey

COSIGNATURE_HEADER = "cosignature/v1\n"
#: tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1.
MAX_TIMESTAMP = 2**63 - 1
_TIMESTAMP_SIZE = 8


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise WitnessError("cosignature timestamp out of range", timestamp=timestamp)
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosigner_key(name: str, signing_key: SigningKey) -> VerifierKey:
    """The witness's vkey (type 0x04), to hand to log clients."""
    return VerifierKey(name, SIG_TYPE_COSIGNATURE, signing_key.public_key)


def cosignature_line(
    checkpoint_text: str, name: str, signing_key: SigningKey, timestamp: int
) -> str:
    """A cosignature line to append to the checkpoint note."""
    key = cosigner_key(name, signing_key)
    signature = signing_key.sign(cosignature_message(checkpoint_text, timestamp))
    stamped = timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature
    return NoteSignature(name, key.key_id, stamped).to_line()


def verify_cosignature(note_text: str | bytes, cosigner: VerifierKey) -> int:
    """Return the timestamp of ``cosigner``'s valid cosignature on the note, or raise."""
    # 1. Only a type-0x04 key can check a cosignature; its ID commits to that type.
    if cosigner.sig_type != SIG_TYPE_COSIGNATURE:
        raise VerifierKeyError("a cosigner key has signature type 0x04")
    note = Note.parse(note_text)
    # 2. Find the line with the cosigner's name and key ID; other lines are not ours to judge.
    lines = [s for s in note.signatures if (s.name, s.key_id) == (cosigner.name, cosigner.key_id)]
    if not lines:
        raise UnverifiedNoteError("no cosignature from this witness", name=cosigner.name)
    # 3. Every matching line must verify over cosignature/v1 || time || body.
    timestamp = 0
    for sig in lines:
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        try:
            message = cosignature_message(note.text, timestamp)
            cosigner.public_key.verify(message, sig.signature[_TIMESTAMP_SIZE:])
        except (CryptoError, WitnessError) as exc:
            raise NoteSignatureError("cosignature does not verify", name=sig.name) from exc
    return timestamp


@dataclass(frozen=True)
class Witness:
    """A witness for one log: its own name and key, and the log's key and origin."""

    name: str
    signing_key: SigningKey
    log_key: VerifierKey
    origin: str

    def check(
        self, last_checkpoint: str | None, new_checkpoint: str, proof: Sequence[bytes]
    ) -> Checkpoint:
        """Verify that ``new_checkpoint`` may be cosigned; return it parsed, or raise."""
        # 1. The new checkpoint must be signed by the log for the expected origin.
        new = open_checkpoint(new_checkpoint, self.log_key, self.origin)
        if last_checkpoint is None:
            return new  # first contact: trust on first use, recorded by the caller
        # 2. Our own state is re-verified too: a tampered state file must not steer us.
        old = open_checkpoint(last_checkpoint, self.log_key, self.origin)
        evidence = {"old": last_checkpoint, "new": new_checkpoint}
        # 3. Never go backwards, never accept two different trees of the same size.
        if new.size < old.size:
            raise RollbackError("the log shows a smaller tree than before", **evidence)
        if new.size == old.size:
            if new.root_hash != old.root_hash:
                raise ForkError("same tree size, different root: the log forked", **evidence)
            if proof:
                raise InconsistentCheckpointError("proof must be empty for the same tree")
            return new
        # 4. From the empty tree nothing needs proving (ADR 0003), but its root must be right.
        if old.size == 0:
            if old.root_hash != EMPTY_ROOT or proof:
                raise InconsistentCheckpointError("bad empty-tree checkpoint or proof", **evidence)
            return new
        # 5. Otherwise the RFC 9162 consistency proof must link the two roots.
        try:
            verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)
        except ConsistencyProofError as exc:
            raise InconsistentCheckpointError(
                f"consistency proof fails: {exc.detail}", **evidence
            ) from exc
        return new

    def cosign(
        self,
        last_checkpoint: str | None,
        new_checkpoint: str,
        proof: Sequence[bytes],
        timestamp: int,
    ) -> str:
        """Check the new checkpoint and return a cosignature line for it.

        The caller stores ``new_checkpoint`` as its new state only after this returns.
        """
        new = self.check(last_checkpoint, new_checkpoint, proof)
        return cosignature_line(new.to_text(), self.name, self.signing_key, timestamp)
