"""The custody report as a PDF/A-3b that carries its own signed JSON.

The PDF is a *view*: what can be verified is the envelope JSON embedded in it as an associated
file (``custody-report.json``, relationship ``Source``), byte for byte what
:func:`vault.report.signing.envelope_bytes` produces.  PDF/A-3 is the archival profile that
allows such embedded files, and it makes the renderer embed every font it uses.

Rendering never touches the network or the filesystem beyond the installed fonts: the HTML is
built from the package's own template, the QR code is inline SVG, ``base_url`` is None and the
URL fetcher refuses every URL.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import warnings
from functools import cache
from importlib import resources
from string import Template
from types import ModuleType
from typing import Any

import segno

from vault.report.pdf import extract_embedded_json
from vault.report.schema import LANGUAGES, Envelope, Event, validate_envelope
from vault.report.signing import JSON_FILENAME, envelope_bytes
from vault.report.strings import TEXT, format_int, format_time


@cache
def _weasyprint() -> ModuleType:
    """WeasyPrint, imported on first use.

    Importing it loads Pango through cffi; doing that lazily keeps ``import api.app`` and the
    offline verifier free of it.  Without libharfbuzz-subset0, WeasyPrint 70 warns at import
    that the library will become required; that says nothing about the PDF being produced
    (fontTools subsets the fonts instead), so only that one warning is silenced here, once.
    Install libharfbuzz-subset0 to make it go away.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
        return importlib.import_module("weasyprint")


@cache
def _refuse_all_fetcher() -> Any:
    """A URL fetcher that refuses everything: a report must render the same anywhere and leak
    nothing, so no URL is ever fetched (``fail_on_errors`` makes a refusal stop rendering
    instead of being logged and skipped)."""
    urls = _weasyprint().urls

    def fetch(self: Any, url: str, headers: Any = None) -> Any:
        raise urls.FatalURLFetchingError(f"custody reports fetch nothing ({url[:60]!r})")

    # Built with type() because WeasyPrint's classes are untyped and only known at run time.
    refuse_all = type("RefuseAllFetcher", (urls.URLFetcher,), {"fetch": fetch})
    return refuse_all(fail_on_errors=True)


@cache
def _template(name: str) -> Template:
    return Template((resources.files("vault.report") / "templates" / name).read_text("utf-8"))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _css_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def checkpoint_fields(note: str) -> tuple[str, int, str]:
    """Origin, size and base64 root from a checkpoint note's first three lines (display only;
    the verifier parses and checks the note properly)."""
    lines = note.split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise ValueError("not a checkpoint note")
    return lines[0], int(lines[1]), lines[2]


def qr_text(envelope: Envelope) -> str:
    """What the QR code encodes: enough to match a printed page with a file and a log."""
    report = envelope["report"]
    origin, size, root = checkpoint_fields(report["checkpoint"])
    return f"sha256:{report['item']['plaintext_sha256']};log:{origin};size:{size};root:{root}"


def _qr_svg(text: str) -> str:
    # Error correction M survives a smudged print; make_qr never picks a Micro QR, which
    # phone readers and zbar handle less reliably.
    return str(segno.make_qr(text, error="m").svg_inline(scale=4, border=4))


def _row(label: str, value: str, *, mono: bool = False) -> str:
    cls = ' class="mono"' if mono else ""
    return f"<tr><th>{_e(label)}</th><td{cls}>{value}</td></tr>"


def _item_rows(envelope: Envelope, t: dict[str, str], lang: str) -> str:
    item = envelope["report"]["item"]
    none = _e(t["none"])
    up = item["uploader"]
    rows = [
        _row(t["f_item_id"], _e(item["id"]), mono=True),
        _row(t["f_case"], _e(item["case_id"]), mono=True),
        _row(t["f_kind"], _e(t["kind_" + item["kind"]])),
        _row(t["f_mode"], _e(t["mode_" + item["mode"]])),
        _row(t["f_media_type"], _e(item["media_type"]), mono=True),
        _row(t["f_size"], _e(t["f_bytes"].format(n=format_int(item["size"], lang)))),
        _row(t["f_sha256"], f'<span class="hash">{_e(item["plaintext_sha256"])}</span>'),
        _row(t["f_sha1"], _e(item["sha1"]) if item["sha1"] else none, mono=True),
        _row(t["f_md5"], _e(item["md5"]) if item["md5"] else none, mono=True),
        _row(t["f_ct_sha256"], f'<span class="hash">{_e(item["ciphertext_sha256"])}</span>'),
        _row(t["f_ct_size"], _e(t["f_bytes"].format(n=format_int(item["ciphertext_size"], lang)))),
        _row(t["f_received"], _e(format_time(item["received_at"], lang))),
        _row(t["f_uploader"], f"{_e(up['name'])} ({_e(up['role'])}) — {_e(up['id'])}"),
        _row(t["f_device"], _e(item["device_id"]) if item["device_id"] else none, mono=True),
        _row(t["f_log_index"], _e(item["log_index"])),
    ]
    return "\n".join(rows)


