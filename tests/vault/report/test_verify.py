"""verify_report on real reports, and on each way a report can be wrong."""

from __future__ import annotations

import base64
import copy
import io
from collections.abc import Callable
from typing import Any

import pytest

from audit.note import SIG_TYPE_ED25519, VerifierKey
from crypto.signing import SigningKey
from vault.report import ReportVerificationError, envelope_bytes, verify_report

from .report_fixtures import ITEM_ID, ORIGIN, World

Resign = Callable[[dict[str, Any]], dict[str, Any]]


def _fails(code: str, data: Any, key: str | None, **kw: Any) -> ReportVerificationError:
    with pytest.raises(ReportVerificationError) as info:
        verify_report(data, log_key=key, **kw)
    assert info.value.code == code, info.value
    return info.value


def test_fresh_report_verifies_with_original(world: World, envelope: dict[str, Any]) -> None:
    result = verify_report(
        envelope_bytes(envelope), log_key=world.vkey, original=io.BytesIO(world.original)
    )
    assert result.item_id == ITEM_ID
    assert result.key_pinned and result.statement_verified and result.original_verified
    assert result.origin == ORIGIN and result.checkpoint_size == world.log.size()
    assert result.event_indices == (2, 4, 5, 7, 8)


def test_parsed_envelope_and_key_with_whitespace(world: World, envelope: dict[str, Any]) -> None:
    # A key pasted from a file or a web page often carries a trailing newline.
    verify_report(envelope, log_key=world.vkey + "\n")


def test_changed_byte_in_json_breaks_signature(world: World, envelope: dict[str, Any]) -> None:
    data = envelope_bytes(envelope)
    digest = envelope["report"]["item"]["plaintext_sha256"]
    forged = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    tampered = data.replace(digest.encode(), forged.encode(), 1)
    assert tampered != data
    err = _fails("report.signature", tampered, world.vkey)
    assert err.part == "report signature"


def test_missing_key_is_refused_unless_allowed(world: World, envelope: dict[str, Any]) -> None:
    _fails("report.key_unpinned", envelope, None)
    result = verify_report(envelope, log_key=None, allow_unpinned=True)
    assert not result.key_pinned


def test_wrong_log_key(world: World, envelope: dict[str, Any]) -> None:
    other = VerifierKey(ORIGIN, SIG_TYPE_ED25519, SigningKey.generate().public_key).to_text()
    err = _fails("report.key_mismatch", envelope, other)
    assert err.part == "vault.log_key"
    _fails("report.key_mismatch", envelope, "not a key")


def test_report_signed_by_another_key_naming_the_right_one(
    world: World, envelope: dict[str, Any]
) -> None:
    # Whoever holds another key can copy the real log key's text into the report; the
    # signature is what shows who made it.
    envelope = copy.deepcopy(envelope)
    envelope["signature"]["value"] = base64.b64encode(
        SigningKey.generate().sign(b"anything")
    ).decode()
    _fails("report.signature", envelope, world.vkey)


def test_wrong_original(world: World, envelope: dict[str, Any]) -> None:
    err = _fails(
        "report.original", envelope, world.vkey, original=io.BytesIO(world.original + b"\0")
    )
    assert err.part == "original file"


def test_proof_from_a_bigger_log(world: World, resign: Resign) -> None:
    size = world.log.size()
    report = world.report(size)
    world.append(minutes=300, actor="m-law", action="item.read", item=ITEM_ID)
    bigger = world.report()
    # Keep the old checkpoint but take event 3's proof from the bigger tree.
    report["events"][2]["inclusion_proof"] = bigger["events"][2]["inclusion_proof"]
    assert (
        report["events"][2]["inclusion_proof"] != world.report(size)["events"][2]["inclusion_proof"]
    )
    err = _fails("report.proof", resign({"report": report}), world.vkey)
    assert err.part == "event 3 (index 5): inclusion proof"


def test_tampered_entry_text(world: World, envelope: dict[str, Any], resign: Resign) -> None:
    edited = copy.deepcopy(envelope)
    event = edited["report"]["events"][3]
    event["entry"] = event["entry"].replace('"denied"', '"allowed"')
    event["outcome"]["result"] = "allowed"
    # Unsigned edit: the envelope signature catches it first.
    _fails("report.signature", edited, world.vkey)
    # Signed by the server itself: the entry is no longer the one in the signed log.
    err = _fails("report.proof", resign(edited), world.vkey)
    assert err.part == "event 4 (index 7): inclusion proof"


