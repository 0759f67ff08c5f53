"""Intake: testimonies and media in, hashed, sealed, stored, receipted and audited.

An item exists once, atomically (DESIGN.md principle 3): the ciphertext is stored durably
first; then the item row, its idempotency record and its audit entry commit in one
transaction.  If the client goes away, the body is too large, or the store fails, the
pipeline aborts and nothing is recorded; if the database fails at commit, the stored object
is an orphan that ``vault doctor`` finds.  A retry with the same ``Idempotency-Key`` returns
the same receipt and creates nothing new.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from crypto.age import X25519Recipient, encrypt
from crypto.age import header as age_header
from crypto.errors import CryptoError
from crypto.signing import VerifyKey
from vault import statements
from vault.actors import Actor, RequestInfo
from vault.clock import now
from vault.context import Vault
from vault.db import session_scope
from vault.errors import BadRequest, Conflict, PayloadTooLarge, Unprocessable
from vault.intake.exif import looks_like_image, read_exif
from vault.intake.pipeline import SealingPipeline, SealResult
from vault.logs import get_logger
from vault.models import Case, Device, IdempotencyRecord, Item
from vault.policy import decide
from vault.services import items
from vault.services.access import deny, record_denial

log = get_logger("vault.intake")
MAX_SEALED_METADATA = 64 * 1024


@dataclass
class Upload:
    """What the request says about the upload; multipart parsing fills in filename and
    media type as the part headers arrive."""

    case_id: str
    kind: str  # media | testimony
    media_type: str
    declared_length: int | None
    idempotency_key: str | None
    filename: str | None = None
    notes: str | None = None


def _fingerprint(upload: Upload, mode: str, extra: str = "") -> str:
    text = f"{upload.case_id}|{mode}|{upload.kind}|{upload.media_type}|{extra}"
    return hashlib.sha256(text.encode()).hexdigest()


def _preflight(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    upload: Upload,
    fingerprint: str,
    *,
    record_replay: bool = True,
) -> tuple[list[X25519Recipient], dict[str, Any] | None]:
    """Authorise, replay an idempotent retry, or return the recipients to seal to.  With
    ``record_replay=False`` a replay is not audited here: the caller checks the retried body
    first and then calls :func:`_record_replay`."""
    with session_scope(vault.engine) as session:
        decision = decide(session, actor, "item.upload", case_id=upload.case_id)
        if decision.allowed:
            replay = _replay(vault, session, actor, info, upload, fingerprint, record=record_replay)
            if replay is not None:
                return [], replay
            case = session.get(Case, upload.case_id)
            assert case is not None
            return [X25519Recipient.parse(case.recipient), *vault.recovery], None
    deny(vault, actor, info, "item.upload", decision)


def _replay(
    vault: Vault,
    session: Any,
    actor: Actor,
    info: RequestInfo,
    upload: Upload,
    fingerprint: str,
    *,
    record: bool = True,
) -> dict[str, Any] | None:
    found = items.idempotent_item(session, actor.id, upload.idempotency_key)
    if found is None:
        return None
    item, stored_fingerprint = found
    if stored_fingerprint != fingerprint:
        raise Conflict("idempotency.mismatch")
    if not record:
        return items.receipt(session, vault.trail, item)
    vault.trail.record(
        session,
        actor=actor,
        action="item.upload",
        request=info,
        case_id=item.case_id,
        item_id=item.id,
        details={"idempotent_replay": True},
    )
    return items.receipt(session, vault.trail, item)


def _record_replay(vault: Vault, actor: Actor, info: RequestInfo, receipt: dict[str, Any]) -> None:
    with session_scope(vault.engine) as session:
        vault.trail.record(
            session,
            actor=actor,
            action="item.upload",
            request=info,
            case_id=receipt["case_id"],
            item_id=receipt["item_id"],
            details={"idempotent_replay": True},
        )


def _commit(
    vault: Vault, actor: Actor, info: RequestInfo, upload: Upload, fingerprint: str, item: Item
) -> dict[str, Any]:
    with session_scope(vault.engine) as session:
        decision = decide(session, actor, "item.upload", case_id=upload.case_id)
        if decision.allowed:
            replay = _replay(vault, session, actor, info, upload, fingerprint)
            if replay is not None:
                return replay  # a concurrent retry won; our object is an orphan for doctor
            item.log_index = vault.trail.record(
                session,
                actor=actor,
                action="item.upload",
                request=info,
                case_id=item.case_id,
                item_id=item.id,
                details=_audit_details(item),
            )
            session.add(item)
            # The idempotency record references the item: insert the item first (the unit of
            # work does not order inserts by foreign keys without a relationship()).
            session.flush()
            if upload.idempotency_key:
                session.add(
                    IdempotencyRecord(
                        member_id=actor.id,
                        key=upload.idempotency_key,
                        request_fingerprint=fingerprint,
                        item_id=item.id,
                        created_at=now(),
                    )
                )
            session.flush()
            return items.receipt(session, vault.trail, item)
    deny(vault, actor, info, "item.upload", decision)


def _audit_details(item: Item) -> dict[str, Any]:
    return {**items.facts(item), "object_key": item.object_key, "device": item.device_id}


async def _pump(
    vault: Vault, pipeline: SealingPipeline, body: AsyncIterator[bytes], limit: int
) -> None:
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit:
                raise PayloadTooLarge(limit=limit)
            await pipeline.feed(chunk)
    except BaseException:
        await pipeline.abort()
        raise


async def _confirm_replay(body: AsyncIterator[bytes], replay: dict[str, Any], limit: int) -> None:
    """A retry must carry the same bytes as the upload it replays.  The body is hashed (and
    not stored); another file under the same key is refused instead of being answered with
    the first file's receipt, which the client could take as proof that its file is safe."""
    hasher = hashlib.sha256()
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(limit=limit)
        hasher.update(chunk)
    if hasher.hexdigest() != replay["plaintext_sha256"]:
        raise Conflict("idempotency.mismatch")


