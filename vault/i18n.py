"""French and English messages, keyed by stable error and UI codes.

The catalogues are standard gettext ``.po`` files under ``vault/locale/<lang>/LC_MESSAGES``
(msgid = the stable code, msgstr = the message with ``{field}`` placeholders), read with
Babel.  Translators edit them with any PO editor; a test checks that every code has both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
_LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (_LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        cat = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string}


def negotiate(accept_language: str | None) -> str:
    """Pick fr or en from an Accept-Language header (RFC 9110 §12.5.4 q-values)."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def message(code: str, lang: str = DEFAULT_LANGUAGE, **fields: Any) -> str:
    """The message for ``code`` in ``lang``; falls back to English, then to the code itself."""
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(code)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(code, code)
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        return text
