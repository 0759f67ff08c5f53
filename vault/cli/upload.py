"""``vault upload --case ID FILE…``: client-sealed, resumable uploads (docs/client.md).

For each file: hash the plaintext while encrypting it with age to the case's recipients into
a ciphertext file in the state directory (constant memory, nothing readable on disk), sign a
capture statement with the device key, send the ciphertext with tus in chunks, resuming from
the server's offset after any network failure, then verify the signed receipt against the
log key before saying "done".

The state (upload URL, statement, ciphertext path and digests) is a small JSON file named
by a hash of (vault, case, absolute path), so re-running the same command after a crash
resumes instead of starting over.  It holds no filename and no plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from crypto.age import Encryptor, X25519Recipient, encrypt
from vault import statements
from vault.cli.common import EXIT_FAILURE, EXIT_USAGE, CliError
from vault.cli.device import (
    DeviceKey,
    connection_options,
    default_device_key,
    device_key_option,
    load_device_key,
    open_client,
    server_failure,
)
from vault.client import ApiError, ClientError, NetworkError, VaultClient
from vault.clock import utc_text

BLOCK = 1024 * 1024
DEFAULT_CHUNK = 8 * 1024 * 1024
# Answers after which a HEAD and a retry may succeed: a corrupted chunk, rate limiting and
# server outages, a busy upload, and a wrong offset after an answer that got lost.
RETRYABLE_STATUS = {423, 429, 460, 500, 502, 503, 504}
RETRYABLE_CODES = {"upload.busy", "upload.offset_mismatch", "storage.unavailable"}


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vault" / "uploads"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class UploadState:
    """The JSON state file of one (vault, case, file) upload."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @property
    def ciphertext(self) -> Path:
        return Path(self.data["ciphertext"])

    def save(self) -> None:
        _atomic_write(self.path, json.dumps(self.data, indent=1).encode())

    def discard(self) -> None:
        for path in (self.ciphertext, self.path):
            path.unlink(missing_ok=True)


def _source_stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _seal(
    source: Path,
    state_path: Path,
    case_id: str,
    recipients: list[X25519Recipient],
    device: DeviceKey,
) -> UploadState:
    """Encrypt ``source`` to the recipients, hashing plaintext and ciphertext on the way, and
    sign the capture statement."""
    stamp = _source_stamp(source)
    ciphertext = state_path.with_suffix(".age")
    tmp = ciphertext.with_suffix(".age.tmp")
    plain, sealed = hashlib.sha256(), hashlib.sha256()
    enc = Encryptor(recipients)
    size = 0
    with source.open("rb") as src, tmp.open("wb") as dst:
        while block := src.read(BLOCK):
            plain.update(block)
            size += len(block)
            out = enc.update(block)
            sealed.update(out)
            dst.write(out)
        out = enc.finalize()
        sealed.update(out)
        dst.write(out)
        dst.flush()
        os.fsync(dst.fileno())
    if _source_stamp(source) != stamp or size != stamp["size"]:
        tmp.unlink(missing_ok=True)
        raise CliError(f"{source} changed while it was being read", status=EXIT_FAILURE)
    os.replace(tmp, ciphertext)
    media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    captured = utc_text(datetime.fromtimestamp(stamp["mtime_ns"] / 1e9, tz=UTC))
    metadata = encrypt(
        json.dumps(
            {"filename": source.name, "media_type": media_type, "captured_at": captured},
            sort_keys=True,
        ).encode(),
        recipients,
    )
    item_id = str(uuid.uuid4())
    fields = {
        "v": 1,
        "case_id": case_id,
        "item_id": item_id,
        "plaintext_sha256": plain.hexdigest(),
        "size": size,
        "media_type": media_type,
        "captured_at": captured,
        "device_id": device.device_id,
        "metadata_sha256": hashlib.sha256(metadata).hexdigest(),
    }
    state = UploadState(
        state_path,
        {
            "v": 1,
            "source": stamp,
            "case_id": case_id,
            "item_id": item_id,
            "statement": statements.make(fields, device.key),
            "sealed_metadata": base64.b64encode(metadata).decode(),
            "ciphertext": str(ciphertext),
            "ciphertext_size": ciphertext.stat().st_size,
            "ciphertext_sha256": sealed.hexdigest(),
            "plaintext_sha256": plain.hexdigest(),
            "idempotency_key": str(uuid.uuid4()),
            "upload_url": None,
        },
    )
    state.save()
    return state


