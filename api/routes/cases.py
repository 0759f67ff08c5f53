"""Cases, their members and sealed case keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from api.deps import ActorDep, RequestInfoDep, VaultDep
from vault.context import Vault
from vault.errors import PayloadTooLarge
from vault.models import Case
from vault.schemas import CaseCreate, CaseMemberAdd, CaseMemberPublic, CasePublic
from vault.services import cases
from vault.services.access import AuditNote, run

router = APIRouter(prefix="/v1/cases", tags=["cases"])


def _public(vault: Vault, session: object, case: Case) -> CasePublic:
    links = cases.case_members(session, case.id)  # type: ignore[arg-type]
    return CasePublic(
        id=case.id,
        title=case.title,
        created_at=case.created_at,
        recipients=[case.recipient, *(r.encode() for r in vault.recovery)],
        members=[
            CaseMemberPublic(
                member_id=m.member_id, has_sealed_key=m.sealed_key is not None, added_at=m.added_at
            )
            for m in links
        ],
    )


@router.post("", status_code=201, response_model=CasePublic)
def create_case(
    body: CaseCreate, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> CasePublic:
    def work(session: Session, note: AuditNote) -> CasePublic:
        case = cases.create_case(
            session, note, title=body.title, member_ids=body.members, creator_id=actor.id
        )
        return _public(vault, session, case)

    return run(vault, actor, info, "case.create", work)


@router.get("", response_model=list[CasePublic])
def list_cases(vault: VaultDep, actor: ActorDep, info: RequestInfoDep) -> list[CasePublic]:
    def work(session: Session, note: AuditNote) -> list[CasePublic]:
        found = cases.list_cases(session, actor.id, actor.role or "")
        note.details = {"count": len(found)}
        return [_public(vault, session, c) for c in found]

    return run(vault, actor, info, "case.list", work)


@router.get("/{case_id}", response_model=CasePublic)
def get_case(case_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep) -> CasePublic:
    return run(
        vault,
        actor,
        info,
        "case.read",
        lambda s, n: _public(vault, s, cases.get_case(s, case_id)),
        case_id=case_id,
    )


@router.post("/{case_id}/members", status_code=201, response_model=CaseMemberPublic)
def add_member(
    case_id: str, body: CaseMemberAdd, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> CaseMemberPublic:
    def work(session: Session, note: AuditNote) -> CaseMemberPublic:
        link = cases.add_member(session, note, case_id, body.member_id)
        return CaseMemberPublic(
            member_id=link.member_id, has_sealed_key=False, added_at=link.added_at
        )

    return run(vault, actor, info, "case.member.add", work, case_id=case_id)


@router.get(
    "/{case_id}/key",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_sealed_key(
    case_id: str, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> Response:
    """The case identity, age-encrypted to the caller's recipient: decrypt it locally with
    ``age -d -i YOUR_KEY`` or ``vault decrypt``."""
    sealed = run(
        vault,
        actor,
        info,
        "case.key.read",
        lambda s, n: cases.sealed_key_for(s, case_id, actor.id),
        case_id=case_id,
    )
    return Response(
        sealed,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="case-{case_id}.age"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.put("/{case_id}/key/{member_id}", status_code=204, response_class=Response)
async def put_sealed_key(
    case_id: str,
    member_id: str,
    request: Request,
    vault: VaultDep,
    actor: ActorDep,
    info: RequestInfoDep,
) -> Response:
    """Store the case key re-sealed by a current member (client-side) for a new member."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cases.MAX_SEALED_KEY_BYTES:
            raise PayloadTooLarge()
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(
        run,
        vault,
        actor,
        info,
        "case.key.put",
        lambda s, n: cases.put_sealed_key(s, n, case_id, member_id, bytes(body)),
        case_id=case_id,
    )
    return Response(status_code=204)
