"""``vault audit``: check an exported audit log offline, and act as a witness.

``vault audit verify LOG.jsonl --checkpoint CP --log-key KEY [--previous OLD_CP] [--origin O]``
    recomputes every entry, the hash chain, the Merkle root and the signatures
    (``audit.verifier``).  Exit 0 when everything holds, 1 naming the first bad entry and the
    kind of damage, 2 for usage errors (unreadable files, malformed keys).

``vault audit witness --state FILE --log-key KEY --checkpoint NEW --proof PROOF --key WKEY
--name NAME [--origin O] [--init]``
    cosigns NEW if it is signed by the log and consistent with the checkpoint kept in FILE,
    prints the cosignature line on stdout and then replaces FILE with NEW.  A rollback, a
    fork or a failing proof exits 1 and leaves FILE untouched.

Formats (docs/audit-log.md): KEY is a vkey (``name+hexid+base64``) or a file holding one;
PROOF holds one lowercase hex hash per line (an empty file is an empty proof); WKEY is a file
holding the witness's ``VAULT-ED25519-SECRET-KEY-…`` text.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

from audit.errors import (
    AuditError,
    ForkError,
    LogVerificationError,
    NoteError,
    RollbackError,
    VerifierKeyError,
)
from audit.note import VerifierKey
from audit.verifier import verify_log
from audit.witness import Witness
from crypto.errors import CryptoError
from crypto.signing import SigningKey
from vault.cli.common import EXIT_FAILURE, EXIT_USAGE, CliError


@click.group("audit")
def audit() -> None:
    """The audit log: export it, verify an export offline, or cosign checkpoints as a witness."""


def _register_export() -> None:
    # Lives in its own module: it needs the database or the HTTP client, verify does not.
    from vault.cli.audit_export import export

    audit.add_command(export)


_register_export()


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} {path}: {exc}", status=EXIT_USAGE) from exc


def _log_key(value: str) -> VerifierKey:
    text = _read_text(value, "log key").strip() if Path(value).is_file() else value.strip()
    try:
        return VerifierKey.parse(text)
    except VerifierKeyError as exc:
        raise CliError(
            f"invalid log key: {exc.detail}",
            hint="give the vkey text (name+id+base64) or a file that holds it",
            status=EXIT_USAGE,
        ) from exc


@audit.command("verify")
@click.argument("log_file", metavar="LOG.jsonl")
@click.option("--checkpoint", "checkpoint_file", required=True, help="Signed checkpoint file.")
@click.option("--log-key", required=True, help="The log's vkey, or a file holding it.")
@click.option("--previous", "previous_file", help="An earlier checkpoint to check against.")
@click.option("--origin", help="Expected log origin (default: the key's name).")
def verify(
    log_file: str,
    checkpoint_file: str,
    log_key: str,
    previous_file: str | None,
    origin: str | None,
) -> None:
    """Verify an exported audit log against a signed checkpoint."""
    key = _log_key(log_key)
    checkpoint = _read_text(checkpoint_file, "checkpoint")
    previous = _read_text(previous_file, "previous checkpoint") if previous_file else None
    try:
        with open(log_file, "rb") as lines:
            result = verify_log(lines, checkpoint, key, origin=origin, previous=previous)
    except OSError as exc:
        raise CliError(f"cannot read log {log_file}: {exc}", status=EXIT_USAGE) from exc
    except LogVerificationError as exc:
        raise CliError(f"audit log verification failed: {exc}", status=EXIT_FAILURE) from exc
    cp = result.checkpoint
    click.echo(
        f"ok: {cp.size} entries verified against the checkpoint of {cp.origin} "
        f"(root {cp.root_hash.hex()})"
    )
    if result.entries > cp.size:
        extra = result.entries - cp.size
        click.echo(
            f"vault: warning: {extra} entries after the checkpoint are chained but not "
            "covered by its signature",
            err=True,
        )


def _proof(path: str) -> list[bytes]:
    hashes = []
    for number, line in enumerate(_read_text(path, "proof").splitlines(), start=1):
        try:
            h = bytes.fromhex(line)
        except ValueError:
            h = b""
        if len(h) != 32 or line != h.hex():
            raise CliError(f"proof line {number} is not a lowercase hex SHA-256", status=EXIT_USAGE)
        hashes.append(h)
    return hashes


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@audit.command("witness")
@click.option(
    "--state", "state_file", required=True, help="File with the last cosigned checkpoint."
)
@click.option("--log-key", required=True, help="The log's vkey, or a file holding it.")
@click.option("--checkpoint", "checkpoint_file", required=True, help="The new checkpoint.")
@click.option("--proof", "proof_file", required=True, help="Consistency proof, hex per line.")
@click.option("--key", "key_file", required=True, help="The witness's secret key file.")
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example.org.")
@click.option("--origin", help="Expected log origin (default: the log key's name).")
@click.option("--init", is_flag=True, help="Accept the first checkpoint if STATE does not exist.")
@click.option("--timestamp", type=int, hidden=True, help="POSIX seconds (tests only).")
def witness(
    state_file: str,
    log_key: str,
    checkpoint_file: str,
    proof_file: str,
    key_file: str,
    name: str,
    origin: str | None,
    init: bool,
    timestamp: int | None,
) -> None:
    """Cosign a checkpoint that extends the last one this witness saw."""
    key = _log_key(log_key)
    state = Path(state_file)
    last = _read_text(state_file, "state") if state.exists() else None
    if last is None and not init:
        raise CliError(
            f"no witness state at {state_file}",
            hint="pass --init to trust this first checkpoint",
            status=EXIT_USAGE,
        )
    new = _read_text(checkpoint_file, "checkpoint")
    proof = _proof(proof_file)
    try:
        signing_key = SigningKey.from_text(_read_text(key_file, "witness key"))
        w = Witness(name, signing_key, key, origin if origin is not None else key.name)
    except (CryptoError, NoteError) as exc:
        raise CliError(f"invalid witness key or name: {exc}", status=EXIT_USAGE) from exc
    now = int(time.time()) if timestamp is None else timestamp
    try:
        line = w.cosign(last, new, proof, now)
    except ForkError as exc:
        raise CliError(
            f"refusing to cosign: {exc.detail}",
            hint=f"keep {state_file} and {checkpoint_file}: together they prove the fork",
        ) from exc
    except RollbackError as exc:
        raise CliError(f"refusing to cosign: {exc.detail}") from exc
    except AuditError as exc:
        raise CliError(f"refusing to cosign: {exc}") from exc
    _write_atomically(state, new)
    click.echo(line, nl=False)
