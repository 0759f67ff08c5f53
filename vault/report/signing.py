"""Signing a custody report, and the exact bytes that are signed.

The server's one Ed25519 key signs checkpoints, receipts and reports.  The report signature is
therefore domain-separated: it covers ``b"vault.custody-report/v1\\n"`` followed by the RFC 8785
canonical JSON of the report, so that no report can ever be replayed as a checkpoint note or a
receipt, nor the other way round (a checkpoint note starts with its origin line, never with this
label).
"""

from __future__ import annotations

import base64
from typing import Any, cast

import rfc8785

from crypto.signing import SigningKey
from vault.report.schema import SCHEMA, Envelope, validate_report

#: Domain-separation label prepended to the canonical report before signing.
SIGNATURE_LABEL = SCHEMA.encode("ascii") + b"\n"
#: The embedded file's name inside the PDF, and the suggested name of the JSON download.
JSON_FILENAME = "custody-report.json"


def canonical_report_bytes(report: Any) -> bytes:
    """The exact message the envelope signature covers."""
    return SIGNATURE_LABEL + rfc8785.dumps(report)


def envelope_bytes(envelope: Any) -> bytes:
    """The one serialisation of an envelope that the vault publishes and embeds in PDFs.

    Canonical JSON is not needed for the signature (which covers the report's canonical form
    whatever the envelope looks like); it is used so that the JSON download and the file inside
    the PDF are byte for byte the same, and hash the same, every time they are produced.
    """
    return rfc8785.dumps(envelope)


def sign_report(report: dict[str, Any], signing_key: SigningKey, vkey_text: str) -> Envelope:
    """Validate ``report`` and wrap it in a signed envelope.

    ``vkey_text`` is the log's signed-note verifier key (``<name>+<hex id>+<b64>``); it must be
    the key the report names in ``vault.log_key`` and must hold ``signing_key``'s public key, so
    that a report can never be signed with a key other than the one it tells readers to pin.
    """
    checked = validate_report(report)
    if checked["vault"]["log_key"] != vkey_text:
        raise ValueError("the report's vault.log_key is not the signing key's verifier key")
    raw = base64.b64decode(vkey_text.split("+", 2)[2], validate=True)
    if raw != b"\x01" + signing_key.public_key.raw:
        raise ValueError("the verifier key does not hold the signing key's public key")
    signature = signing_key.sign(canonical_report_bytes(checked))
    return cast(
        Envelope,
        {
            "report": checked,
            "signature": {
                "alg": "ed25519",
                "key": vkey_text,
                "value": base64.b64encode(signature).decode("ascii"),
            },
        },
    )
