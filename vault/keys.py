"""The server's own keys: its Ed25519 log/receipt signing key and the organisation's
recovery recipients.

The signing key is the one secret the server holds (DESIGN.md, "Keys").  The recovery
identity is generated only when none is configured, written ONCE to a file the operator must
move offline, and never read back by the server: it keeps only the recipient.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crypto.age import X25519Identity, X25519Recipient
from crypto.signing import SigningKey

SIGNING_KEY_FILE = "keys/log-signing.key"
RECOVERY_RECIPIENTS_FILE = "keys/recovery-recipients.txt"
RECOVERY_IDENTITY_FILE = "RECOVERY-IDENTITY-MOVE-OFFLINE.txt"


@dataclass(frozen=True)
class FirstRunNotice:
    recovery_identity_path: Path | None


def _write_new(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def load_or_create_signing_key(data_dir: Path) -> SigningKey:
    path = data_dir / SIGNING_KEY_FILE
    if not path.exists():
        _write_new(path, SigningKey.generate().to_text_unsafe() + "\n", 0o600)
    return SigningKey.from_text(path.read_text())


def load_or_create_recovery(
    data_dir: Path, configured: list[str]
) -> tuple[list[X25519Recipient], Path | None]:
    """The recovery recipients, and the path of a freshly generated identity file (if any)."""
    if configured:
        return [X25519Recipient.parse(r) for r in configured], None
    path = data_dir / RECOVERY_RECIPIENTS_FILE
    if path.exists():
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        return [X25519Recipient.parse(ln) for ln in lines if ln and not ln.startswith("#")], None
    identity = X25519Identity.generate()
    identity_path = data_dir / RECOVERY_IDENTITY_FILE
    now = datetime.now(UTC).isoformat(timespec="seconds")
    _write_new(
        identity_path,
        "# Organisation RECOVERY identity for this evidence vault.\n"
        "# Every item is also encrypted to it: whoever holds this file can read all evidence.\n"
        "# MOVE IT OFFLINE NOW (encrypted USB key in a safe), then delete it from this server.\n"
        f"# created: {now}\n"
        f"# public key: {identity.recipient.encode()}\n"
        f"{identity.encode()}\n",
        0o600,
    )
    _write_new(path, f"# recovery recipients, one per line\n{identity.recipient.encode()}\n", 0o644)
    return [identity.recipient], identity_path