def _check_length(vault: Vault, declared: int | None) -> int:
    limit = vault.settings.max_upload_bytes
    if declared is not None and declared > limit:
        raise PayloadTooLarge(limit=limit)
    return limit


def _seal_metadata(recipients: list[X25519Recipient], upload: Upload, result: SealResult) -> bytes:
    metadata: dict[str, Any] = {
        "filename": upload.filename,
        "media_type": upload.media_type,
        "notes": upload.notes,
    }
    if looks_like_image(upload.media_type, result.head):
        metadata["exif"] = read_exif(result.head)
    return encrypt(json.dumps(metadata, sort_keys=True).encode(), recipients)


async def server_sealed(
    vault: Vault, actor: Actor, info: RequestInfo, upload: Upload, body: AsyncIterator[bytes]
) -> dict[str, Any]:
    """The server hashes the plaintext and encrypts it on the fly; it never writes plaintext
    anywhere and holds no key that could decrypt the result."""
    limit = _check_length(vault, upload.declared_length)
    fingerprint = _fingerprint(upload, "server_sealed")
    recipients, replay = await run_in_threadpool(
        functools.partial(_preflight, record_replay=False), vault, actor, info, upload, fingerprint
    )
    if replay is not None:
        # Audit the replay only once the retried body proved to be the same file: a 409
        # must not leave an "allowed" upload entry behind.
        await _confirm_replay(body, replay, limit)
        await run_in_threadpool(_record_replay, vault, actor, info, replay)
        return replay
    item_id = str(uuid.uuid4())
    object_key = f"items/{item_id}"
    pipeline = SealingPipeline(
        vault.store, object_key, recipients, legacy_digests=vault.settings.legacy_digests
    )
    await _pump(vault, pipeline, body, limit)
    result = await pipeline.finish()
    sealed_metadata = await run_in_threadpool(_seal_metadata, recipients, upload, result)
    item = Item(
        id=item_id,
        case_id=upload.case_id,
        kind=upload.kind,
        mode="server_sealed",
        media_type=upload.media_type,
        size=result.size,
        plaintext_sha256=result.sha256,
        sha1=result.sha1,
        md5=result.md5,
        ciphertext_sha256=result.stored.sha256,
        ciphertext_size=result.stored.size,
        object_key=object_key,
        received_at=now(),
        uploader_id=actor.id,
        metadata_sha256=hashlib.sha256(sealed_metadata).hexdigest(),
        sealed_metadata=sealed_metadata,
        log_index=-1,
    )
    receipt = await run_in_threadpool(_commit, vault, actor, info, upload, fingerprint, item)
    log.info("item.received", item=item_id, mode="server_sealed", size=result.size)
    return receipt


def _check_statement(
    vault: Vault, actor: Actor, upload: Upload, statement: statements.CaptureStatement
) -> Device:
    fields = statement.fields
    if fields["case_id"] != upload.case_id:
        raise Unprocessable("statement.mismatch", field="case_id")
    if fields["size"] > vault.settings.max_upload_bytes:
        raise PayloadTooLarge(limit=vault.settings.max_upload_bytes)
    with session_scope(vault.engine) as session:
        device = session.get(Device, fields["device_id"])
        if device is None or device.member_id != actor.id or device.revoked_at is not None:
            raise Unprocessable("statement.device_unknown")
        if session.get(Item, fields["item_id"]) is not None:
            raise Conflict("statement.item_exists")
    try:
        statement.verify(VerifyKey.from_base64(device.public_key))
    except CryptoError as exc:
        raise Unprocessable("statement.signature") from exc
    return device