def _load_or_seal(
    source: Path, state_dir: Path, client: VaultClient, case_id: str, device: DeviceKey
) -> tuple[UploadState, bool]:
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{client.base_url}\n{case_id}\n{source.resolve()}"
    state_path = state_dir / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.json"
    if state_path.exists():
        try:
            state = UploadState(state_path, json.loads(state_path.read_text()))
            fresh = state.data["source"] == _source_stamp(source) and state.ciphertext.exists()
        except (ValueError, KeyError, OSError):
            fresh = False
        if fresh:
            return state, True
        UploadState(state_path, {"ciphertext": str(state_path.with_suffix(".age"))}).discard()
    recipients = [X25519Recipient.parse(r) for r in client.get_case(case_id)["recipients"]]
    return _seal(source, state_path, case_id, recipients, device), False


def _chunk(path: Path, offset: int, size: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(offset)
        left = size
        while left:
            block = fh.read(min(BLOCK, left))
            if not block:
                raise OSError("the ciphertext file is shorter than recorded")
            left -= len(block)
            yield block


def _finish(client: VaultClient, url: str, length: int) -> dict[str, Any]:
    """The receipt of an upload whose bytes are all in: fetched, or (if the completion did not
    run or failed transiently) by an empty PATCH that runs it again."""
    try:
        return client.tus_receipt(url)
    except ApiError as exc:
        if exc.code != "upload.incomplete":
            raise
    _, receipt = client.tus_patch(url, length, [], 0)
    if receipt is None:
        raise ApiError(204, "client.bad_answer", "the completed upload gave no receipt")
    return receipt


def _send(
    client: VaultClient,
    state: UploadState,
    chunk_size: int,
    retries: int,
    progress: Progress,
    task: Any,
) -> dict[str, Any]:
    data = state.data
    length = data["ciphertext_size"]
    url: str | None = data["upload_url"]
    offset: int | None = None
    failures = 0
    while True:
        try:
            if url is not None and offset is None:
                try:
                    offset = client.tus_head(url).offset
                except ApiError as exc:
                    if exc.status not in (404, 410):
                        raise
                    url = None  # expired or removed: open a new upload, same statement
            if url is None:
                created = client.tus_create(
                    data["case_id"],
                    length,
                    data["statement"],
                    base64.b64decode(data["sealed_metadata"]),
                    data["idempotency_key"],
                )
                url, offset = created.url, created.offset
                data["upload_url"] = url
                state.save()
            assert offset is not None
            progress.update(task, completed=offset)
            if offset >= length:
                return _finish(client, url, length)
            size = min(chunk_size, length - offset)
            # No per-chunk Upload-Checksum: a checksummed chunk cut short is thrown away,
            # while an unchecksummed one keeps every byte that arrived, which is what a poor
            # network needs.  Integrity is end to end instead: the receipt must carry the
            # ciphertext SHA-256 computed here.
            chunk = _chunk(state.ciphertext, offset, size)
            offset, receipt = client.tus_patch(url, offset, chunk, size)
            progress.update(task, completed=offset)
            failures = 0
            if receipt is not None:
                return receipt
        except (NetworkError, ApiError) as exc:
            if isinstance(exc, ApiError) and not _retryable(exc):
                raise
            failures += 1
            if failures > retries:
                raise
            # Exponential backoff, capped: poor networks come back, but not instantly.
            time.sleep(min(0.25 * 2 ** (failures - 1), 30.0))
            offset = None  # ask the server where it stands before sending again


def _retryable(exc: ApiError) -> bool:
    return exc.status in RETRYABLE_STATUS or exc.code in RETRYABLE_CODES


def _check_receipt(receipt: dict[str, Any], state: UploadState, log_key: Any) -> None:
    from vault.receipts import verify_receipt

    data = state.data
    try:
        verify_receipt(receipt, log_key)
    except Exception as exc:
        raise CliError(f"the receipt does not verify: {exc}", status=EXIT_FAILURE) from exc
    expected = {
        "item_id": data["item_id"],
        "case_id": data["case_id"],
        "plaintext_sha256": data["plaintext_sha256"],
        "ciphertext_sha256": data["ciphertext_sha256"],
    }
    for key, value in expected.items():
        if receipt.get(key) != value:
            raise CliError(f"the receipt's {key} is not what was sent", status=EXIT_FAILURE)


def _receipt_path(source: Path, receipts: Path | None, item_id: str) -> Path:
    if receipts is None:
        return source.with_name(source.name + ".receipt.json")
    receipts.mkdir(parents=True, exist_ok=True)
    return receipts / f"{item_id}.receipt.json"


def _log_key(client: VaultClient, pinned: Path | None) -> Any:
    from audit.note import VerifierKey

    text = pinned.read_text(encoding="utf-8").strip() if pinned else client.log_key()
    try:
        return VerifierKey.parse(text)
    except Exception as exc:
        raise CliError(f"not a log verifier key: {exc}", status=EXIT_USAGE) from exc


@click.command()
@click.option("--case", "case_id", required=True, help="The case to upload to.")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@device_key_option
@click.option(
    "--receipts",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep receipts here as ITEM.receipt.json (default: FILE.receipt.json beside FILE).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VAULT_STATE_DIR",
    default=None,
    help="Resumable state and ciphertext (default: ~/.local/state/vault/uploads).",
)
@click.option(
    "--log-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Pin the log's verifier key (default: ask the vault, GET /v1/log/key).",
)
@click.option("--chunk-size", type=click.IntRange(min=1), default=DEFAULT_CHUNK, show_default=True)
@click.option("--retries", type=click.IntRange(min=0), default=8, show_default=True)
@connection_options
def upload(
    case_id: str,
    files: tuple[Path, ...],
    device_key: Path | None,
    receipts: Path | None,
    state_dir: Path | None,
    log_key: Path | None,
    chunk_size: int,
    retries: int,
    url: str,
    token: str | None,
) -> None:
    """Encrypt FILEs to the case's keys, sign, upload resumably, and keep the receipts."""
    device = load_device_key(device_key or default_device_key())
    console = Console(stderr=True)
    with open_client(url, token) as client:
        try:
            vkey = _log_key(client, log_key)
            for source in files:
                state, resumed = _load_or_seal(
                    source, state_dir or default_state_dir(), client, case_id, device
                )
                if resumed:
                    console.print(f"vault: {source.name}: resuming")
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    TimeRemainingColumn(),
                    console=console,
                    transient=True,
                ) as progress:
                    task = progress.add_task(source.name, total=state.data["ciphertext_size"])
                    receipt = _send(client, state, chunk_size, retries, progress, task)
                _check_receipt(receipt, state, vkey)
                out = _receipt_path(source, receipts, receipt["item_id"])
                _atomic_write(out, (json.dumps(receipt, indent=2) + "\n").encode())
                state.discard()
                click.echo(f"{receipt['item_id']}\t{out}")
                console.print(
                    f"vault: {source.name}: done, item {receipt['item_id']} "
                    f"(log index {receipt['log_index']}); receipt verified and kept"
                )
        except ClientError as exc:
            raise server_failure(exc) from exc
        except OSError as exc:
            raise CliError(f"{exc.filename or 'file'}: {exc.strerror or exc}") from exc
