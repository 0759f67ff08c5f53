"""The custody PDF, checked with independent tools: poppler (pdftoppm, pdftotext, pdfdetach)
and zbar read what a court clerk's machine would read."""

from __future__ import annotations

import copy
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from vault.i18n import catalogue
from vault.report import envelope_bytes, verify_report
from vault.report.errors import CODES
from vault.report.render import _refuse_all_fetcher, _weasyprint, qr_text, render_html, render_pdf
from vault.report.strings import TEXT, format_time

from .report_fixtures import ITEM_ID, WEASYPRINT_FILTERS, World, make_world, require_tool

pytestmark = WEASYPRINT_FILTERS

Rendered = tuple[World, dict[str, Any], dict[str, bytes]]


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    # Rendering takes a few seconds; one report in both languages serves the whole module.
    world = make_world()
    envelope = world.sign(world.report())
    return world, envelope, {lang: render_pdf(envelope, lang) for lang in ("fr", "en")}


def _run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=60)


def _pgm_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey samples of a binary PGM (P5), as pdftoppm -gray writes."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; comments start with '#'
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1 : pos + 1 + width * height]


def test_pdf_is_pdfa3b_with_fonts_embedded(rendered: Rendered, tmp_path: Path) -> None:
    pdf = rendered[2]["fr"]
    assert pdf.startswith(b"%PDF-1.7")
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    # PDF/A identification in the XMP metadata: part 3, conformance B; an sRGB output intent.
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    # PDF/A-3 associated file: the JSON is declared as the source of the document.
    spec = root["/Names"]["/EmbeddedFiles"]["/Names"][1].get_object()
    assert spec["/F"] == "custody-report.json" and spec["/AFRelationship"] == "/Source"
    assert root["/AF"][0].get_object() == spec
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    require_tool("pdffonts")
    fonts = _run("pdffonts", path).stdout.decode()
    assert "DejaVu" in fonts
    for line in fonts.splitlines()[2:]:
        assert line.split()[-5] == "yes", f"font not embedded: {line}"  # the 'emb' column


def test_first_page_is_not_blank(rendered: Rendered, tmp_path: Path) -> None:
    tool = require_tool("pdftoppm")
    path = tmp_path / "r.pdf"
    path.write_bytes(rendered[2]["fr"])
    _run(tool, "-gray", "-r", "50", "-f", "1", "-l", "1", path, tmp_path / "page")
    width, height, pixels = _pgm_pixels(next(tmp_path.glob("page*.pgm")))
    assert width > 300 and height > 400 and len(pixels) == width * height
    dark = sum(1 for p in pixels if p < 128)
    mean = sum(pixels) / len(pixels)
    variance = sum((p - mean) ** 2 for p in pixels) / len(pixels)
    # Text, tables and the QR code: a few percent of the page is ink, and it is not uniform.
    assert dark / len(pixels) > 0.02
    assert variance > 500


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            [
                "Rapport de chaîne de possession",
                "Comment le vérifier vous-même",
                "Attestation d’une personne qualifiée",
                "Déclaration de capture",
                "novembre 2026",
                "refusé",
                "4 109 octets",
            ],
        ),
        (
            "en",
            [
                "Chain-of-custody report",
                "How to check this yourself",
                "Certification of a qualified person",
                "Capture statement",
                "November 2026",
                "denied",
                "4,109 bytes",
            ],
        ),
    ],
)
def test_text_in_the_report_language(
    rendered: Rendered, tmp_path: Path, lang: str, expected: list[str]
) -> None:
    tool = require_tool("pdftotext")
    world, envelope, pdfs = rendered
    path = tmp_path / "r.pdf"
    path.write_bytes(pdfs[lang])
    text = _run(tool, "-enc", "UTF-8", path, "-").stdout.decode("utf-8")
    flat = " ".join(text.split())
    for phrase in expected:
        assert phrase in flat, phrase
    for command in ("sha256sum FILE", "age -d -i KEY -o FILE ITEM.age", "pdfdetach -saveall"):
        assert command in flat
    assert envelope["report"]["item"]["plaintext_sha256"] in flat
    assert world.vkey in flat
    other = "fr" if lang == "en" else "en"
    assert TEXT[other]["s_howto"].split(". ", 1)[1] not in flat


def test_embedded_json_is_byte_identical(rendered: Rendered, tmp_path: Path) -> None:
    tool = require_tool("pdfdetach")
    _, envelope, pdfs = rendered
    path = tmp_path / "r.pdf"
    path.write_bytes(pdfs["en"])
    listing = _run(tool, "-list", path).stdout.decode()
    assert "1 embedded files" in listing and "custody-report.json" in listing
    out = tmp_path / "out"
    out.mkdir()
    _run(tool, "-saveall", "-o", out, path)
    assert (out / "custody-report.json").read_bytes() == envelope_bytes(envelope)


def test_qr_code_decodes_to_digest_and_checkpoint(rendered: Rendered, tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm")
    zbarimg = require_tool("zbarimg")
    _, envelope, pdfs = rendered
    path = tmp_path / "r.pdf"
    path.write_bytes(pdfs["fr"])
    _run(pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1", path, tmp_path / "page")
    png = next(tmp_path.glob("page*.png"))
    decoded = _run(zbarimg, "--raw", "-q", png).stdout.decode().strip()
    assert decoded == qr_text(envelope)
    assert f"sha256:{envelope['report']['item']['plaintext_sha256']};" in decoded
    assert decoded.endswith(envelope["report"]["checkpoint"].split("\n")[2])


def test_verify_accepts_the_pdf(rendered: Rendered) -> None:
    world, _, pdfs = rendered
    for pdf in pdfs.values():
        result = verify_report(pdf, log_key=world.vkey)
        assert result.item_id == ITEM_ID


def test_html_escapes_report_values(rendered: Rendered) -> None:
    _, envelope, _ = rendered
    hostile = copy.deepcopy(envelope)
    hostile["report"]["item"]["uploader"]["name"] = '<img src="http://attacker.example/x.png">'
    html = render_html(hostile, "en")
    assert "<img" not in html and "&lt;img src=&quot;http://attacker.example" in html


def test_fetcher_refuses_every_url() -> None:
    fetcher = _refuse_all_fetcher()
    for url in ("http://example.org/x.png", "file:///etc/passwd", "data:text/plain,x"):
        with pytest.raises(_weasyprint().urls.FatalURLFetchingError):
            fetcher.fetch(url)


def test_render_refuses_bad_input(rendered: Rendered) -> None:
    _, envelope, _ = rendered
    with pytest.raises(ValueError):
        render_html(envelope, "de")


def test_both_languages_have_the_same_strings() -> None:
    assert TEXT["fr"].keys() == TEXT["en"].keys()
    for lang in ("fr", "en"):
        assert set(CODES) <= set(catalogue(lang))
        assert all(v.strip() for v in TEXT[lang].values())


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2026-11-01T07:05:09.123456Z", "fr", "1er novembre 2026 à 07:05:09 UTC"),
        ("2026-08-23T15:59:13Z", "fr", "23 août 2026 à 15:59:13 UTC"),
        ("2026-02-23T15:59:13+00:00", "en", "23 February 2026, 15:59:13 UTC"),
    ],
)
def test_dates_per_language(value: str, lang: str, expected: str) -> None:
    assert format_time(value, lang) == expected
