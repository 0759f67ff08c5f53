"""Database tables (plain nouns).  API shapes live in ``vault/schemas.py``.

No column holds content or personal data in clear: filenames, EXIF and notes are inside the
sealed metadata blob; case titles are expected to be reference codes (see docs/data-model.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES = ("investigator", "lawyer", "auditor", "admin")


class Member(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    role: str = Field(index=True)
    recipient: str | None = None  # the member's age recipient (age1…)
    created_at: datetime
    disabled: bool = False


class Token(SQLModel, table=True):
    """A bearer token.  Only SHA-256 of its secret part is stored (256 random bits need no
    slow hash: there is nothing to brute-force)."""

    id: str = Field(primary_key=True)
    member_id: str = Field(foreign_key="member.id", index=True)
    secret_sha256: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class Device(SQLModel, table=True):
    id: str = Field(primary_key=True)
    member_id: str = Field(foreign_key="member.id", index=True)
    public_key: str  # Ed25519, standard base64
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None


class Case(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    recipient: str  # the case key's age recipient; its identity exists only sealed
    created_at: datetime
    created_by: str = Field(foreign_key="member.id")


class CaseMember(SQLModel, table=True):
    __tablename__ = "case_member"
    case_id: str = Field(foreign_key="case.id", primary_key=True)
    member_id: str = Field(foreign_key="member.id", primary_key=True)
    # The case identity age-encrypted to the member's recipient; None until a current member
    # re-seals it for them (the server cannot: it never holds the case identity).
    sealed_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    added_at: datetime


class Item(SQLModel, table=True):
    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    kind: str  # media | testimony
    mode: str  # server_sealed | client_sealed
    media_type: str
    size: int  # plaintext bytes (declared by the client when client-sealed)
    plaintext_sha256: str
    sha1: str | None = None
    md5: str | None = None
    ciphertext_sha256: str
    ciphertext_size: int
    object_key: str = Field(unique=True)
    received_at: datetime
    uploader_id: str = Field(foreign_key="member.id", index=True)
    device_id: str | None = Field(default=None, foreign_key="device.id")
    statement: str | None = None  # canonical JSON of the capture statement (client-sealed)
    statement_signature: str | None = None
    metadata_sha256: str | None = None
    sealed_metadata: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    log_index: int


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("member_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: str = Field(foreign_key="member.id")
    key: str
    request_fingerprint: str
    item_id: str = Field(foreign_key="item.id")
    created_at: datetime


class AuditLeaf(SQLModel, table=True):
    """One audit entry: the exact canonical bytes that were hashed.  Append-only (triggers)."""

    __tablename__ = "audit_leaf"
    idx: int = Field(primary_key=True)
    entry: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Copies of the entry's subject, indexed, so a custody report finds every entry that
    # touches an item without scanning the log.  The entry bytes remain the truth.
    subject_case: str | None = Field(default=None, index=True)
    subject_item: str | None = Field(default=None, index=True)


class AuditNode(SQLModel, table=True):
    """The hash of a complete subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L)."""

    __tablename__ = "audit_node"
    level: int = Field(primary_key=True)
    idx: int = Field(primary_key=True)
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """Every signed checkpoint, kept: a witness or court may ask for any of them."""

    __tablename__ = "audit_checkpoint"
    size: int = Field(primary_key=True)
    note: str
    created_at: datetime


class AuthFailure(SQLModel, table=True):
    """Failed authentications per client address, for rate limiting across workers."""

    __tablename__ = "auth_failure"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(index=True)
    at: datetime = Field(index=True)


class Upload(SQLModel, table=True):
    """A resumable (tus 1.0) client-sealed upload in progress.  Not evidence until complete."""

    id: str = Field(primary_key=True)
    member_id: str = Field(foreign_key="member.id")
    case_id: str = Field(foreign_key="case.id")
    length: int
    offset: int = 0
    statement_header: str
    idempotency_key: str | None = None
    created_at: datetime
    expires_at: datetime


class QuarantinedObject(SQLModel, table=True):
    """A stored object with no item record (a crash between store and commit).  Objects are
    write-once, so it stays where it is; this row (and an audit entry) records that it was
    found, re-hashed and set aside, and keeps ``vault doctor`` from reporting it again."""

    __tablename__ = "quarantined_object"
    object_key: str = Field(primary_key=True)
    size: int
    sha256: str
    found_at: datetime
