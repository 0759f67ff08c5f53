"""Members and their devices."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import ActorDep, RequestInfoDep, VaultDep
from vault.schemas import DeviceCreate, DevicePublic, MemberCreate, MemberCreated
from vault.services import members
from vault.services.access import AuditNote, run

router = APIRouter(prefix="/v1", tags=["members"])


@router.post("/members", status_code=201, response_model=MemberCreated)
def create_member(
    body: MemberCreate, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> MemberCreated:
    """Create a member (admin).  The bearer token is in this answer only; it is stored hashed."""

    def work(session: Session, note: AuditNote) -> MemberCreated:
        member, issued = members.create_member(
            session,
            name=body.name,
            role=body.role,
            recipient=body.recipient,
            token_ttl_days=vault.settings.token_ttl_days,
        )
        note.details = {"member": member.id, "role": member.role}
        return MemberCreated(
            id=member.id,
            name=member.name,
            role=member.role,
            recipient=member.recipient,
            token=issued.text,
        )

    return run(vault, actor, info, "member.create", work)


@router.post("/devices", status_code=201, response_model=DevicePublic)
def register_device(
    body: DeviceCreate, vault: VaultDep, actor: ActorDep, info: RequestInfoDep
) -> DevicePublic:
    """Register the caller's device key (Ed25519), used to sign capture statements."""

    def work(session: Session, note: AuditNote) -> DevicePublic:
        device = members.register_device(
            session, member_id=actor.id, public_key=body.public_key, label=body.label
        )
        note.details = {"device": device.id}
        return DevicePublic.model_validate(device, from_attributes=True)

    return run(vault, actor, info, "device.register", work)
