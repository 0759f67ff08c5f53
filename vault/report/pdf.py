"""Reading the signed JSON back out of a custody PDF (step 1 of verification).

Only the embedded file is trusted input; the visible pages are a rendering of it and are not
read.  pypdf is used because it is pure Python: the verifier must run on a court clerk's laptop
without poppler.
"""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from vault.report.errors import ReportVerificationError
from vault.report.signing import JSON_FILENAME

PDF_MAGIC = b"%PDF-"


def is_pdf(data: bytes) -> bool:
    return data.startswith(PDF_MAGIC)


def extract_embedded_json(data: bytes) -> bytes:
    """The bytes of the one embedded ``custody-report.json``; ``report.format`` otherwise."""
    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
        contents = attachments.get(JSON_FILENAME)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportVerificationError("report.format", "pdf", "unreadable PDF") from exc
    if not contents:
        raise ReportVerificationError("report.format", "pdf", f"no embedded {JSON_FILENAME}")
    # Two files under the same name would let a viewer show one and a verifier check the other.
    if len(contents) != 1:
        raise ReportVerificationError(
            "report.format", "pdf", f"{len(contents)} embedded files are named {JSON_FILENAME}"
        )
    return contents[0]
