"""The audit log: checkpoints, the verifier key, entries and proofs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from sqlmodel import Session

from api.deps import ActorDep, RequestInfoDep, VaultDep
from vault.services import log
from vault.services.access import AuditNote, run

# Sizes and indices go into audit entries (JSON): keep them within what JSON numbers hold
# exactly (RFC 8785 / I-JSON), 2**53 - 1.
MAX_JSON_INT = 2**53 - 1
router = APIRouter(prefix="/v1/log", tags=["log"])
NOTE = "text/plain; charset=utf-8"
NonNegative = Annotated[int, Query(ge=0, le=MAX_JSON_INT)]


@router.get("/key", response_class=PlainTextResponse)
def log_key(vault: VaultDep) -> PlainTextResponse:
    """The log's verifier key in the C2SP signed-note vkey form (public, no auth)."""
    return PlainTextResponse(vault.trail.verifier_key.to_text() + "\n", media_type=NOTE)


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(
    vault: VaultDep, actor: ActorDep, info: RequestInfoDep, size: NonNegative | None = None
) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint as a signed note), or the one
    signed at ``size``."""

    def work(session: Session, note: AuditNote) -> str:
        note.details = {"size": size}
        return log.checkpoint(session, vault.trail, size)

    text = run(vault, actor, info, "log.checkpoint", work)
    return PlainTextResponse(text, media_type=NOTE, headers={"Cache-Control": "no-cache"})


@router.get(
    "/entries", response_class=Response, responses={200: {"content": {"application/jsonl": {}}}}
)
def entries(
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    start: NonNegative = 0,
    end: NonNegative | None = None,
) -> Response:
    """Canonical entries ``[start, end)``, one per line: exactly the bytes that were hashed."""

    def work(session: Session, note: AuditNote) -> list[bytes]:
        note.details = {"start": start, "end": end}
        return log.entries(session, vault.trail, start, end)

    found = run(vault, actor, info, "log.entries", work)
    return Response(b"".join(e + b"\n" for e in found), media_type="application/jsonl")


@router.get("/proof/inclusion")
def inclusion(
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    index: NonNegative,
    size: NonNegative | None = None,
) -> dict[str, Any]:
    """RFC 6962 inclusion proof of entry ``index`` in the tree of ``size`` entries (hex,
    bottom-up), with the root and the checkpoint signed at that size."""

    def work(session: Session, note: AuditNote) -> dict[str, Any]:
        note.details = {"index": index, "size": size}
        return log.inclusion(session, vault.trail, index, size)

    return run(vault, actor, info, "log.proof.inclusion", work)


@router.get("/proof/consistency")
def consistency(
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    from_: Annotated[int, Query(alias="from", ge=0, le=MAX_JSON_INT)],
    to: NonNegative | None = None,
) -> dict[str, Any]:
    """RFC 6962 consistency proof from size ``from`` to size ``to`` (hex)."""

    def work(session: Session, note: AuditNote) -> dict[str, Any]:
        note.details = {"from": from_, "to": to}
        return log.consistency(session, vault.trail, from_, to)

    return run(vault, actor, info, "log.proof.consistency", work)
