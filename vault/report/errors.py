"""Errors of custody-report verification.

A plain exception tree of its own (not :class:`vault.errors.VaultError`): the verifier runs
offline, on anyone's machine, and must not drag in the server's error handling.  Every error has
a stable ``code`` (keys of the vault's French/English message catalogue, ``vault/locale``)
and a ``part`` naming what failed, e.g. ``"event 3 (index 17): inclusion proof"``::

    ReportVerificationError            report.*
      codes: report.format, report.key_unpinned, report.key_mismatch, report.signature,
             report.checkpoint, report.proof, report.entry, report.statement, report.original
"""

from __future__ import annotations

#: Every code a :class:`ReportVerificationError` may carry, in the order the verifier checks.
CODES = (
    "report.format",
    "report.key_unpinned",
    "report.key_mismatch",
    "report.signature",
    "report.checkpoint",
    "report.proof",
    "report.entry",
    "report.statement",
    "report.original",
)


class ReportVerificationError(Exception):
    """A custody report (or the original file checked against it) failed verification."""

    def __init__(self, code: str, part: str, detail: str = "") -> None:
        if code not in CODES:
            raise ValueError(f"unknown report error code {code!r}")
        self.code = code
        self.part = part
        self.detail = detail
        super().__init__(f"{part}: {detail}" if detail else part)
