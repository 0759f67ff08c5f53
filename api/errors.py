"""The one place where errors become HTTP answers: ``{"error": {"code", "message"}}``.

Messages come from the French/English catalogue in the language of ``Accept-Language``.
Storage and database outages answer 503; crypto input errors 400; anything unexpected 500
with a generic message (the details go to the log with the request id, never to the client).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from audit.errors import AuditError
from crypto.errors import CryptoError
from storage.errors import ObjectExistsError, ObjectNotFoundError, StorageError
from vault import i18n
from vault.errors import RateLimited, VaultError
from vault.logs import get_logger

_HTTP_CODES = {
    400: "request.malformed",
    401: "auth.required",
    404: "route.not_found",
    405: "method.not_allowed",
    406: "request.not_acceptable",
    413: "upload.too_large",
    415: "request.unsupported_media_type",
}

log = get_logger("api")


def error_response(
    request: Request,
    status: int,
    code: str,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    lang = i18n.negotiate(request.headers.get("accept-language"))
    body = {"error": {"code": code, "message": i18n.message(code, lang, **(fields or {}))}}
    headers = {**(headers or {}), "Content-Language": lang}
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="vault"')
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VaultError)
    async def _vault(request: Request, exc: VaultError) -> JSONResponse:
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if exc.status >= 500:
            log.warning("request.failed", code=exc.code, detail=exc.detail)
        return error_response(request, exc.status, exc.code, exc.fields, headers)

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> JSONResponse:
        log.warning("storage.failed", code=exc.code, detail=exc.detail)
        if isinstance(exc, ObjectExistsError):  # a client-chosen item id already stored
            return error_response(request, 409, exc.code)
        if isinstance(exc, ObjectNotFoundError):  # recorded but missing: integrity, not input
            return error_response(request, 500, exc.code)
        return error_response(request, 503, "storage.unavailable")

    @app.exception_handler(CryptoError)
    async def _crypto(request: Request, exc: CryptoError) -> JSONResponse:
        return error_response(request, 400, exc.code)

    @app.exception_handler(AuditError)
    async def _audit(request: Request, exc: AuditError) -> JSONResponse:
        return error_response(request, 400, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
        return error_response(request, 422, "request.invalid", {"where": where})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "request.error")
        return error_response(request, exc.status_code, code, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request.crashed", exc_type=type(exc).__name__)
        return error_response(request, 500, "internal.error")
