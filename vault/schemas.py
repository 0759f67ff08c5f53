"""API shapes: ``*Create`` for what clients send (unknown fields are refused, so ``role``,
``case_id`` or ``owner`` cannot be smuggled in), ``*Public`` for what the API answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: str
    recipient: str | None = None


class MemberPublic(BaseModel):
    id: str
    name: str
    role: str
    recipient: str | None


class MemberCreated(MemberPublic):
    token: str


class DeviceCreate(Strict):
    public_key: str = Field(description="Ed25519 public key, standard base64 (32 bytes)")
    label: str = Field(default="", max_length=100)


class DevicePublic(BaseModel):
    id: str
    member_id: str
    public_key: str
    label: str
    created_at: datetime


class CaseCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    members: list[str] = Field(default_factory=list, max_length=500)


class CaseMemberAdd(Strict):
    member_id: str


class CaseMemberPublic(BaseModel):
    member_id: str
    has_sealed_key: bool
    added_at: datetime


class CasePublic(BaseModel):
    id: str
    title: str
    created_at: datetime
    recipients: list[str] = Field(description="case recipient first, then recovery recipients")
    members: list[CaseMemberPublic]


class ItemPublic(BaseModel):
    id: str
    case_id: str
    kind: str
    mode: str
    media_type: str
    size: int
    plaintext_sha256: str
    sha1: str | None
    md5: str | None
    ciphertext_sha256: str
    ciphertext_size: int
    received_at: datetime
    uploader_id: str
    device_id: str | None
    metadata_sha256: str | None
    log_index: int


class Consent(Strict):
    court: bool = False
    partners: bool = False
    public: bool = False


class TestimonyCreate(Strict):
    """A structured testimony, after the HURIDOCS events standard formats.  People are named
    only by pseudonymous references; the whole document is sealed like any item."""

    statement: str = Field(min_length=1, max_length=1_000_000)
    language: str | None = Field(default=None, max_length=35, description="BCP 47 tag")
    interview_date: date | None = None
    interview_place: str | None = Field(default=None, max_length=500)
    incident_date: date | None = None
    incident_end_date: date | None = None
    incident_place: str | None = Field(default=None, max_length=500)
    violation_types: list[str] = Field(default_factory=list, max_length=100)
    victims: list[str] = Field(default_factory=list, max_length=1000)
    perpetrators: list[str] = Field(default_factory=list, max_length=1000)
    consent: Consent = Field(default_factory=Consent)
    interpreter: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=100_000)
