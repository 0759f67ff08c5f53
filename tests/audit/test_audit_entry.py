"""Audit entries: canonical bytes, strict parsing, round trips."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.entry import (
    GENESIS_PREV,
    Actor,
    AuditEntry,
    Outcome,
    RequestInfo,
    Subject,
    chain_digest,
)
from audit.errors import EntryError

T0 = datetime(2026, 11, 23, 15, 4, 5, 123456, tzinfo=UTC)


def make(index: int = 0, **changes: object) -> AuditEntry:
    fields: dict[str, object] = {
        "index": index,
        "time": T0,
        "actor": Actor(id="u-17", role="investigator"),
        "action": "item.download",
        "subject": Subject(case="c-3", item="i-9"),
        "outcome": Outcome(result="allowed", reason=None),
        "request": RequestInfo(id="r-1", client="203.0.113.7", user_agent="curl/8.5"),
        "details": {"sha256": "ab" * 32, "size": 1234},
        "prev": GENESIS_PREV,
    }
    fields.update(changes)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_exact_bytes() -> None:
    assert make().to_bytes() == (
        b'{"action":"item.download","actor":{"id":"u-17","role":"investigator"},'
        b'"details":{"sha256":"' + b"ab" * 32 + b'","size":1234},"index":0,'
        b'"outcome":{"reason":null,"result":"allowed"},"prev":"' + b"0" * 64 + b'",'
        b'"request":{"client":"203.0.113.7","id":"r-1","user_agent":"curl/8.5"},'
        b'"subject":{"case":"c-3","item":"i-9"},"time":"2026-11-23T15:04:05.123456Z","v":1}'
    )


def test_chain_digest_is_sha256sum_of_the_line() -> None:
    line = make().to_bytes()
    assert chain_digest(line) == hashlib.sha256(line).hexdigest()


def _mutate(obj: dict[str, object], path: str, value: object) -> bytes:
    *parents, last = path.split(".")
    target: dict[str, object] = obj
    for p in parents:
        target = target[p]  # type: ignore[assignment]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("extra", 1),
        ("actor.extra", 1),
        ("prev", KeyError),
        ("subject.item", KeyError),
        ("v", 2),
        ("v", True),
        ("index", True),
        ("index", -1),
        ("index", "1"),
        ("time", "2026-11-23T15:04:05Z"),
        ("time", "2026-11-23T15:04:05.123456+00:00"),
        ("time", "2026-02-30T15:04:05.123456Z"),
        ("action", "Upload"),
        ("outcome.result", "maybe"),
        ("actor.id", 17),
        ("actor.role", ""),
        ("prev", "AB" * 32),
        ("details", []),
        ("details.n", 2**53),
    ],
)
def test_parse_rejects_invalid_fields(path: str, value: object) -> None:
    obj = json.loads(make().to_bytes())
    with pytest.raises(EntryError):
        AuditEntry.parse(_mutate(obj, path, value))


@pytest.mark.parametrize(
    "data",
    [
        b" " + make().to_bytes(),
        make().to_bytes() + b"\n",
        make().to_bytes().replace(b'"index":0', b'"index":0.0'),
        make().to_bytes().replace(b'"size":1234', b'"size":1234,"size":1234'),
        json.dumps(json.loads(make().to_bytes()), sort_keys=True).encode(),  # spaces
        json.dumps(json.loads(make().to_bytes())).encode(),  # key order
        make(actor=Actor(id="é", role="x")).to_bytes().replace("é".encode(), b"\\u00e9"),
        b"\xff",
        b"[]",
    ],
)
def test_parse_rejects_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(EntryError):
        AuditEntry.parse(data)


def test_constructor_refuses_non_utc_time() -> None:
    with pytest.raises(EntryError):
        make(time=datetime(2026, 1, 1))
    with pytest.raises(EntryError):
        make(time=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    with pytest.raises(EntryError):
        make(details={"ratio": 0.5})


texts = st.text(max_size=20)
opt = st.none() | texts
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)
entries = st.builds(
    AuditEntry,
    index=st.integers(0, 2**53 - 1),
    time=st.datetimes(timezones=st.just(UTC)),
    actor=st.builds(Actor, id=opt, role=texts.filter(bool)),
    action=st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){1,2}", fullmatch=True),
    subject=st.builds(Subject, case=opt, item=opt),
    outcome=st.builds(Outcome, result=st.sampled_from(["allowed", "denied"]), reason=opt),
    request=st.builds(RequestInfo, id=opt, client=opt, user_agent=opt),
    details=st.dictionaries(texts, json_values, max_size=4),
    prev=st.binary(min_size=32, max_size=32).map(bytes.hex),
)


@given(entries)
def test_round_trip(entry: AuditEntry) -> None:
    data = entry.to_bytes()
    assert b"\n" not in data  # one entry is always one export line
    assert AuditEntry.parse(data) == entry
