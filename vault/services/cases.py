"""Cases, their members and the sealed case keys.

A case key is an age X25519 identity generated at creation, sealed (age-encrypted) to each
initial member's recipient and to nothing else, then dropped: the server never holds it
again.  A member added later gets their sealed copy from a current member's client
(``PUT /v1/cases/{id}/key/{member_id}``), because only members can open the key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from crypto.age import X25519Identity, X25519Recipient, encrypt
from crypto.age import header as age_header
from crypto.errors import CryptoError
from vault.errors import BadRequest, Conflict, NotFound, Unprocessable
from vault.models import Case, CaseMember, Member
from vault.services.access import AuditNote

MAX_SEALED_KEY_BYTES = 4096
AGE_MAGIC = b"age-encryption.org/v1\n"


def create_case(
    session: Session, note: AuditNote, *, title: str, member_ids: list[str], creator_id: str
) -> Case:
    title = title.strip()
    if not title or len(title) > 200:
        raise Unprocessable("case.title_invalid")
    members = []
    for member_id in dict.fromkeys(member_ids):
        member = session.get(Member, member_id)
        if member is None:
            raise Unprocessable("case.member_unknown", member=member_id)
        members.append(member)
    identity = X25519Identity.generate()
    case = Case(
        id=str(uuid.uuid4()),
        title=title,
        recipient=identity.recipient.encode(),
        created_at=datetime.now(UTC),
        created_by=creator_id,
    )
    session.add(case)
    session.flush()
    secret = (identity.encode() + "\n").encode()
    for member in members:
        sealed = (
            encrypt(secret, [X25519Recipient.parse(member.recipient)]) if member.recipient else None
        )
        session.add(
            CaseMember(
                case_id=case.id, member_id=member.id, sealed_key=sealed, added_at=datetime.now(UTC)
            )
        )
    del identity, secret  # the private half is dropped here (Python cannot wipe memory)
    note.case_id = case.id
    note.details = {
        "members": [m.id for m in members],
        "sealed_for": [m.id for m in members if m.recipient],
    }
    return case


def list_cases(session: Session, member_id: str, role: str) -> list[Case]:
    if role == "admin":
        return list(session.exec(select(Case).order_by(col(Case.created_at))))
    query = (
        select(Case)
        .join(CaseMember, col(CaseMember.case_id) == col(Case.id))
        .where(CaseMember.member_id == member_id)
        .order_by(col(Case.created_at))
    )
    return list(session.exec(query))


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case.not_found")
    return case


def case_members(session: Session, case_id: str) -> list[CaseMember]:
    return list(session.exec(select(CaseMember).where(CaseMember.case_id == case_id)))


def add_member(session: Session, note: AuditNote, case_id: str, member_id: str) -> CaseMember:
    if session.get(Member, member_id) is None:
        raise Unprocessable("case.member_unknown", member=member_id)
    if session.get(CaseMember, (case_id, member_id)) is not None:
        raise Conflict("case.member_exists")
    link = CaseMember(case_id=case_id, member_id=member_id, added_at=datetime.now(UTC))
    session.add(link)
    note.details = {"member": member_id}
    return link


def sealed_key_for(session: Session, case_id: str, member_id: str) -> bytes:
    link = session.get(CaseMember, (case_id, member_id))
    if link is None or link.sealed_key is None:
        raise NotFound("case.key_not_sealed")
    return link.sealed_key


def put_sealed_key(
    session: Session, note: AuditNote, case_id: str, member_id: str, sealed: bytes
) -> None:
    """Store a copy of the case key re-sealed by a current member for ``member_id``.

    The server cannot check what is inside (it cannot decrypt it); it checks the shape: an age
    file of a sensible size, for a member of the case who has no sealed copy yet.
    """
    link = session.get(CaseMember, (case_id, member_id))
    if link is None:
        raise Unprocessable("case.member_unknown", member=member_id)
    if link.sealed_key is not None:
        raise Conflict("case.key_exists")
    if not sealed.startswith(AGE_MAGIC) or len(sealed) > MAX_SEALED_KEY_BYTES:
        raise BadRequest("case.key_malformed")
    try:
        parsed = age_header.parse(sealed, at_eof=True)  # strict parse: reject garbage early
    except CryptoError as exc:
        raise BadRequest("case.key_malformed") from exc
    if parsed is None:
        raise BadRequest("case.key_malformed")
    link.sealed_key = sealed
    session.add(link)
    note.details = {"member": member_id}