def _statement_block(envelope: Envelope, t: dict[str, str]) -> str:
    cs = envelope["report"]["capture_statement"]
    if cs is None:
        return f"<p>{_e(t['statement_none'])}</p>"
    fields = "\n".join(
        _row(str(k), _e(v if isinstance(v, str) else repr(v)), mono=True)
        for k, v in sorted(cs["statement"].items())
    )
    verdict = (
        f'<span class="ok">✓ {_e(t["sig_valid"])}</span>'
        if cs["signature_valid"]
        else f'<span class="bad">✗ {_e(t["sig_invalid"])}</span>'
    )
    return (
        f"<p>{_e(t['statement_intro'])}</p>"
        f'<table class="fields">{fields}'
        f"{_row(t['f_device_key'], _e(cs['device_public_key']), mono=True)}"
        f"{_row(t['f_statement_sig'], verdict)}</table>"
    )


def _metadata_block(envelope: Envelope, t: dict[str, str]) -> str:
    digest = envelope["report"]["item"]["metadata_sha256"]
    if digest is None:
        return f"<p>{_e(t['metadata_none'])}</p>"
    return f'<p>{_e(t["metadata_text"])}</p><p class="hash">{_e(digest)}</p>'


def _event_row(event: Event, t: dict[str, str], lang: str) -> str:
    outcome = event["outcome"]
    result = t.get("result_" + outcome["result"], outcome["result"])
    if outcome["reason"]:
        result += f" ({outcome['reason']})"
    actor = event["actor"]
    who = actor["name"] or actor["id"] or t["anonymous"]
    return (
        f"<tr><td>{_e(event['index'])}</td><td>{_e(format_time(event['time'], lang))}</td>"
        f"<td>{_e(who)}<br><small>{_e(actor['role'])}</small></td>"
        f'<td class="mono">{_e(event["action"])}</td><td>{_e(result)}</td></tr>'
    )


def render_html(envelope: dict[str, Any] | Envelope, lang: str) -> str:
    """The report's HTML (what :func:`render_pdf` lays out); useful to preview and to test."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}")
    env = validate_envelope(envelope)
    report = env["report"]
    item = report["item"]
    t = TEXT[lang]
    origin, size, root = checkpoint_fields(report["checkpoint"])
    values = {k: _e(v) for k, v in t.items()}
    values.update(
        lang=lang,
        item_id=_e(item["id"]),
        origin=_e(origin),
        subtitle=_e(t["subtitle"].format(item_id=item["id"], case_id=item["case_id"])),
        generated=_e(
            t["generated"].format(time=format_time(report["generated_at"], lang), origin=origin)
        ),
        qr_svg=_qr_svg(qr_text(env)),
        item_rows=_item_rows(env, t, lang),
        statement_block=_statement_block(env, t),
        metadata_block=_metadata_block(env, t),
        event_rows="\n".join(_event_row(ev, t, lang) for ev in report["events"]),
        checkpoint_text=_e(t["checkpoint_text"].format(size=format_int(size, lang))),
        root=_e(root),
        checkpoint=_e(report["checkpoint"]),
        log_key=_e(report["vault"]["log_key"]),
        sha256=_e(item["plaintext_sha256"]),
        cert_body_2=_e(t["cert_body_2"].format(item_id=item["id"], origin=origin)),
        cert_body_3=_e(t["cert_body_3"].format(sha256=item["plaintext_sha256"])),
    )
    return _template("report.html").substitute(values)


def _css(envelope: Envelope, lang: str) -> str:
    t = TEXT[lang]
    item = envelope["report"]["item"]
    footer = f"{t['title']} — {item['id']} — SHA-256 {item['plaintext_sha256'][:16]}…"
    return _template("report.css").substitute(
        footer=_css_string(footer), page_word=_css_string(t["page"]), of_word=_css_string(t["of"])
    )


def render_pdf(envelope: dict[str, Any] | Envelope, lang: str) -> bytes:
    """A PDF/A-3b rendering of ``envelope`` in ``lang`` ("fr" or "en"), with the envelope's JSON
    embedded as ``custody-report.json``."""
    env = validate_envelope(envelope)
    weasyprint = _weasyprint()
    fetcher = _refuse_all_fetcher()
    document = weasyprint.HTML(string=render_html(env, lang), base_url=None, url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(string=_css(env, lang), base_url=None, url_fetcher=fetcher)
    embedded = envelope_bytes(env)
    attachment = weasyprint.Attachment(
        string=embedded,
        name=JSON_FILENAME,
        description="Signed custody report (vault.custody-report/v1), RFC 8785 JSON",
        relationship="Source",
        url_fetcher=fetcher,
    )
    pdf = document.write_pdf(
        stylesheets=[stylesheet],
        attachments=[attachment],
        pdf_variant="pdf/a-3b",
        # A stable document identifier derived from the content, so that rendering the same
        # report twice gives PDFs that differ only by their creation dates.
        pdf_identifier=hashlib.sha256(embedded).hexdigest()[:32].encode("ascii"),
    )
    if not isinstance(pdf, bytes):  # write_pdf returns bytes when no target is given
        raise TypeError("WeasyPrint returned no PDF bytes")
    # WeasyPrint only logs an attachment it fails to load and carries on; a custody PDF without
    # its signed JSON would be unverifiable, so check the round trip before handing it out.
    if extract_embedded_json(pdf) != embedded:
        raise RuntimeError("the rendered PDF does not carry the exact report JSON")
    return pdf
