"""The offline verifier: check an exported audit log against a signed checkpoint.

Inputs (formats in docs/audit-log.md):

* the export: one canonical entry per line, each line exactly the entry bytes followed by LF;
* the checkpoint note (C2SP tlog-checkpoint signed by the log's Ed25519 key);
* the log's verifier key (``<name>+<hex id>+<base64>``);
* optionally an earlier checkpoint the auditor kept (``previous``).

It reads the export once, in order, keeping O(log n) state, and stops at the FIRST problem with
:class:`LogVerificationError` ``(index, kind, detail)``; ``index`` is the first entry that cannot
be trusted, or None when the problem is with a checkpoint as a whole.  Nothing here needs the
vault: an auditor can redo every step with ``sha256sum`` and a page of Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit.checkpoint import Checkpoint, open_checkpoint
from audit.compact import CompactRange
from audit.entry import GENESIS_PREV, AuditEntry, chain_digest
from audit.errors import (
    CheckpointError,
    EntryError,
    LogVerificationError,
    NoteError,
    NoteSignatureError,
    UnverifiedNoteError,
)
from audit.note import VerifierKey
from audit.rfc6962 import EMPTY_ROOT, RootHash, leaf_hash

#: The kinds of damage the verifier names.
KINDS = (
    "entry_not_canonical",  # a line is not one canonical entry followed by LF
    "index_mismatch",  # line N holds an entry whose index is not N (deleted/reordered)
    "chain_broken",  # entry N does not hash to the prev recorded in entry N+1 (edited)
    "root_mismatch",  # entries are self-consistent but do not hash to the signed root
    "truncated",  # fewer entries than the checkpoint's size
    "bad_signature",  # the log key's signature on a checkpoint does not verify
    "wrong_key",  # the checkpoint carries no signature by the given log key
    "bad_checkpoint",  # malformed checkpoint, or a checkpoint for another origin
    "inconsistent_with_previous",  # the log does not extend the earlier checkpoint
    "fork",  # the two checkpoints have the same size and different roots
)


@dataclass(frozen=True)
class VerifiedLog:
    checkpoint: Checkpoint
    entries: int  # lines read; entries past checkpoint.size are not covered by its signature


def _open(note: str | bytes, key: VerifierKey, origin: str, which: str) -> Checkpoint:
    try:
        return open_checkpoint(note, key, origin)
    except UnverifiedNoteError as exc:
        detail = f"the {which} checkpoint has no signature by {key.name}+{key.key_id.hex()}"
        raise LogVerificationError(None, "wrong_key", detail) from exc
    except NoteSignatureError as exc:
        detail = f"the log key's signature on the {which} checkpoint does not verify"
        raise LogVerificationError(None, "bad_signature", detail) from exc
    except (NoteError, CheckpointError) as exc:
        raise LogVerificationError(None, "bad_checkpoint", f"{which}: {exc.detail}") from exc


def verify_log(
    lines: Iterable[bytes],
    checkpoint: str | bytes,
    log_key: VerifierKey,
    *,
    origin: str | None = None,
    previous: str | bytes | None = None,
) -> VerifiedLog:
    """Verify an export; return what was verified or raise :class:`LogVerificationError`.

    ``lines`` yields the export's lines with their LF (iterating a file opened in ``"rb"``
    does exactly that).  ``origin`` defaults to the key name, as tlog-checkpoint recommends.
    """
    origin = log_key.name if origin is None else origin
    # 1. The checkpoint must be signed by the log's key, for this log.
    cp = _open(checkpoint, log_key, origin, "current")
    # 2. An earlier checkpoint must be signed too, and must not be larger or a fork.
    old: Checkpoint | None = None
    if previous is not None:
        old = _open(previous, log_key, origin, "previous")
        if old.size > cp.size:
            detail = f"the previous checkpoint has {old.size} entries, the current {cp.size}"
            raise LogVerificationError(None, "inconsistent_with_previous", detail)
        if old.size == cp.size and old.root_hash != cp.root_hash:
            detail = f"two signed checkpoints of size {cp.size} with different roots"
            raise LogVerificationError(None, "fork", detail)
        if old.size == 0 and old.root_hash != EMPTY_ROOT:
            raise LogVerificationError(None, "bad_checkpoint", "empty tree with a wrong root")

    tree = CompactRange()
    expected_prev = GENESIS_PREV
    for index, line in enumerate(lines):
        # 3. Each line is one canonical entry followed by LF.
        if not line.endswith(b"\n"):
            raise LogVerificationError(index, "entry_not_canonical", "line has no final LF")
        data = line[:-1]
        try:
            entry = AuditEntry.parse(data)
        except EntryError as exc:
            raise LogVerificationError(index, "entry_not_canonical", exc.detail) from exc
        # 4. Entries are numbered 0, 1, 2, ... with no gap and no repeat.
        if entry.index != index:
            detail = f"line {index} holds entry {entry.index}: entries removed or reordered"
            raise LogVerificationError(index, "index_mismatch", detail)
        # 5. The hash chain: prev is sha256 of the previous line (64 zeros for entry 0).
        #    A break is reported at the EARLIER entry, whose bytes no longer match what its
        #    successor recorded: that is the edited one unless the edit was to prev itself.
        if entry.prev != expected_prev and index == 0:
            detail = "entry 0 must record prev as 64 zeros"
            raise LogVerificationError(0, "chain_broken", detail)
        if entry.prev != expected_prev:
            detail = (
                f"entry {index} records prev {entry.prev}, but entry {index - 1} hashes to "
                f"{expected_prev}: entry {index - 1} (or the prev of entry {index}) was altered"
            )
            raise LogVerificationError(index - 1, "chain_broken", detail)
        expected_prev = chain_digest(data)
        # 6. Add the leaf (RFC 6962: SHA-256(0x00 || entry bytes)) to the tree.
        tree.append(leaf_hash(data))
        # 7. At the sizes of the two checkpoints, the roots must match the signed ones.
        if old is not None and tree.size == old.size:
            _check_root(tree.root(), old, "inconsistent_with_previous", "previous")
        if tree.size == cp.size:
            _check_root(tree.root(), cp, "root_mismatch", "current")
    count = tree.size
    # 8. The export must hold at least the entries the checkpoint covers.
    if count < cp.size:
        detail = f"the checkpoint covers {cp.size} entries but the export holds {count}"
        raise LogVerificationError(count, "truncated", detail)
    if cp.size == 0:
        _check_root(EMPTY_ROOT, cp, "root_mismatch", "current")
    return VerifiedLog(cp, count)


def _check_root(root: RootHash, cp: Checkpoint, kind: str, which: str) -> None:
    if root != cp.root_hash:
        detail = (
            f"the first {cp.size} entries do not hash to the {which} checkpoint's root "
            f"(computed {root.hex()}, signed {cp.root_hash.hex()})"
        )
        raise LogVerificationError(None, kind, detail)
