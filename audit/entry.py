"""An audit-log entry: what happened, to what, by whom, when, with what outcome.

Wire form: RFC 8785 (JCS) canonical JSON, one object, exactly the bytes that are hashed into the
Merkle tree and written as one line of an export.  Example (wrapped here; one line in reality)::

    {"action":"item.download","actor":{"id":"u-17","role":"investigator"},"details":{},
     "index":42,"outcome":{"reason":null,"result":"allowed"},"prev":"9f86d0...",
     "request":{"client":"203.0.113.7","id":"r-1","user_agent":"curl/8.5"},
     "subject":{"case":"c-3","item":"i-9"},"time":"2026-11-23T15:04:05.123456Z","v":1}

``prev`` is the lowercase hex SHA-256 of the previous entry's bytes (64 zeros for entry 0), so
the log is also a plain hash chain: ``sha256sum`` of line N is the ``prev`` of line N+1.
Parsing is strict: unknown or missing fields, duplicate keys, floats and any byte that differs
from the canonical form are rejected, so one entry has exactly one encoding.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, TypeAlias, cast

import rfc8785

from audit.errors import EntryError

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"

#: Entry format version, written as ``"v": 1``.
ENTRY_VERSION = 1
#: ``prev`` of entry 0.
GENESIS_PREV = "0" * 64
_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
_ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")
_AT_OR_ABOVE_SURROGATES = re.compile("[\ud800-\U0010ffff]")
_MAX_SAFE_INT = 2**53 - 1  # RFC 8785 §3.2.2.3: integers must survive an IEEE 754 round trip.


def chain_digest(entry_bytes: bytes) -> str:
    """The ``prev`` value for the entry after this one: lowercase hex SHA-256."""
    return hashlib.sha256(entry_bytes).hexdigest()


def format_time(t: datetime) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``; refuses naive or non-UTC datetimes."""
    if t.utcoffset() != timedelta(0):
        raise EntryError("time must be timezone-aware UTC")
    # isoformat, unlike strftime("%Y"), zero-pads years below 1000 on every platform.
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    if not _TIME_RE.match(text):
        raise EntryError("time must look like 2026-11-23T15:04:05.123456Z", time=text)
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise EntryError("time is not a valid date", time=text) from exc


def _check_json(value: object, where: str) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise EntryError("integer outside the JSON safe range", field=where)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EntryError("object keys must be strings", field=where)
            _check_json(item, f"{where}.{key}")
    else:
        raise EntryError("only strings, integers, booleans, null, lists, objects", field=where)


def _opt_str(value: object, where: str) -> None:
    if value is not None and not isinstance(value, str):
        raise EntryError("must be a string or null", field=where)


@dataclass(frozen=True)
class Actor:
    id: str | None  # None for anonymous requests (e.g. a failed login)
    role: str


@dataclass(frozen=True)
class Subject:
    case: str | None
    item: str | None


@dataclass(frozen=True)
class Outcome:
    result: Literal["allowed", "denied"]
    reason: str | None  # a stable reason code, e.g. "auth.bad_token"; None when allowed


