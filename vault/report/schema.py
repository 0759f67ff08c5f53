"""The custody report, schema ``vault.custody-report/v1`` (docs/custody-report.md).

The report is kept as plain JSON values typed with ``TypedDict``s rather than converted into
objects: its signature covers the RFC 8785 canonical form of exactly these values, and a round
trip through classes could silently drop or reshape a field.  :func:`parse_envelope` checks the
shape strictly -- every field present, no field unknown, every value of the right type and form
-- and returns the same dicts, now typed.  It checks *form* only; what the values prove is
checked by :mod:`vault.report.verify`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict, cast

from vault.report.errors import ReportVerificationError

#: The schema identifier, also the domain-separation label of the report signature.
SCHEMA = "vault.custody-report/v1"
LANGUAGES = ("fr", "en")


class Person(TypedDict):
    id: str
    name: str
    role: str


class ItemPart(TypedDict):
    id: str
    case_id: str
    kind: Literal["media", "testimony"]
    mode: Literal["server_sealed", "client_sealed"]
    media_type: str
    size: int
    plaintext_sha256: str
    sha1: str | None
    md5: str | None
    ciphertext_sha256: str
    ciphertext_size: int
    received_at: str
    uploader: Person
    device_id: str | None
    metadata_sha256: str | None
    log_index: int


class CaptureStatement(TypedDict):
    statement: dict[str, Any]
    encoded: str
    signature: str
    device_public_key: str
    signature_valid: bool


class EventActor(TypedDict):
    id: str | None  # None for an anonymous request, as in the audit entry
    name: str | None
    role: str


class Outcome(TypedDict):
    result: str
    reason: str | None


class Event(TypedDict):
    index: int
    entry: str
    inclusion_proof: list[str]
    time: str
    actor: EventActor
    action: str
    outcome: Outcome


class VaultPart(TypedDict):
    origin: str
    log_key: str


class Report(TypedDict):
    schema: str
    generated_at: str
    lang: Literal["fr", "en"]
    vault: VaultPart
    item: ItemPart
    capture_statement: CaptureStatement | None
    checkpoint: str
    events: list[Event]


class Signature(TypedDict):
    alg: Literal["ed25519"]
    key: str
    value: str


class Envelope(TypedDict):
    report: Report
    signature: Signature


# --- strict parsing ----------------------------------------------------------------------------

_HEX = {n: re.compile(f"[0-9a-f]{{{n}}}") for n in (32, 40, 64)}
# RFC 3339 date-time in UTC: "Z" or "+00:00", optional fraction.  Other offsets are refused so
# that every time in a report reads the same way in court.
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)")
_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}")

Check = Callable[[Any, str], None]


def _fail(where: str, what: str) -> ReportVerificationError:
    return ReportVerificationError("report.format", where, what)


def _str(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value:
        raise _fail(where, "must be a non-empty string")


def _int(value: Any, where: str) -> None:
    # bool is a subclass of int in Python; JSON true must not pass for 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(where, "must be a non-negative integer")


def _bool(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise _fail(where, "must be true or false")


def _hex(n: int) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or not _HEX[n].fullmatch(value):
            raise _fail(where, f"must be {n} lowercase hexadecimal digits")

    return check


def _time(value: Any, where: str) -> None:
    if not isinstance(value, str) or not _RFC3339_UTC.fullmatch(value):
        raise _fail(where, "must be an RFC 3339 UTC time")


def _b64(pattern: re.Pattern[str]) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or not value or not pattern.fullmatch(value):
            raise _fail(where, "must be base64 text")

    return check


def _one_of(*allowed: str) -> Check:
    def check(value: Any, where: str) -> None:
        if value not in allowed:
            raise _fail(where, "must be one of " + ", ".join(allowed))

    return check


def _optional(check: Check) -> Check:
    def optional(value: Any, where: str) -> None:
        if value is not None:
            check(value, where)

    return optional


def _obj(fields: Mapping[str, Check]) -> Check:
    """An object with exactly ``fields``: a missing or an unknown field is an error."""

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise _fail(where, "must be an object")
        missing = sorted(set(fields) - set(value))
        extra = sorted(set(value) - set(fields))
        if missing:
            raise _fail(where, "missing field(s) " + ", ".join(missing))
        if extra:
            raise _fail(where, "unknown field(s) " + ", ".join(extra))
        for name, field_check in fields.items():
            field_check(value[name], f"{where}.{name}")

    return check


def _list(check_item: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise _fail(where, "must be a list")
        for i, element in enumerate(value):
            check_item(element, f"{where}[{i}]")

    return check


def _any_object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")


_PERSON = _obj({"id": _str, "name": _str, "role": _str})

_ITEM = _obj(
    {
        "id": _str,
        "case_id": _str,
        "kind": _one_of("media", "testimony"),
        "mode": _one_of("server_sealed", "client_sealed"),
        "media_type": _str,
        "size": _int,
        "plaintext_sha256": _hex(64),
        "sha1": _optional(_hex(40)),
        "md5": _optional(_hex(32)),
        "ciphertext_sha256": _hex(64),
        "ciphertext_size": _int,
        "received_at": _time,
        "uploader": _PERSON,
        "device_id": _optional(_str),
        "metadata_sha256": _optional(_hex(64)),
        "log_index": _int,
    }
)

_STATEMENT = _obj(
    {
        "statement": _any_object,
        "encoded": _b64(_URL_B64),
        "signature": _b64(_URL_B64),
        "device_public_key": _b64(_STD_B64),
        "signature_valid": _bool,
    }
)

_EVENT = _obj(
    {
        "index": _int,
        "entry": _str,
        "inclusion_proof": _list(_hex(64)),
        "time": _time,
        "actor": _obj({"id": _optional(_str), "name": _optional(_str), "role": _str}),
        "action": _str,
        "outcome": _obj({"result": _str, "reason": _optional(_str)}),
    }
)

_REPORT = _obj(
    {
        "schema": _one_of(SCHEMA),
        "generated_at": _time,
        "lang": _one_of(*LANGUAGES),
        "vault": _obj({"origin": _str, "log_key": _str}),
        "item": _ITEM,
        "capture_statement": _optional(_STATEMENT),
        "checkpoint": _str,
        "events": _list(_EVENT),
    }
)

_ENVELOPE = _obj(
    {
        "report": _REPORT,
        "signature": _obj({"alg": _one_of("ed25519"), "key": _str, "value": _b64(_STD_B64)}),
    }
)


def validate_report(value: Any) -> Report:
    """Check the shape of a bare report (before signing); raise ``report.format`` otherwise."""
    _REPORT(value, "report")
    return cast(Report, value)


def validate_envelope(value: Any) -> Envelope:
    """Check the shape of a signed envelope; raise ``report.format`` otherwise."""
    _ENVELOPE(value, "envelope")
    return cast(Envelope, value)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers that resolve a duplicated key differently would read two different reports
    # from the same signed bytes; refuse the ambiguity outright.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _fail("json", f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise _fail("json", f"{name} is not JSON")


def loads_strict(data: bytes, where: str = "json") -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity and invalid UTF-8."""
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        raise _fail(where, "not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise _fail(where, f"not JSON ({exc.msg})") from exc


def parse_envelope(data: bytes) -> Envelope:
    """Parse and strictly validate the JSON bytes of a signed envelope."""
    return validate_envelope(loads_strict(data, "envelope"))
