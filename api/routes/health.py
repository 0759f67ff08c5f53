"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import VaultDep
from vault import db

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(vault: VaultDep) -> dict[str, str]:
    """Ready when the database and the object store answer; 503 otherwise."""
    await run_in_threadpool(db.check, vault.engine)
    await run_in_threadpool(vault.store.check)
    return {"status": "ready"}