def test_readable_copy_differs_from_entry(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    edited = copy.deepcopy(envelope)
    edited["report"]["events"][1]["actor"]["role"] = "auditor"
    err = _fails("report.entry", resign(edited), world.vkey)
    assert err.part == "event 2 (index 4): actor.role"
    edited = copy.deepcopy(envelope)
    edited["report"]["events"][0]["time"] = "2026-11-02T09:42:07.250001Z"
    assert _fails("report.entry", resign(edited), world.vkey).part.endswith(": time")


def test_event_about_another_item(world: World, envelope: dict[str, Any], resign: Resign) -> None:
    # Entry 6 is genuinely in the log, with a genuine proof, but concerns another item.
    edited = copy.deepcopy(envelope)
    edited["report"]["events"].insert(3, world.event(6, "m-inv", world.log.size()))
    err = _fails("report.entry", resign(edited), world.vkey)
    assert err.part == "event 4 (index 6): subject"


def test_intake_entry_must_be_listed(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    edited = copy.deepcopy(envelope)
    del edited["report"]["events"][0]
    _fails("report.entry", resign(edited), world.vkey)


def test_bad_statement_signature(world: World, envelope: dict[str, Any], resign: Resign) -> None:
    edited = copy.deepcopy(envelope)
    cs = edited["report"]["capture_statement"]
    cs["signature"] = (
        base64.urlsafe_b64encode(world.device_key.sign(b"another statement")).decode().rstrip("=")
    )
    err = _fails("report.statement", resign(edited), world.vkey)
    assert err.part == "capture statement: signature"


def test_statement_for_another_file(world: World, resign: Resign) -> None:
    report = world.report()
    world.original += b"!"  # the device signed a statement about different bytes
    report["capture_statement"] = world.statement()
    err = _fails("report.statement", resign({"report": report}), world.vkey)
    assert err.part == "capture statement: plaintext_sha256"


def test_statement_signed_without_its_label(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    # A signature over the bare JSON is a signature over some other kind of object.
    edited = copy.deepcopy(envelope)
    cs = edited["report"]["capture_statement"]
    raw = base64.urlsafe_b64decode(cs["encoded"] + "=" * (-len(cs["encoded"]) % 4))
    cs["signature"] = base64.urlsafe_b64encode(world.device_key.sign(raw)).decode().rstrip("=")
    err = _fails("report.statement", resign(edited), world.vkey)
    assert err.part == "capture statement: signature"


def test_statement_copy_must_match_encoded(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    edited = copy.deepcopy(envelope)
    edited["report"]["capture_statement"]["statement"]["captured_at"] = "2026-10-01T00:00:00Z"
    _fails("report.statement", resign(edited), world.vkey)


def test_checkpoint_of_another_origin(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    edited = copy.deepcopy(envelope)
    edited["report"]["checkpoint"] = world.checkpoint(origin="other.example/log")
    _fails("report.checkpoint", resign(edited), world.vkey)


def test_checkpoint_signed_by_another_key(
    world: World, envelope: dict[str, Any], resign: Resign
) -> None:
    edited = copy.deepcopy(envelope)
    real = world.log_key
    world.log_key = SigningKey.generate()
    edited["report"]["checkpoint"] = world.checkpoint()
    world.log_key = real
    err = _fails("report.checkpoint", resign(edited), world.vkey)
    assert err.part == "checkpoint"


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda r: r["item"].pop("md5"), "envelope.report.item"),
        (lambda r: r["item"].__setitem__("colour", "red"), "envelope.report.item"),
        (lambda r: r["item"].__setitem__("size", True), "envelope.report.item.size"),
        (lambda r: r.__setitem__("schema", "vault.custody-report/v2"), "envelope.report.schema"),
        (lambda r: r["events"][0].__setitem__("inclusion_proof", ["AB"]), "envelope.report.events"),
    ],
)
def test_strict_shape(envelope: dict[str, Any], world: World, edit: Any, where: str) -> None:
    edited = copy.deepcopy(envelope)
    edit(edited["report"])
    err = _fails("report.format", edited, world.vkey)
    assert err.part.startswith(where)


def test_duplicate_keys_and_garbage(world: World, envelope: dict[str, Any]) -> None:
    data = envelope_bytes(envelope)
    doubled = data.replace(b'{"report":', b'{"report":{},"report":', 1)
    assert _fails("report.format", doubled, world.vkey).part == "json"
    _fails("report.format", b"\xff\xfe", world.vkey)
    _fails("report.format", b"%PDF-1.7\nnot really", world.vkey)
