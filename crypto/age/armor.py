"""ASCII armor for age files (spec §"ASCII armor"): strict PEM, RFC 7468 §3.

``-----BEGIN AGE ENCRYPTED FILE-----``, padded canonical standard base64 in lines of
exactly 64 columns (the last one 1–64), ``-----END AGE ENCRYPTED FILE-----``.  Lines end
in LF or CRLF; the END line may lack its newline.  Only whitespace (SP, TAB, CR, LF) may
come before BEGIN or after END.  No headers, blank lines, spaces or checksum lines.

Both directions are push-style so that armored files stream in bounded memory.
"""

from __future__ import annotations

import base64
import binascii

from crypto.errors import ArmorError

BEGIN_LINE = b"-----BEGIN AGE ENCRYPTED FILE-----"
END_LINE = b"-----END AGE ENCRYPTED FILE-----"
COLUMNS_PER_LINE = 64
BYTES_PER_LINE = COLUMNS_PER_LINE // 4 * 3
WHITESPACE = b" \t\r\n"
_FULL_RECORD = COLUMNS_PER_LINE + 1  # 64 columns and LF


def is_armored(prefix: bytes | bytearray) -> bool:
    """Sniff: does this start of a file (leading whitespace allowed) begin an armor block?"""
    return bytes(prefix).lstrip(WHITESPACE).startswith(BEGIN_LINE)


class ArmorEncoder:
    """Wraps bytes into armor; ``finalize()`` closes the last line and writes END."""

    def __init__(self) -> None:
        self._pending = bytearray()  # < 48 bytes not yet forming a full line
        self._started = False
        self._last_line_full = True

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        out = bytearray()
        if not self._started:
            out += BEGIN_LINE + b"\n"
            self._started = True
        self._pending += data
        whole = len(self._pending) // BYTES_PER_LINE * BYTES_PER_LINE
        if whole:
            text = base64.b64encode(self._pending[:whole])
            for i in range(0, len(text), COLUMNS_PER_LINE):
                out += text[i : i + COLUMNS_PER_LINE]
                out += b"\n"
            del self._pending[:whole]
        return bytes(out)

    def finalize(self) -> bytes:
        out = bytearray(self.update(b""))
        if self._pending:
            out += base64.b64encode(self._pending) + b"\n"
            self._pending.clear()
        return bytes(out + END_LINE + b"\n")


class ArmorDecoder:
    """Unwraps armor pushed in pieces of any size; raises :class:`ArmorError`."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = "begin"  # begin -> body -> end
        self._last_line_seen = False  # a short (or padded) line: END must come next

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        self._buf += data
        return self._process(at_eof=False)

    def finalize(self) -> bytes:
        out = self._process(at_eof=True)
        if self._state != "end":
            raise ArmorError("armor has no END line")
        return out

    def _process(self, *, at_eof: bool) -> bytes:
        if self._state == "begin" and not self._read_begin(at_eof):
            return b""
        out = bytearray()
        if self._state == "body":
            self._read_body(out, at_eof)
        if self._state == "end":
            if self._buf.strip(WHITESPACE):
                raise ArmorError("data after the END line")
            self._buf.clear()
        return bytes(out)

    def _read_begin(self, at_eof: bool) -> bool:
        start = len(self._buf) - len(self._buf.lstrip(WHITESPACE))
        del self._buf[:start]  # Whitespace before BEGIN is allowed and dropped.
        end = self._buf.find(b"\n")
        if end < 0:
            if at_eof or not BEGIN_LINE.startswith(self._buf[: len(BEGIN_LINE)]):
                raise ArmorError("armor does not start with the BEGIN line")
            return False
        if _strip_eol(self._buf[:end]) != BEGIN_LINE:
            raise ArmorError("armor does not start with the BEGIN line")
        del self._buf[: end + 1]
        self._state = "body"
        return True

    def _read_body(self, out: bytearray, at_eof: bool) -> None:
        self._decode_full_lines_fast(out)
        pos = 0
        while self._state == "body":
            end = self._buf.find(b"\n", pos)
            if end < 0:
                if not at_eof:
                    if len(self._buf) - pos > COLUMNS_PER_LINE + 1:
                        raise ArmorError("armor line too long")
                    break
                if pos == len(self._buf):
                    raise ArmorError("armor has no END line")
                end = len(self._buf)  # The END line may lack its newline.
            line = _strip_eol(self._buf[pos:end])
            pos = end + 1
            if line == END_LINE:
                # An armor with no line at all is valid armor; the header parser rejects it.
                self._state = "end"
                break
            if self._last_line_seen:
                raise ArmorError("armor line after the last base64 line")
            if not line or len(line) > COLUMNS_PER_LINE:
                raise ArmorError("armor line has the wrong length")
            out += _decode_line(line)
            if len(line) < COLUMNS_PER_LINE or line.endswith(b"="):
                self._last_line_seen = True
        del self._buf[: min(pos, len(self._buf))]

    def _decode_full_lines_fast(self, out: bytearray) -> None:
        """Decode a run of LF-terminated 64-column lines at once (the common case)."""
        if self._last_line_seen:
            return
        records = self._buf.rfind(b"\n") + 1
        records = records // _FULL_RECORD
        # Keep the last record for the slow path: it may be padded (a last line).
        records -= 1
        if records <= 0:
            return
        region = self._buf[: records * _FULL_RECORD]
        if (
            region[COLUMNS_PER_LINE::_FULL_RECORD] != b"\n" * records
            or region.count(b"\n") != records
            or b"\r" in region
            or b"=" in region
            or b"-" in region
        ):
            return  # Let the line-by-line path report the exact problem.
        try:
            out += base64.b64decode(region.replace(b"\n", b""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ArmorError("invalid base64 in armor") from exc
        del self._buf[: records * _FULL_RECORD]


def _strip_eol(line: bytes | bytearray) -> bytes:
    return bytes(line[:-1] if line.endswith(b"\r") else line)


def _decode_line(line: bytes) -> bytes:
    try:
        data = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ArmorError("invalid base64 in armor") from exc
    if base64.b64encode(data) != line:
        raise ArmorError("non-canonical base64 in armor")
    return data
