"""Incremental ``multipart/form-data`` parsing: the ``file`` part is streamed straight into the
sealing pipeline, never spooled to disk or memory (FastAPI's ``UploadFile`` spools the whole
upload first).  A ``notes`` part (at most 64 KiB) goes into the sealed metadata; other parts
are ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import Request

from vault.errors import BadRequest
from vault.services.intake import Upload

MAX_PART_HEADERS = 16 * 1024
MAX_NOTES = 64 * 1024


async def file_part(request: Request, upload: Upload) -> AsyncIterator[bytes]:
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequest("upload.multipart_malformed")
    state: dict[str, Any] = {
        "headers": {},
        "field": b"",
        "value": b"",
        "in_file": False,
        "seen_file": False,
        "header_bytes": 0,
        "in_notes": False,
    }
    out: list[bytes] = []
    notes = bytearray()

    def on_part_begin() -> None:
        state["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]
        state["header_bytes"] += end - start

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]
        state["header_bytes"] += end - start

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"] = state["value"] = b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        is_file = opts.get(b"name") == b"file" and not state["seen_file"]
        state["in_file"] = is_file
        state["in_notes"] = opts.get(b"name") == b"notes" and not is_file
        if is_file:
            state["seen_file"] = True
            name = opts.get(b"filename")
            upload.filename = name.decode("utf-8", "replace")[:255] if name else None
            part_type = state["headers"].get(b"content-type", b"").decode("latin-1").strip()
            if part_type:
                upload.media_type = part_type[:255]

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_file"]:
            out.append(bytes(data[start:end]))
        elif state["in_notes"]:
            notes.extend(data[start:end])
            if len(notes) > MAX_NOTES:
                raise BadRequest("upload.notes_too_long", limit=MAX_NOTES)

    def on_part_end() -> None:
        if state["in_notes"]:
            # Notes are personal data: they go only into the sealed metadata blob.
            upload.notes = notes.decode("utf-8", "replace")
        state["in_file"] = state["in_notes"] = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    async for chunk in request.stream():
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            raise BadRequest("upload.multipart_malformed") from exc
        if state["header_bytes"] > MAX_PART_HEADERS:
            raise BadRequest("upload.multipart_malformed")
        for piece in out:
            yield piece
        out.clear()
    try:
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest("upload.multipart_malformed") from exc
    # python-multipart's finalize() does not check that the closing boundary arrived, so a
    # body cut short would otherwise be stored as a complete (truncated) file.
    if parser.state != MultipartState.END:
        raise BadRequest("upload.multipart_malformed")
    if not state["seen_file"]:
        raise BadRequest("upload.multipart_no_file")
