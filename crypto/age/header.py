"""The age v1 header: parse, serialise, MAC (spec §"Header", §"Header MAC").

Parsing is strict and canonical, as in the reference implementation, because "we don't
want any malleability": LF line endings only (a CR anywhere is an error), unpadded
canonical base64, stanza bodies wrapped at exactly 64 columns and always closed by a
short (possibly empty) line, and a 32-byte MAC.  The MAC is computed over the bytes as
received, never over a re-encoding.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

from crypto.age.primitives import hkdf_sha256, hmac_sha256
from crypto.age.stanza import Stanza
from crypto.errors import HeaderError, HeaderMacError

VERSION_LINE = b"age-encryption.org/v1\n"
STANZA_PREFIX = b"-> "
MAC_PREFIX = b"---"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
MAC_SIZE = 32
HEADER_MAC_INFO = b"header"
_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def b64encode_unpadded(data: bytes) -> str:
    """Standard base64 without padding, as everywhere in the header (spec §"Conventions")."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode_strict(text: bytes | str) -> bytes:
    """Decode unpadded canonical base64; reject ``=``, CR/LF, other characters and non-zero
    trailing bits (spec §"Conventions": decoders MUST reject non-canonical encodings)."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    if not _B64_ALPHABET.issuperset(raw) or len(raw) % 4 == 1:
        raise HeaderError("invalid base64 in header")
    try:
        data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HeaderError("invalid base64 in header") from exc
    if b64encode_unpadded(data).encode("ascii") != raw:
        raise HeaderError("non-canonical base64 in header")
    return data


def _is_valid_arg(arg: bytes) -> bool:
    # arg = 1*VCHAR: printable ASCII without space (spec §"Header" ABNF).
    return len(arg) > 0 and all(0x21 <= b <= 0x7E for b in arg)


@dataclass(frozen=True)
class Header:
    stanzas: tuple[Stanza, ...]
    mac: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedHeader:
    header: Header
    mac_message: bytes = field(repr=False)
    """The received bytes from the start of the file up to and including ``---``."""
    length: int
    """Offset of the first payload byte (just after the MAC line's LF)."""


def serialise_stanza(stanza: Stanza) -> bytes:
    """``-> type args…`` LF, then the body wrapped at 64 columns and closed by a short line."""
    line = " ".join((stanza.type, *stanza.args)).encode("ascii")
    body = b64encode_unpadded(stanza.body).encode("ascii")
    lines = [body[i : i + COLUMNS_PER_LINE] for i in range(0, len(body), COLUMNS_PER_LINE)]
    if not lines or len(lines[-1]) == COLUMNS_PER_LINE:
        lines.append(b"")  # The final line is always present and shorter than 64 columns.
    return STANZA_PREFIX + line + b"\n" + b"".join(part + b"\n" for part in lines)


def serialise_without_mac(stanzas: tuple[Stanza, ...] | list[Stanza]) -> bytes:
    return VERSION_LINE + b"".join(serialise_stanza(s) for s in stanzas) + MAC_PREFIX


def header_mac(file_key: bytes, mac_message: bytes) -> bytes:
    """HMAC-SHA-256 under ``HKDF(ikm=file_key, salt="", info="header")`` (spec §"Header MAC")."""
    return hmac_sha256(hkdf_sha256(file_key, b"", HEADER_MAC_INFO), mac_message)


def verify_header_mac(file_key: bytes, parsed: ParsedHeader) -> None:
    if not hmac.compare_digest(header_mac(file_key, parsed.mac_message), parsed.header.mac):
        raise HeaderMacError("header MAC does not match")


def serialise(stanzas: tuple[Stanza, ...] | list[Stanza], file_key: bytes) -> bytes:
    """The complete header, MAC line included."""
    without_mac = serialise_without_mac(stanzas)
    mac = header_mac(file_key, without_mac)
    return without_mac + b" " + b64encode_unpadded(mac).encode("ascii") + b"\n"


def parse(buf: bytes | bytearray, *, at_eof: bool) -> ParsedHeader | None:
    """Parse the header at the start of ``buf``.

    Returns ``None`` when ``buf`` ends before the MAC line and more input may follow
    (``at_eof`` false); raises :class:`HeaderError` as soon as a complete line is invalid.
    """
    data = bytes(buf)
    pos = 0

    def next_line() -> bytes | None:
        nonlocal pos
        end = data.find(b"\n", pos)
        if end < 0:
            if at_eof:
                raise HeaderError("truncated header")
            return None
        line = data[pos:end]
        pos = end + 1
        return line

    if not at_eof and not VERSION_LINE.startswith(data[: len(VERSION_LINE)]):
        raise HeaderError("not an age v1 file (unexpected version line)")
    line = next_line()
    if line is None:
        return None
    if line + b"\n" != VERSION_LINE:
        raise HeaderError("not an age v1 file (unexpected version line)")

    stanzas: list[Stanza] = []
    while True:
        line_start = pos
        line = next_line()
        if line is None:
            return None
        if line.startswith(MAC_PREFIX):
            # mac-line = "---" SP 43base64char LF
            if not line.startswith(b"--- ") or len(line) != 4 + 43:
                raise HeaderError("malformed header MAC line")
            mac = b64decode_strict(line[4:])
            if not stanzas:
                raise HeaderError("header has no recipient stanza")
            return ParsedHeader(Header(tuple(stanzas), mac), data[: line_start + 3], pos)
        if not line.startswith(STANZA_PREFIX):
            raise HeaderError("unexpected line in header")
        args = line[len(STANZA_PREFIX) :].split(b" ")
        if not all(_is_valid_arg(a) for a in args):
            raise HeaderError("malformed stanza line")
        body = bytearray()
        while True:
            body_line = next_line()
            if body_line is None:
                return None
            if len(body_line) > COLUMNS_PER_LINE:
                raise HeaderError("stanza body line too long")
            body += b64decode_strict(body_line)
            if len(body_line) < COLUMNS_PER_LINE:
                break  # Only the final line is short; it may be empty.
        text_args = tuple(a.decode("ascii") for a in args)
        stanzas.append(Stanza(text_args[0], text_args[1:], bytes(body)))
