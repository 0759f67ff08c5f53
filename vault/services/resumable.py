"""Resumable client-sealed uploads: tus 1.0 core with the creation, expiration, termination
and checksum extensions (https://tus.io/protocols/resumable-upload).

The bytes are already age ciphertext, so a partial file on the server's disk reveals nothing
but a size.  Each upload lives in ``<data_dir>/uploads/<id>/``:

* ``partial``   the ciphertext received so far, fsynced before every acknowledgement;
* ``metadata.age`` the optional sealed metadata blob (itself age ciphertext);
* ``lock``      an ``flock`` target: one writer per upload, across workers sharing the disk.

The ``Upload`` row holds the acknowledged offset.  The row is the truth for what the client
was told; bytes on disk beyond it (a crash between fsync and commit) are dropped by the next
PATCH, and a file shorter than the row (lost disk writes) lowers the offset, so the client
simply resends.  Nothing is evidence until the last byte is in: completion runs the very same
checks and commit as ``POST /v1/cases/{id}/items/sealed`` (``intake.prepare_client_sealed`` +
``intake.complete_client_sealed``), so the item row and its audit entry appear atomically or
not at all.

Every step is authorised with the ``item.upload`` policy rule on the upload's case and
appended to the audit log as an ``item.upload`` entry whose ``details.tus`` names the step
(``create``, ``head``, ``patch``, ``terminate``, ``receipt``); the item record itself is the
usual ``item.upload`` entry with the item's digests.  Only the member who created an upload
may touch it; anyone else gets 404 (and a denied entry), like any id outside their cases.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from vault.actors import Actor, RequestInfo
from vault.clock import aware, now
from vault.context import Vault
from vault.db import session_scope
from vault.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, VaultError
from vault.logs import get_logger
from vault.models import Item, Upload
from vault.policy import decide
from vault.services import intake, items
from vault.services.access import Denied, record_denial
from vault.tus import ChecksumMismatch, Gone, TusCreate

log = get_logger("vault.resumable")

# How long an unfinished upload waits for its next byte.  A phone may be offline for days.
UPLOAD_TTL = timedelta(days=7)
WRITE_BLOCK = 1024 * 1024
READ_BLOCK = 1024 * 1024
AGE_MAGIC = b"age-encryption.org/v1\n"
ACTION = "item.upload"


@dataclass(frozen=True)
class UploadState:
    id: str
    case_id: str
    length: int
    offset: int
    expires_at: datetime
    statement_header: str
    idempotency_key: str | None

    @property
    def complete(self) -> bool:
        return self.offset == self.length


@dataclass(frozen=True)
class PatchResult:
    state: UploadState
    receipt: dict[str, Any] | None  # set when this PATCH completed the upload


# -- files on disk ------------------------------------------------------------------------------


def upload_dir(vault: Vault, upload_id: str) -> Path:
    return vault.settings.data_dir / "uploads" / upload_id


def _partial(vault: Vault, upload_id: str) -> Path:
    return upload_dir(vault, upload_id) / "partial"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(vault: Vault, upload_id: str) -> Iterator[None]:
    """One writer per upload.  A second PATCH while the first still runs (the client timed out
    and retried before the server noticed) gets 409 and retries after a HEAD."""
    directory = upload_dir(vault, upload_id)
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Conflict("upload.busy") from exc
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _disk_offset(vault: Vault, row: Upload) -> int:
    """The acknowledged offset, lowered if the disk holds less than the row says."""
    try:
        size = _partial(vault, row.id).stat().st_size
    except FileNotFoundError:
        return row.offset  # completed (partial removed) or never written
    return min(row.offset, size)


def _remove(vault: Vault, upload_id: str) -> None:
    shutil.rmtree(upload_dir(vault, upload_id), ignore_errors=True)


# -- authorisation ------------------------------------------------------------------------------


def _state(vault: Vault, row: Upload) -> UploadState:
    return UploadState(
        id=row.id,
        case_id=row.case_id,
        length=row.length,
        offset=_disk_offset(vault, row),
        expires_at=aware(row.expires_at),
        statement_header=row.statement_header,
        idempotency_key=row.idempotency_key,
    )


def _own_upload(
    vault: Vault, session: Session, actor: Actor, upload_id: str
) -> tuple[Upload | None, str | None, Any]:
    """The caller's live upload, or (None, reason, decision-or-error) to deny."""
    row = session.get(Upload, upload_id)
    if row is None or row.member_id != actor.member_id:
        return None, "no_such_upload", NotFound("upload.not_found")
    if aware(row.expires_at) <= now():
        return None, "expired", Gone()
    decision = decide(session, actor, ACTION, case_id=row.case_id)
    if not decision.allowed:
        return None, decision.reason or "denied", Denied(decision)
    return row, None, None


