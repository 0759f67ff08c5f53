"""Members, their tokens and devices, and authentication of bearer tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from crypto.age import X25519Recipient
from crypto.errors import CryptoError
from crypto.signing import VerifyKey
from vault import tokens
from vault.actors import Actor
from vault.clock import aware, now
from vault.errors import RateLimited, Unauthenticated, Unprocessable
from vault.models import ROLES, AuthFailure, Device, Member, Token


def create_member(
    session: Session, *, name: str, role: str, recipient: str | None, token_ttl_days: int
) -> tuple[Member, tokens.IssuedToken]:
    """Create a member and their first token.  The caller records the audit entry."""
    if role not in ROLES:
        raise Unprocessable("member.role_invalid", role=role, roles=", ".join(ROLES))
    name = name.strip()
    if not name or len(name) > 200:
        raise Unprocessable("member.name_invalid")
    if recipient is not None:
        try:
            recipient = X25519Recipient.parse(recipient.strip()).encode()
        except CryptoError as exc:
            raise Unprocessable("member.recipient_invalid") from exc
    member = Member(
        id=str(uuid.uuid4()), name=name, role=role, recipient=recipient, created_at=now()
    )
    session.add(member)
    session.flush()
    return member, issue_token(session, member.id, token_ttl_days)


def issue_token(session: Session, member_id: str, ttl_days: int) -> tokens.IssuedToken:
    issued = tokens.issue()
    created = now()
    session.add(
        Token(
            id=issued.token_id,
            member_id=member_id,
            secret_sha256=issued.secret_sha256,
            created_at=created,
            expires_at=created + timedelta(days=ttl_days),
        )
    )
    return issued


def revoke_token(session: Session, token_id: str) -> None:
    token = session.get(Token, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now()
        session.add(token)


def authenticate(session: Session, authorization: str | None) -> Actor:
    """The member behind an ``Authorization: Bearer …`` header, or :class:`Unauthenticated`."""
    scheme, _, text = (authorization or "").partition(" ")
    parsed = tokens.parse(text.strip()) if scheme.lower() == "bearer" else None
    if parsed is None:
        raise Unauthenticated("auth.required" if not authorization else "auth.invalid")
    token_id, secret = parsed
    token = session.get(Token, token_id)
    if not tokens.matches(secret, token.secret_sha256 if token else None) or token is None:
        raise Unauthenticated("auth.invalid")
    if token.revoked_at is not None:
        raise Unauthenticated("auth.revoked")
    if aware(token.expires_at) <= now():
        raise Unauthenticated("auth.expired")
    member = session.get(Member, token.member_id)
    if member is None or member.disabled:
        raise Unauthenticated("auth.invalid")
    return Actor(member.id, member.role, member.name)


def check_rate_limit(session: Session, client: str, limit: int, window_s: int) -> None:
    """Refuse (429) a client address that failed to authenticate ``limit`` times lately."""
    since = now() - timedelta(seconds=window_s)
    session.execute(delete(AuthFailure).where(col(AuthFailure.at) < since))
    count = session.scalar(
        select(func.count()).select_from(AuthFailure).where(AuthFailure.client == client)
    )
    if (count or 0) >= limit:
        raise RateLimited(retry_after=window_s)


def record_auth_failure(session: Session, client: str) -> None:
    session.add(AuthFailure(client=client, at=now()))


def register_device(session: Session, *, member_id: str, public_key: str, label: str) -> Device:
    try:
        key = VerifyKey.from_base64(public_key)
    except CryptoError as exc:
        raise Unprocessable("device.key_invalid") from exc
    device = Device(
        id=str(uuid.uuid4()),
        member_id=member_id,
        public_key=key.to_base64(),
        label=label[:100],
        created_at=now(),
    )
    session.add(device)
    session.flush()
    return device