def _decode_metadata(header: str | None, statement: statements.CaptureStatement) -> bytes | None:
    declared = statement.fields.get("metadata_sha256")
    if header is None:
        if declared is not None:
            raise Unprocessable("statement.metadata_missing")
        return None
    try:
        blob = base64.b64decode(header, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("statement.metadata_malformed") from exc
    if len(blob) > MAX_SEALED_METADATA or not blob.startswith(b"age-encryption.org/v1\n"):
        raise BadRequest("statement.metadata_malformed")
    if hashlib.sha256(blob).hexdigest() != declared:
        raise Unprocessable("statement.mismatch", field="metadata_sha256")
    return blob


@dataclass(frozen=True)
class SealedIntake:
    """A client-sealed upload whose statement, device and sealed metadata were checked, ready
    for its bytes.  The resumable (tus) path checks at creation, before any byte is accepted,
    and again at completion."""

    statement: statements.CaptureStatement
    device: Device
    sealed_metadata: bytes | None
    fingerprint: str


async def prepare_client_sealed(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    upload: Upload,
    statement_header: str | None,
    metadata_header: str | None,
) -> SealedIntake | dict[str, Any]:
    """Authorise and check everything that does not need the body: the statement's wire form,
    the caller's right to upload to the case, the device signature and the sealed metadata.
    Returns the stored receipt instead when this is an idempotent replay."""
    _check_length(vault, upload.declared_length)
    try:
        statement = statements.parse(statement_header)
    except statements.StatementError as exc:
        raise BadRequest(exc.code) from exc
    fingerprint = _fingerprint(upload, "client_sealed", statement.encoded)
    _, replay = await run_in_threadpool(_preflight, vault, actor, info, upload, fingerprint)
    if replay is not None:
        return replay
    try:
        device = await run_in_threadpool(_check_statement, vault, actor, upload, statement)
    except (Unprocessable, Conflict) as exc:
        # A statement that does not verify (wrong device, bad signature, another case, a
        # reused item id) is a refused upload, and like every refusal it leaves a trace.
        await run_in_threadpool(
            record_denial,
            vault,
            actor,
            info,
            "item.upload",
            reason=exc.code,
            case_id=upload.case_id,
        )
        raise
    sealed_metadata = _decode_metadata(metadata_header, statement)
    return SealedIntake(statement, device, sealed_metadata, fingerprint)


async def complete_client_sealed(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    upload: Upload,
    prepared: SealedIntake,
    body: AsyncIterator[bytes],
) -> dict[str, Any]:
    """Hash the age ciphertext into the store, check its header, and record the item and its
    audit entry atomically.  Nothing is recorded if the body is cut short or is not age."""
    limit = _check_length(vault, upload.declared_length)
    statement = prepared.statement
    item_id = statement.fields["item_id"]
    object_key = f"items/{item_id}"
    pipeline = SealingPipeline(
        vault.store, object_key, [], legacy_digests=False, encrypt=False, head_size=64 * 1024
    )
    await _pump(vault, pipeline, body, limit)
    try:
        if age_header.parse(pipeline.head, at_eof=False) is None:
            raise BadRequest("upload.not_age")
    except (CryptoError, BadRequest) as exc:
        await pipeline.abort()
        raise BadRequest("upload.not_age") from exc
    result = await pipeline.finish()
    fields = statement.fields
    item = Item(
        id=item_id,
        case_id=upload.case_id,
        kind=upload.kind,
        mode="client_sealed",
        media_type=fields["media_type"],
        size=fields["size"],
        plaintext_sha256=fields["plaintext_sha256"],
        ciphertext_sha256=result.stored.sha256,
        ciphertext_size=result.stored.size,
        object_key=object_key,
        received_at=now(),
        uploader_id=actor.id,
        device_id=prepared.device.id,
        statement=statement.encoded,
        statement_signature=base64.urlsafe_b64encode(statement.signature).decode().rstrip("="),
        metadata_sha256=fields.get("metadata_sha256"),
        sealed_metadata=prepared.sealed_metadata,
        log_index=-1,
    )
    receipt = await run_in_threadpool(
        _commit, vault, actor, info, upload, prepared.fingerprint, item
    )
    log.info("item.received", item=item_id, mode="client_sealed", size=result.stored.size)
    return receipt


async def client_sealed(
    vault: Vault,
    actor: Actor,
    info: RequestInfo,
    upload: Upload,
    statement_header: str | None,
    metadata_header: str | None,
    body: AsyncIterator[bytes],
) -> dict[str, Any]:
    """The client hashed and encrypted; the server checks the signed capture statement,
    checks the body is a well-formed age file, and hashes the ciphertext into the store."""
    prepared = await prepare_client_sealed(
        vault, actor, info, upload, statement_header, metadata_header
    )
    if isinstance(prepared, dict):
        return prepared
    return await complete_client_sealed(vault, actor, info, upload, prepared, body)