def _authorise(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> UploadState:
    with session_scope(vault.engine) as session:
        row, reason, error = _own_upload(vault, session, actor, upload_id)
        if row is not None:
            return _state(vault, row)
        case_id = None
        if isinstance(error, Gone):
            expired = session.get(Upload, upload_id)
            case_id = expired.case_id if expired else None
        elif isinstance(error, Denied):
            case_id = error.decision.case_id
    if isinstance(error, Gone):
        _expire(vault, upload_id)
    # Denials name the upload in details only; the case is named only when the caller owns
    # the upload, so the log never ties someone else's upload id to a case for them.
    record_denial(
        vault,
        actor,
        info,
        ACTION,
        reason=reason or "denied",
        case_id=case_id,
        details={"tus": "access", "upload": upload_id},
    )
    raise error


def _record_step(
    session: Session,
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    case_id: str,
    upload_id: str,
    step: str,
    *,
    item_id: str | None = None,
    **details: Any,
) -> None:
    """Append the ``item.upload`` entry of one tus step in ``session``'s transaction."""
    vault.trail.record(
        session,
        actor=actor,
        action=ACTION,
        request=info,
        case_id=case_id,
        item_id=item_id,
        details={"tus": step, "upload": upload_id, **details},
    )


def _step(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    state: UploadState,
    step: str,
    **details: Any,
) -> None:
    """Record a step that changes nothing else, in a transaction of its own."""
    with session_scope(vault.engine) as session:
        _record_step(session, vault, actor, info, state.case_id, state.id, step, **details)


# -- expiry -------------------------------------------------------------------------------------


def _expire(vault: Vault, upload_id: str) -> None:
    try:
        with _locked(vault, upload_id):
            with session_scope(vault.engine) as session:
                row = session.get(Upload, upload_id)
                if row is None or aware(row.expires_at) > now():
                    return
                session.delete(row)
            _remove(vault, upload_id)
    except Conflict:
        return  # someone is writing to it right now; the next sweep will take it
    log.info("upload.expired", upload=upload_id)


def sweep_expired(vault: Vault, limit: int = 100) -> int:
    """Remove expired uploads (rows and partial files).  Run on every creation, so a vault
    cleans up after itself without a scheduler."""
    with session_scope(vault.engine) as session:
        ids = list(
            session.exec(select(Upload.id).where(col(Upload.expires_at) <= now()).limit(limit))
        )
    for upload_id in ids:
        _expire(vault, upload_id)
    return len(ids)


# -- creation -----------------------------------------------------------------------------------


def _intake_upload(case_id: str, length: int, idempotency_key: str | None) -> intake.Upload:
    return intake.Upload(
        case_id=case_id,
        kind="media",
        media_type="application/age",
        declared_length=length,
        idempotency_key=idempotency_key,
    )


def _metadata_header(blob: bytes | None) -> str | None:
    return base64.b64encode(blob).decode() if blob is not None else None


def _find_or_insert(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    req: TusCreate,
    statement_header: str,
    item_id: str,
    completed: bool,
) -> tuple[UploadState, bool]:
    """The caller's existing upload for this statement (a retried creation whose answer was
    lost), or a new one.  Returns (state, created)."""
    with session_scope(vault.engine) as session:
        query = select(Upload).where(Upload.member_id == actor.id)
        for row in session.exec(query.where(Upload.statement_header == statement_header)):
            if aware(row.expires_at) > now():
                return _state(vault, row), False
        if req.idempotency_key:
            clash = session.exec(query.where(Upload.idempotency_key == req.idempotency_key)).first()
            if clash is not None and aware(clash.expires_at) > now():
                raise Conflict("idempotency.mismatch")
        created = now()
        row = Upload(
            id=str(uuid.uuid4()),
            member_id=actor.id,
            case_id=req.case_id,
            length=req.length,
            offset=req.length if completed else 0,
            statement_header=statement_header,
            idempotency_key=req.idempotency_key,
            created_at=created,
            expires_at=created + UPLOAD_TTL,
        )
        directory = upload_dir(vault, row.id)
        directory.mkdir(parents=True, exist_ok=False)
        if not completed:
            _partial(vault, row.id).touch(mode=0o600)
            if req.sealed_metadata is not None:
                (directory / "metadata.age").write_bytes(req.sealed_metadata)
            _fsync_dir(directory)
        session.add(row)
        _record_step(
            session,
            vault,
            actor,
            info,
            req.case_id,
            row.id,
            "create",
            length=req.length,
            statement_item=item_id,
            replay=completed,
        )
        session.flush()
        return _state(vault, row), True


async def create(
    vault: Vault, actor: Actor, info: RequestInfo, req: TusCreate
) -> tuple[UploadState, bool]:
    """Validate everything that does not need the bytes (the statement, its device signature,
    the sealed metadata, the caller's right to upload to the case) and open an upload."""
    await run_in_threadpool(sweep_expired, vault)
    if req.length > vault.settings.max_upload_bytes:
        raise PayloadTooLarge(limit=vault.settings.max_upload_bytes)
    if req.length < len(AGE_MAGIC):
        raise BadRequest("upload.not_age")
    upload = _intake_upload(req.case_id, req.length, req.idempotency_key)
    prepared = await intake.prepare_client_sealed(
        vault, actor, info, upload, req.statement_header, _metadata_header(req.sealed_metadata)
    )
    assert req.statement_header is not None  # prepare refuses a missing statement
    if isinstance(prepared, dict):
        # An idempotent replay of an upload already recorded: open a completed upload, so
        # the client's usual HEAD / receipt path finds the same receipt.
        item_id = prepared["item_id"]
        completed = True
    else:
        item_id = prepared.statement.fields["item_id"]
        completed = False
    return await run_in_threadpool(
        _find_or_insert, vault, actor, info, req, req.statement_header, item_id, completed
    )


# -- core: HEAD and PATCH -----------------------------------------------------------------------


async def head(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> UploadState:
    state = await run_in_threadpool(_authorise, vault, actor, info, upload_id)
    await run_in_threadpool(_step, vault, actor, info, state, "head", offset=state.offset)
    return state


class _Receiver:
    """Appends one PATCH body to the partial file in ~1 MiB writes, checking as it goes that
    the body neither runs past ``Upload-Length`` nor starts as anything but age."""

    def __init__(self, fh: BinaryIO, start: int, length: int, checksum: str | None) -> None:
        self.fh = fh
        self.start = start
        self.length = length
        self.received = 0
        self.hasher = hashlib.new(checksum, usedforsecurity=False) if checksum else None
        self._pending = bytearray()

    async def feed(self, chunk: bytes) -> None:
        position = self.start + self.received
        if position + len(chunk) > self.length:
            raise PayloadTooLarge("upload.exceeds_length", length=self.length)
        if position < len(AGE_MAGIC):
            expected = AGE_MAGIC[position : position + len(chunk)]
            if chunk[: len(expected)] != expected:
                raise BadRequest("upload.not_age")
        self.received += len(chunk)
        if self.hasher is not None:
            self.hasher.update(chunk)
        self._pending += chunk
        if len(self._pending) >= WRITE_BLOCK:
            await self.flush()

    async def flush(self) -> None:
        if self._pending:
            block = bytes(self._pending)
            self._pending.clear()
            await run_in_threadpool(self.fh.write, block)

    async def sync(self) -> None:
        await self.flush()
        await run_in_threadpool(self._fsync)

    def _fsync(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())

    async def rewind(self) -> None:
        """Drop everything this PATCH wrote."""
        self._pending.clear()
        self.received = 0
        await run_in_threadpool(self._truncate, self.start)

    def _truncate(self, size: int) -> None:
        self.fh.flush()
        self.fh.truncate(size)
        os.fsync(self.fh.fileno())


def _acknowledge(
    vault: Vault, actor: Actor, info: RequestInfo, state: UploadState, new_offset: int, **extra: Any
) -> UploadState:
    with session_scope(vault.engine) as session:
        row = session.get(Upload, state.id)
        if row is None:
            raise NotFound("upload.not_found")
        row.offset = new_offset
        session.add(row)
        _record_step(
            session,
            vault,
            actor,
            info,
            state.case_id,
            state.id,
            "patch",
            **{"from": state.offset, "to": new_offset, **extra},
        )
        session.flush()
        return UploadState(
            id=state.id,
            case_id=state.case_id,
            length=state.length,
            offset=new_offset,
            expires_at=state.expires_at,
            statement_header=state.statement_header,
            idempotency_key=state.idempotency_key,
        )


async def patch(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    upload_id: str,
    offset: int,
    content_length: int | None,
    checksum: tuple[str, bytes] | None,
    body: AsyncIterator[bytes],
) -> PatchResult:
    """Append one chunk (tus core PATCH).  An interrupted body keeps what arrived: it is
    fsynced and acknowledged, so HEAD tells the client where to resume — unless the chunk
    carried a checksum, which a partial chunk cannot match, so it is dropped."""
    state = await run_in_threadpool(_authorise, vault, actor, info, upload_id)
    if offset != state.offset:
        raise Conflict("upload.offset_mismatch", offset=state.offset)
    if content_length is not None and offset + content_length > state.length:
        raise PayloadTooLarge("upload.exceeds_length", length=state.length)
    with _locked(vault, upload_id):
        # Re-read under the lock: a concurrent PATCH may have moved the offset meanwhile.
        state = await run_in_threadpool(_authorise_quietly, vault, actor, upload_id)
        if offset != state.offset:
            raise Conflict("upload.offset_mismatch", offset=state.offset)
        if not state.complete:
            state = await _receive(vault, actor, info, state, checksum, body)
        receipt = await _complete(vault, actor, info, state) if state.complete else None
    return PatchResult(state, receipt)


def _authorise_quietly(vault: Vault, actor: Actor, upload_id: str) -> UploadState:
    with session_scope(vault.engine) as session:
        row, _, error = _own_upload(vault, session, actor, upload_id)
        if row is None:
            raise error
        return _state(vault, row)


async def _receive(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    state: UploadState,
    checksum: tuple[str, bytes] | None,
    body: AsyncIterator[bytes],
) -> UploadState:
    path = _partial(vault, state.id)
    fh = await run_in_threadpool(_open_at, path, state.offset)
    try:
        receiver = _Receiver(fh, state.offset, state.length, checksum[0] if checksum else None)
        try:
            async for chunk in body:
                if chunk:
                    await receiver.feed(chunk)
        except (VaultError, ValueError):
            await receiver.rewind()
            raise
        except BaseException:
            # The client went away (ClientDisconnect, a reset, a cancelled task): keep what
            # arrived, durably, so the next HEAD resumes after it.
            if checksum is not None:
                await receiver.rewind()
                raise
            await receiver.sync()
            if receiver.received:
                await run_in_threadpool(
                    _acknowledge,
                    vault,
                    actor,
                    info,
                    state,
                    state.offset + receiver.received,
                    bytes=receiver.received,
                    interrupted=True,
                )
            log.info("upload.interrupted", upload=state.id, received=receiver.received)
            raise
        if checksum is not None:
            assert receiver.hasher is not None
            if receiver.hasher.digest() != checksum[1]:
                await receiver.rewind()
                raise ChecksumMismatch()
        await receiver.sync()
    finally:
        await run_in_threadpool(fh.close)
    return await run_in_threadpool(
        _acknowledge,
        vault,
        actor,
        info,
        state,
        state.offset + receiver.received,
        bytes=receiver.received,
    )


def _open_at(path: Path, offset: int) -> BinaryIO:
    """Open the partial file for appending at ``offset``, dropping unacknowledged bytes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fh = os.fdopen(fd, "r+b")
    fh.truncate(offset)
    fh.seek(offset)
    return fh


# -- completion ---------------------------------------------------------------------------------


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    fh = await run_in_threadpool(path.open, "rb")
    try:
        while block := await run_in_threadpool(fh.read, READ_BLOCK):
            yield block
    finally:
        await run_in_threadpool(fh.close)


def _recorded_receipt(vault: Vault, actor: Actor, state: UploadState) -> dict[str, Any] | None:
    """The receipt of this upload's item if it is already recorded (a retried completion)."""
    from vault import statements

    item_id = statements.parse(state.statement_header).fields["item_id"]
    with session_scope(vault.engine) as session:
        item = session.get(Item, item_id)
        if item is None or item.uploader_id != actor.id or item.case_id != state.case_id:
            return None
        return items.receipt(session, vault.trail, item)


async def _complete(
    vault: Vault, actor: Actor, info: RequestInfo, state: UploadState
) -> dict[str, Any]:
    """Run the client-sealed completion over the partial file.  On failure the upload stays
    complete-but-unrecorded: an empty PATCH at ``Upload-Offset == Upload-Length`` retries."""
    found = await run_in_threadpool(_recorded_receipt, vault, actor, state)
    if found is not None:
        return found
    directory = upload_dir(vault, state.id)
    metadata_path = directory / "metadata.age"
    sealed = await run_in_threadpool(
        lambda: metadata_path.read_bytes() if metadata_path.exists() else None
    )
    upload = _intake_upload(state.case_id, state.length, state.idempotency_key)
    prepared = await intake.prepare_client_sealed(
        vault, actor, info, upload, state.statement_header, _metadata_header(sealed)
    )
    if isinstance(prepared, dict):
        receipt = prepared
    else:
        receipt = await intake.complete_client_sealed(
            vault, actor, info, upload, prepared, _file_chunks(_partial(vault, state.id))
        )
    # The ciphertext is in the store now; the partial copy has no further use.
    await run_in_threadpool(_drop_data, directory)
    log.info("upload.completed", upload=state.id, item=receipt["item_id"])
    return receipt


def _drop_data(directory: Path) -> None:
    for name in ("partial", "metadata.age"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()


# -- termination and receipts -------------------------------------------------------------------


def _terminate(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> None:
    state = _authorise(vault, actor, info, upload_id)
    with _locked(vault, upload_id):
        with session_scope(vault.engine) as session:
            row = session.get(Upload, upload_id)
            if row is not None:
                session.delete(row)
            _record_step(
                session,
                vault,
                actor,
                info,
                state.case_id,
                upload_id,
                "terminate",
                offset=state.offset,
            )
        _remove(vault, upload_id)


async def terminate(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> None:
    """tus termination: the partial data and the row go; a recorded item is not touched."""
    await run_in_threadpool(_terminate, vault, actor, info, upload_id)


def _receipt(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> dict[str, Any]:
    state = _authorise(vault, actor, info, upload_id)
    found = _recorded_receipt(vault, actor, state) if state.complete else None
    if found is None:
        raise Conflict("upload.incomplete", offset=state.offset, length=state.length)
    with session_scope(vault.engine) as session:
        _record_step(
            session,
            vault,
            actor,
            info,
            state.case_id,
            upload_id,
            "receipt",
            item_id=found["item_id"],
        )
    return found


async def receipt(vault: Vault, actor: Actor, info: RequestInfo, upload_id: str) -> dict[str, Any]:
    """The signed receipt of a completed upload (the same bytes as the final PATCH's)."""
    return await run_in_threadpool(_receipt, vault, actor, info, upload_id)
