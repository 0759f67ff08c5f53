"""The FastAPI application, built by ``create_app(settings)``.  No logic of its own: routes
validate, call one service in vault/, and return a ``*Public`` schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.middleware import RequestContextMiddleware
from api.routes import cases, custody, health, items, log, members, page, uploads
from vault.context import Vault
from vault.logs import configure_logging
from vault.settings import Settings


def create_app(settings: Settings | None = None, *, vault: Vault | None = None) -> FastAPI:
    settings = settings or (vault.settings if vault else Settings())
    configure_logging(json=settings.log_json, level=settings.log_level)
    the_vault = vault or Vault.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if vault is None:  # we opened it, we close it
            the_vault.close()

    app = FastAPI(
        title="Evidence vault",
        version="0.1.0",
        description="Accepts, seals, stores and audits evidence of human-rights violations.",
        lifespan=lifespan,
    )
    app.state.vault = the_vault
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(page.router)
    app.include_router(members.router)
    app.include_router(cases.router)
    app.include_router(items.router)
    app.include_router(uploads.router)
    app.include_router(custody.router)
    app.include_router(log.router)
    return app
