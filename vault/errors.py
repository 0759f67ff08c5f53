"""Errors of the vault's domain core.

Every error has a stable ``code`` that keys the French/English message catalogue
(``vault/locale``) and an HTTP ``status`` the API uses; ``fields`` fill the message.

    VaultError                        vault.error            500
    ├── BadRequest                    (400; code per case, e.g. request.malformed)
    ├── Unauthenticated               auth.required          401
    ├── NotFound                      (404; e.g. case.not_found, item.not_found)
    ├── Conflict                      (409; e.g. idempotency.mismatch)
    ├── PayloadTooLarge               upload.too_large       413
    ├── Unprocessable                 (422; e.g. statement.invalid)
    ├── RateLimited                   auth.rate_limited      429
    └── Unavailable                   (503; database.unavailable, storage.unavailable)

Crypto, audit and storage errors keep their own roots; the API maps them (crypto input
errors → 400/422, storage → 503).  Denials answer 404, never 403, so ids leak nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar


class VaultError(Exception):
    code: str = "vault.error"
    status: ClassVar[int] = 500

    def __init__(self, code: str | None = None, detail: str = "", **fields: Any) -> None:
        if code is not None:
            self.code = code
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields


class BadRequest(VaultError):
    code = "request.malformed"
    status = 400


class Unauthenticated(VaultError):
    code = "auth.required"
    status = 401


class NotFound(VaultError):
    code = "resource.not_found"
    status = 404


class Conflict(VaultError):
    code = "request.conflict"
    status = 409


class PayloadTooLarge(VaultError):
    code = "upload.too_large"
    status = 413


class Unprocessable(VaultError):
    code = "request.invalid"
    status = 422


class RateLimited(VaultError):
    code = "auth.rate_limited"
    status = 429

    def __init__(self, retry_after: int, **fields: Any) -> None:
        super().__init__(None, retry_after=retry_after, **fields)
        self.retry_after = retry_after


class Unavailable(VaultError):
    code = "service.unavailable"
    status = 503
