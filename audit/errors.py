"""Errors raised by audit/.

Every error has a stable ``code`` (a key of the vault's French/English message catalogue) and
optional structured ``fields`` for the message::

    AuditError                         audit.error
    ├── ProofError                     audit.proof
    │   ├── InclusionProofError        audit.inclusion_proof     (an inclusion proof failed)
    │   └── ConsistencyProofError      audit.consistency_proof   (a consistency proof failed)
    ├── LogStoreError                  audit.store               (bad append or out-of-range read)
    ├── EntryError                     audit.entry               (malformed or non-canonical entry)
    ├── NoteError                      audit.note                (a signed note is malformed)
    │   ├── VerifierKeyError           audit.vkey                (a verifier key text is invalid)
    │   ├── UnverifiedNoteError        audit.note_unverified     (no trusted key signed the note)
    │   └── NoteSignatureError         audit.note_signature      (a trusted key's signature fails)
    ├── CheckpointError                audit.checkpoint          (bad checkpoint body or origin)
    ├── WitnessError                   audit.witness             (the witness refuses to cosign)
    │   ├── RollbackError              audit.witness_rollback    (the new checkpoint is smaller)
    │   ├── ForkError                  audit.witness_fork        (same size, different root)
    │   └── InconsistentCheckpointError audit.witness_inconsistent (the consistency proof fails)
    └── LogVerificationError           audit.log_verification    (offline verification failed;
                                                                  fields: index, kind, detail)
"""

from __future__ import annotations

from typing import Any


class AuditError(Exception):
    code = "audit.error"

    def __init__(self, detail: str = "", **fields: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields


class ProofError(AuditError):
    code = "audit.proof"


class InclusionProofError(ProofError):
    code = "audit.inclusion_proof"


class ConsistencyProofError(ProofError):
    code = "audit.consistency_proof"


class LogStoreError(AuditError):
    code = "audit.store"


class EntryError(AuditError):
    code = "audit.entry"


class NoteError(AuditError):
    code = "audit.note"


class VerifierKeyError(NoteError):
    code = "audit.vkey"


class UnverifiedNoteError(NoteError):
    code = "audit.note_unverified"


class NoteSignatureError(NoteError):
    code = "audit.note_signature"


class CheckpointError(AuditError):
    code = "audit.checkpoint"


class WitnessError(AuditError):
    code = "audit.witness"


class RollbackError(WitnessError):
    code = "audit.witness_rollback"


class ForkError(WitnessError):
    code = "audit.witness_fork"


class InconsistentCheckpointError(WitnessError):
    code = "audit.witness_inconsistent"


class LogVerificationError(AuditError):
    """Offline verification failed.

    ``index`` is the first entry that cannot be trusted (None when the failure is not tied to
    one entry, e.g. a bad signature); ``kind`` is one of :data:`audit.verifier.KINDS`.
    """

    code = "audit.log_verification"

    def __init__(self, index: int | None, kind: str, detail: str) -> None:
        where = "" if index is None else f"entry {index}: "
        super().__init__(f"{where}{kind}: {detail}", index=index, kind=kind)
        self.index = index
        self.kind = kind
        self.detail = detail
