"""Chain-of-custody reports: signed JSON or PDF (French or English)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import ActorDep, RequestInfoDep, VaultDep
from vault.errors import VaultError
from vault.report.render import render_pdf
from vault.report.schema import Envelope
from vault.report.signing import envelope_bytes
from vault.services import custody, items
from vault.services.access import AuditNote, run

# Sizes and indices go into audit entries (JSON): keep them within what JSON numbers hold
# exactly (RFC 8785 / I-JSON), 2**53 - 1.
MAX_JSON_INT = 2**53 - 1
router = APIRouter(tags=["custody"])


class NotAcceptable(VaultError):
    code = "request.not_acceptable"
    status = 406


def _wants_pdf(accept: str) -> bool:
    """application/pdf if the client prefers it; JSON otherwise (also for */*)."""
    best, best_q = "application/json", -1.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in ("application/json", "application/pdf", "*/*", "application/*") and q > best_q:
            best, best_q = media, q
    if best_q == -1.0 and accept.strip():
        raise NotAcceptable()
    return best == "application/pdf"


@router.get(
    "/v1/items/{item_id}/custody",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "application/pdf": {}}}},
)
def custody_report(
    item_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
    lang: Literal["fr", "en"] = "fr",
    at: Annotated[
        int | None, Query(ge=1, le=MAX_JSON_INT, description="report as of this log size")
    ] = None,
) -> Response:
    """The item's chain-of-custody report, signed by the server.  Producing it is itself an
    audited access, listed in the report unless ``at`` asks for an earlier log size."""
    pdf = _wants_pdf(request.headers.get("accept", ""))

    def work(session: Session, note: AuditNote) -> Envelope:
        return custody.build(session, vault.trail, items.get(session, item_id), lang=lang, at=at)

    envelope = run(
        vault,
        actor,
        info,
        "item.custody",
        work,
        item_id=item_id,
        record_first=True,
        details={"format": "pdf" if pdf else "json", "lang": lang, "at": at},
    )
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if pdf:
        headers["Content-Disposition"] = f'attachment; filename="custody-{item_id}-{lang}.pdf"'
        return Response(render_pdf(envelope, lang), media_type="application/pdf", headers=headers)
    return Response(envelope_bytes(envelope), media_type="application/json", headers=headers)
