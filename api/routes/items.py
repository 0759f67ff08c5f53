"""Items: both intake modes, testimonies, listings, metadata and the ciphertext."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import ActorDep, RequestInfoDep, VaultDep
from api.multipart import file_part
from vault.errors import BadRequest, PayloadTooLarge, Unprocessable
from vault.schemas import ItemPublic, TestimonyCreate
from vault.services import intake, items
from vault.services.access import AuditNote, run

router = APIRouter(tags=["items"])
TESTIMONY_MEDIA_TYPE = "application/vnd.vault.testimony+json"
MAX_TESTIMONY_BYTES = 2 * 1024 * 1024
RECEIPT: dict[int | str, dict[str, Any]] = {
    201: {"description": "Signed receipt (see docs/receipts.md)"}
}
RAW_BODY = {
    "requestBody": {
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise BadRequest("request.malformed")
    return int(value)


@router.post(
    "/v1/cases/{case_id}/items", status_code=201, responses=RECEIPT, openapi_extra=RAW_BODY
)
async def upload_item(
    case_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    vault_filename: Annotated[str | None, Header(max_length=255)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Server-sealed upload: the raw body is the original bytes (``Content-Type`` = media
    type, optional ``Vault-Filename``), or ``multipart/form-data`` with a ``file`` part."""
    content_type = request.headers.get("content-type", "application/octet-stream")
    is_multipart = content_type.lower().startswith("multipart/form-data")
    upload = intake.Upload(
        case_id=case_id,
        kind="media",
        media_type="application/octet-stream" if is_multipart else content_type[:255],
        declared_length=_declared_length(request),
        idempotency_key=idempotency_key,
        filename=vault_filename,
    )
    body: AsyncIterator[bytes] = file_part(request, upload) if is_multipart else request.stream()
    receipt = await intake.server_sealed(vault, actor, info, upload, body)
    return JSONResponse(receipt, status_code=201)


@router.post(
    "/v1/cases/{case_id}/items/sealed",
    status_code=201,
    responses=RECEIPT,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        }
    },
)
async def upload_sealed_item(
    case_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    vault_statement: Annotated[str | None, Header(max_length=8192)] = None,
    vault_sealed_metadata: Annotated[str | None, Header(max_length=90_000)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Client-sealed upload: the body is an age file; ``Vault-Statement`` carries the signed
    capture statement; ``Vault-Sealed-Metadata`` (optional) the sealed metadata blob."""
    upload = intake.Upload(
        case_id=case_id,
        kind="media",
        media_type="application/age",
        declared_length=_declared_length(request),
        idempotency_key=idempotency_key,
    )
    receipt = await intake.client_sealed(
        vault, actor, info, upload, vault_statement, vault_sealed_metadata, request.stream()
    )
    return JSONResponse(receipt, status_code=201)


@router.post(
    "/v1/cases/{case_id}/testimonies",
    status_code=201,
    responses=RECEIPT,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": TestimonyCreate.model_json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            },
        }
    },
)
async def upload_testimony(
    case_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """A structured testimony (JSON), sealed like an item of kind ``testimony``."""
    declared = _declared_length(request)
    if declared is not None and declared > MAX_TESTIMONY_BYTES:
        raise PayloadTooLarge(limit=MAX_TESTIMONY_BYTES)
    raw = bytearray()
    async for chunk in request.stream():  # bounded read: FastAPI's JSON body is not
        raw += chunk
        if len(raw) > MAX_TESTIMONY_BYTES:
            raise PayloadTooLarge(limit=MAX_TESTIMONY_BYTES)
    try:
        testimony = TestimonyCreate.model_validate_json(bytes(raw))
    except ValueError as exc:
        raise Unprocessable("testimony.invalid") from exc
    document = testimony.model_dump_json(exclude_none=False).encode()

    async def one_chunk() -> AsyncIterator[bytes]:
        yield document

    upload = intake.Upload(
        case_id=case_id,
        kind="testimony",
        media_type=TESTIMONY_MEDIA_TYPE,
        declared_length=len(document),
        idempotency_key=idempotency_key,
    )
    receipt = await intake.server_sealed(vault, actor, info, upload, one_chunk())
    return JSONResponse(receipt, status_code=201)


@router.get("/v1/cases/{case_id}/items", response_model=list[ItemPublic])
def list_items(
    case_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> list[ItemPublic]:
    """Metadata only.  Lawyers see every item of their cases; investigators their own."""

    def work(session: Session, note: AuditNote) -> list[ItemPublic]:
        own = actor.id if actor.role == "investigator" else None
        found = items.list_for_case(session, case_id, own)
        note.details = {"count": len(found)}
        return [items.public(i) for i in found]

    return run(vault, actor, info, "item.list", work, case_id=case_id)


@router.get("/v1/items/{item_id}", response_model=ItemPublic)
def get_item(item_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep) -> ItemPublic:
    return run(
        vault,
        actor,
        info,
        "item.read",
        lambda s, n: items.public(items.get(s, item_id)),
        item_id=item_id,
    )


@router.get(
    "/v1/items/{item_id}/content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_content(
    item_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> StreamingResponse:
    """The age ciphertext, streamed.  The audit entry is committed before the first byte."""

    def work(session: Session, note: AuditNote) -> Any:
        item = items.get(session, item_id)
        note.details = {"ciphertext_sha256": item.ciphertext_sha256}
        return item

    item = await run_in_threadpool(run, vault, actor, info, "item.content", work, item_id=item_id)
    stream = await run_in_threadpool(vault.store.open, item.object_key)
    digest = base64.b64encode(bytes.fromhex(item.ciphertext_sha256)).decode()
    return StreamingResponse(
        stream,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{item.id}.age"',
            "Content-Length": str(item.ciphertext_size),
            "X-Content-Type-Options": "nosniff",
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
        },
    )
