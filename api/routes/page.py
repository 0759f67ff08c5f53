"""The upload page: a plain form for investigators in a browser, in French or English.

It uses the server-sealed endpoint (the browser sends the original over TLS, the server
hashes and encrypts it on the fly and never stores plaintext); phones and the CLI that can
encrypt locally use the client-sealed, resumable path instead.  The page is static HTML with
a few lines of script for the progress bar; its text comes from the message catalogue.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vault import i18n

router = APIRouter(include_in_schema=False)
_TEMPLATE = Path(__file__).resolve().parent.parent / "static" / "upload.html"
KEYS = (
    "title",
    "intro",
    "token",
    "case",
    "file",
    "notes",
    "submit",
    "progress",
    "done",
    "failed",
    "receipt",
    "keep",
    "language",
    "privacy",
)


def _render(lang: str) -> str:
    text = _TEMPLATE.read_text(encoding="utf-8")
    for key in KEYS:
        text = text.replace("{{" + key + "}}", html.escape(i18n.message(f"page.{key}", lang)))
    other = "en" if lang == "fr" else "fr"
    return text.replace("{{lang}}", lang).replace("{{other}}", other)


@router.get("/", response_class=HTMLResponse)
@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, lang: Literal["fr", "en"] | None = None) -> HTMLResponse:
    chosen = lang or i18n.negotiate(request.headers.get("accept-language"))
    return HTMLResponse(
        _render(chosen),
        headers={
            "Content-Language": chosen,
            "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'unsafe-inline'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )
