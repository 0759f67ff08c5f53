"""Chain-of-custody reports: schema, signing, offline verification and PDF rendering.

Format and verification steps: docs/custody-report.md.  The database side that *builds* a
report lives in the vault's services; this package only needs the report dict.
Rendering (WeasyPrint) is imported lazily by callers of :mod:`vault.report.render`, so that the
verifier runs where Pango is not installed.
"""

from vault.report.errors import CODES, ReportVerificationError
from vault.report.schema import SCHEMA, Envelope, Report, parse_envelope, validate_report
from vault.report.signing import canonical_report_bytes, envelope_bytes, sign_report
from vault.report.verify import VerificationResult, verify_report

__all__ = [
    "CODES",
    "SCHEMA",
    "Envelope",
    "Report",
    "ReportVerificationError",
    "VerificationResult",
    "canonical_report_bytes",
    "envelope_bytes",
    "parse_envelope",
    "sign_report",
    "validate_report",
    "verify_report",
]
