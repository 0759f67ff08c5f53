"""FastAPI dependencies as ``Annotated`` aliases: the vault, the caller, the request info."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vault.actors import Actor, RequestInfo
from vault.context import Vault
from vault.db import session_scope
from vault.errors import RateLimited, Unauthenticated
from vault.services import members
from vault.services.access import record_denial


def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]


def get_request_info(request: Request) -> RequestInfo:
    return RequestInfo(
        request_id=getattr(request.state, "request_id", None),
        client=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:200] or None,
    )


RequestInfoDep = Annotated[RequestInfo, Depends(get_request_info)]


def get_actor(request: Request, vault: VaultDep, info: RequestInfoDep) -> Actor:
    """Authenticate the bearer token.  Failures are rate-limited per client address (429 with
    Retry-After) and every failure or refusal is audited."""
    client = info.client or "unknown"
    settings = vault.settings
    try:
        with session_scope(vault.engine) as session:
            members.check_rate_limit(
                session,
                client,
                settings.auth_failures_per_window,
                settings.auth_failure_window_seconds,
            )
            return members.authenticate(session, request.headers.get("authorization"))
    except RateLimited:
        record_denial(vault, Actor.anonymous(), info, "auth.rate_limited", reason="rate_limited")
        raise
    except Unauthenticated as exc:
        with session_scope(vault.engine) as session:
            members.record_auth_failure(session, client)
            vault.trail.record(
                session,
                actor=Actor.anonymous(),
                action="auth.failed",
                request=info,
                result="denied",
                reason=exc.code,
            )
        raise


ActorDep = Annotated[Actor, Depends(get_actor)]
