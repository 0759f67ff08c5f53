"""Resumable client-sealed uploads over tus 1.0 (see docs/resumable-uploads.md).

Every answer, errors included, carries ``Tus-Resumable: 1.0.0``: the route class below asks
the application's own exception handlers for the error body (same codes, same languages) and
adds the tus headers to it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import ActorDep, RequestInfoDep, VaultDep
from vault import tus
from vault.context import Vault
from vault.services import resumable
from vault.services.resumable import UploadState

TUS_HEADERS = {"Tus-Resumable": tus.TUS_VERSION}
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


class TusRoute(APIRoute):
    """Checks ``Tus-Resumable`` on every request but OPTIONS (412 otherwise, tus core) and
    puts the tus headers on every response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method != "OPTIONS":
                    version = request.headers.get("tus-resumable")
                    if version != tus.TUS_VERSION:
                        raise tus.VersionUnsupported()
                response = await inner(request)
            except Exception as exc:
                response = await _handled(request, exc)
                if isinstance(exc, tus.VersionUnsupported):
                    response.headers["Tus-Version"] = tus.TUS_VERSION
            for name, value in TUS_HEADERS.items():
                response.headers[name] = value
            return response

        return handler


async def _handled(request: Request, exc: Exception) -> Response:
    """The application's handler for ``exc`` (by class, most specific first)."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        found = handlers.get(cls)
        if found is not None:
            response: Response = await found(request, exc)
            return response
    raise exc


router = APIRouter(prefix="/v1/uploads", tags=["uploads"], route_class=TusRoute)


def _http_date(state: UploadState) -> str:
    return format_datetime(state.expires_at, usegmt=True)


def _state_headers(state: UploadState) -> dict[str, str]:
    return {
        "Upload-Offset": str(state.offset),
        "Upload-Length": str(state.length),
        "Upload-Expires": _http_date(state),
        "Cache-Control": "no-store",
    }


def _max_size(vault: Vault) -> str:
    return str(vault.settings.max_upload_bytes)


@router.options("", status_code=204, response_class=Response)
def discover(vault: VaultDep) -> Response:
    """tus discovery: versions, extensions, the size limit and checksum algorithms."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": ",".join(tus.TUS_EXTENSIONS),
            "Tus-Max-Size": _max_size(vault),
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
        },
    )


@router.post("", status_code=201, response_class=Response)
async def create_upload(
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    upload_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header(max_length=100_000)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """tus creation.  ``Upload-Metadata`` carries ``case_id``, ``statement`` (the
    ``Vault-Statement`` value) and optionally ``sealed_metadata`` (the age blob).  Everything
    but the bytes is checked here; 201 with ``Location``."""
    request = tus.parse_create(upload_length, upload_metadata, idempotency_key)
    state, _ = await resumable.create(vault, actor, info, request)
    return Response(
        status_code=201,
        headers={"Location": f"/v1/uploads/{state.id}", **_state_headers(state)},
    )


@router.head("/{upload_id}", response_class=Response)
async def upload_offset(
    upload_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> Response:
    """tus core: where to resume."""
    state = await resumable.head(vault, actor, info, upload_id)
    return Response(status_code=200, headers=_state_headers(state))


@router.patch(
    "/{upload_id}",
    response_class=Response,
    responses={
        204: {"description": "Chunk stored; Upload-Offset is the new offset"},
        200: {"description": "Upload complete: the signed receipt (see docs/receipts.md)"},
    },
    openapi_extra={
        "requestBody": {
            "content": {OFFSET_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}
        }
    },
)
async def upload_chunk(
    upload_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    upload_offset: Annotated[str | None, Header()] = None,
    upload_checksum: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """tus core: append a chunk at ``Upload-Offset``.  204 with the new offset; the PATCH
    that completes the upload answers 200 with the signed receipt instead."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_CONTENT_TYPE:
        raise tus.UnsupportedMediaType()
    offset = tus.parse_offset(upload_offset, "Upload-Offset")
    declared = request.headers.get("content-length")
    content_length = tus.parse_offset(declared, "Content-Length") if declared else None
    checksum = tus.parse_checksum(upload_checksum)
    result = await resumable.patch(
        vault, actor, info, upload_id, offset, content_length, checksum, request.stream()
    )
    headers = _state_headers(result.state)
    if result.receipt is not None:
        return JSONResponse(result.receipt, status_code=200, headers=headers)
    return Response(status_code=204, headers=headers)


@router.delete("/{upload_id}", status_code=204, response_class=Response)
async def terminate_upload(
    upload_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> Response:
    """tus termination: the partial data is removed; later requests answer 404."""
    await resumable.terminate(vault, actor, info, upload_id)
    return Response(status_code=204)


@router.get("/{upload_id}/receipt")
async def upload_receipt(
    upload_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> JSONResponse:
    """The signed receipt of a completed upload (409 ``upload.incomplete`` before)."""
    return JSONResponse(await resumable.receipt(vault, actor, info, upload_id))
