"""EXIF from the head of an image, read by exifread in a child process with time and memory
limits: a hostile file can crash or stall the parser, never the vault.  Any failure is
recorded as "metadata unavailable" and never rejects the upload.

The result goes only into the sealed metadata blob (GPS included), never into a plaintext
column or a log line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

TIMEOUT_S = 10
MEMORY_LIMIT = 512 * 1024 * 1024
CPU_LIMIT_S = 5
IMAGE_MAGIC = (b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"\x89PNG", b"RIFF")


def looks_like_image(media_type: str, head: bytes) -> bool:
    return media_type.startswith("image/") or head.startswith(IMAGE_MAGIC)


def _limit_child() -> None:  # runs in the child between fork and exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))


def read_exif(head: bytes) -> dict[str, Any]:
    """``{"tags": {...}}`` or ``{"unavailable": reason}``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-m", "vault.intake.exif"],
            input=head,
            capture_output=True,
            timeout=TIMEOUT_S,
            preexec_fn=_limit_child,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"unavailable": type(exc).__name__}
    if proc.returncode != 0:
        return {"unavailable": f"exit {proc.returncode}"}
    try:
        tags = json.loads(proc.stdout)
    except ValueError:
        return {"unavailable": "unreadable output"}
    if not isinstance(tags, dict):
        return {"unavailable": "unreadable output"}
    # exifread answers {} for anything it cannot parse (garbage, truncated or hostile
    # files); say so rather than record an empty tag set as if the image had none.
    return {"tags": tags} if tags else {"unavailable": "no EXIF found"}


def _child_main() -> None:
    import io
    import logging

    import exifread

    logging.disable(logging.CRITICAL)  # exifread warns on stderr about odd files
    data = sys.stdin.buffer.read()
    tags = exifread.process_file(io.BytesIO(data), details=False)
    out = {k: str(v) for k, v in tags.items() if not k.startswith("JPEGThumbnail")}
    sys.stdout.write(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    _child_main()