@dataclass(frozen=True)
class RequestInfo:
    id: str | None
    client: str | None
    user_agent: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log.  ``details`` must not be mutated after construction."""

    index: int
    time: datetime
    actor: Actor
    action: str
    subject: Subject
    outcome: Outcome
    request: RequestInfo
    details: Mapping[str, JsonValue]
    prev: str

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "v",
            "index",
            "time",
            "actor",
            "action",
            "subject",
            "outcome",
            "request",
            "details",
            "prev",
        }
    )

    def __post_init__(self) -> None:
        if type(self.index) is not int or self.index < 0 or self.index > _MAX_SAFE_INT:
            raise EntryError("index must be a non-negative integer")
        format_time(self.time)
        if not isinstance(self.action, str) or not _ACTION_RE.match(self.action):
            raise EntryError("action must look like 'item.upload'", action=self.action)
        _opt_str(self.actor.id, "actor.id")
        if not isinstance(self.actor.role, str) or not self.actor.role:
            raise EntryError("actor.role must be a non-empty string")
        _opt_str(self.subject.case, "subject.case")
        _opt_str(self.subject.item, "subject.item")
        if self.outcome.result not in ("allowed", "denied"):
            raise EntryError("outcome.result must be 'allowed' or 'denied'")
        _opt_str(self.outcome.reason, "outcome.reason")
        for name in ("id", "client", "user_agent"):
            _opt_str(getattr(self.request, name), f"request.{name}")
        if not isinstance(self.details, Mapping):
            raise EntryError("details must be an object")
        _check_json(dict(self.details), "details")
        if not isinstance(self.prev, str) or not _HEX64_RE.match(self.prev):
            raise EntryError("prev must be 64 lowercase hex digits")

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ENTRY_VERSION,
            "index": self.index,
            "time": format_time(self.time),
            "actor": {"id": self.actor.id, "role": self.actor.role},
            "action": self.action,
            "subject": {"case": self.subject.case, "item": self.subject.item},
            "outcome": {"result": self.outcome.result, "reason": self.outcome.reason},
            "request": {
                "id": self.request.id,
                "client": self.request.client,
                "user_agent": self.request.user_agent,
            },
            "details": dict(self.details),
            "prev": self.prev,
        }

    def to_bytes(self) -> bytes:
        """The canonical (RFC 8785) bytes: what is hashed and exported."""
        return canonical_json(self.to_json())

    @classmethod
    def parse(cls, data: bytes) -> AuditEntry:
        """Parse canonical entry bytes; anything else raises :class:`EntryError`."""
        obj = _strict_json(data)
        # The one-encoding rule: re-serialising must give back exactly the input bytes.  The
        # parsed object serialises like the entry would (the time text is checked to be in
        # its only form below), so this needs no second conversion.
        if canonical_json(obj) != data:
            raise EntryError("entry is not in canonical RFC 8785 form")
        return cls(
            index=_get(obj, "index", int),
            time=parse_time(_get(obj, "time", str)),
            actor=Actor(**_sub(obj, "actor", {"id", "role"})),
            action=_get(obj, "action", str),
            subject=Subject(**_sub(obj, "subject", {"case", "item"})),
            outcome=Outcome(**_sub(obj, "outcome", {"result", "reason"})),
            request=RequestInfo(**_sub(obj, "request", {"id", "client", "user_agent"})),
            details=_get(obj, "details", dict),
            prev=_get(obj, "prev", str),
        )


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of a JSON object without floats.

    Fast path: for integer-only JSON whose text has no character at or above U+D800, Python's
    sorted compact ``json.dumps`` is byte-identical to RFC 8785 (same escapes, and code-point
    key order equals the UTF-16 order of RFC 8785 §3.2.3 below the surrogate range).  Anything
    else goes through the ``rfc8785`` package.
    """
    text = _ENCODER.encode(obj)
    if text.isascii() or not _AT_OR_ABOVE_SURROGATES.search(text):
        return text.encode()
    return bytes(rfc8785.dumps(obj))


def _no_float(text: str) -> Any:
    raise EntryError("floating-point numbers are not allowed", value=text)


# Built once: json.loads/json.dumps with options construct a new coder on every call.
_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _strict_json(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
        # Duplicate keys need no hook: json keeps the last one, so the canonical re-encoding
        # comes out shorter than the input and the entry is rejected as non-canonical.
        obj = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EntryError("entry is not UTF-8 JSON") from exc
    if not isinstance(obj, dict):
        raise EntryError("entry must be a JSON object")
    if set(obj) != AuditEntry.FIELDS:
        raise EntryError("unknown or missing fields", fields=sorted(set(obj) ^ AuditEntry.FIELDS))
    if obj["v"] != ENTRY_VERSION or type(obj["v"]) is not int:
        raise EntryError("unsupported entry version", v=obj["v"])
    return cast(dict[str, Any], obj)


def _get(obj: dict[str, Any], key: str, kind: type) -> Any:
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EntryError(f"{key} has the wrong type", field=key)
    return value


def _sub(obj: dict[str, Any], key: str, fields: set[str]) -> dict[str, Any]:
    value = _get(obj, key, dict)
    if set(value) != fields:
        raise EntryError(f"{key} has unknown or missing fields", field=key)
    return cast(dict[str, Any], value)
