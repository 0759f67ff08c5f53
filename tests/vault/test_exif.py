"""EXIF from the head of an image, read in a limited child process."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time

import pytest
from PIL import ExifTags, Image

from vault.intake import exif


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (16, 16), (200, 10, 10))
    tags = Image.Exif()
    tags[ExifTags.Base.Make] = "TestCam"
    tags[ExifTags.Base.DateTime] = "2026:03:01 10:00:00"
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (14.0, 29.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 11.0, 50.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=tags)
    return out.getvalue()


def test_a_jpeg_with_gps_gives_its_tags() -> None:
    data = jpeg_with_gps()
    assert exif.looks_like_image("application/octet-stream", data)
    result = exif.read_exif(data)
    tags = result["tags"]
    assert tags["Image Make"] == "TestCam"
    assert tags["Image DateTime"] == "2026:03:01 10:00:00"
    assert tags["GPS GPSLatitudeRef"] == "N"
    assert tags["GPS GPSLatitude"] == "[14, 29, 30]"
    assert tags["GPS GPSLongitudeRef"] == "W"
    assert tags["GPS GPSLongitude"] == "[4, 11, 50]"


def test_only_the_head_is_needed() -> None:
    data = jpeg_with_gps() + b"\x00" * 1_000_000
    assert exif.read_exif(data[: 256 * 1024])["tags"]["GPS GPSLatitudeRef"] == "N"


GARBAGE = {
    "empty": b"",
    "text": b"not an image at all" * 100,
    "jpeg magic then garbage": b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + b"\xff" * 100,
    "tiff header, IFD far away": b"II*\x00" + struct.pack("<I", 0xFFFFFF00) + b"\x00" * 64,
    "truncated jpeg": jpeg_with_gps()[:40],
    "random": bytes(range(256)) * 64,
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_gives_unavailable_and_never_raises(name: str) -> None:
    result = exif.read_exif(GARBAGE[name])
    assert set(result) == {"unavailable"}, result
    assert isinstance(result["unavailable"], str)


def test_a_hostile_head_is_bounded_in_time() -> None:
    """A TIFF whose IFDs point at themselves, 64 K entries each, 16 MiB long."""
    entry = struct.pack("<HHII", 0x8769, 4, 1, 8)  # ExifOffset -> the same IFD again
    head = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0xFFFF) + entry * (2 << 20)
    started = time.monotonic()
    result = exif.read_exif(head)
    assert time.monotonic() - started < exif.TIMEOUT_S + 2
    assert isinstance(result, dict) and set(result) <= {"tags", "unavailable"}


def test_the_child_cannot_allocate_past_the_memory_limit() -> None:
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"x = bytearray({exif.MEMORY_LIMIT * 2})"],
        capture_output=True,
        preexec_fn=exif._limit_child,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0
    assert b"MemoryError" in proc.stderr


@pytest.mark.slow
def test_the_child_is_stopped_by_the_cpu_limit() -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-I", "-c", "while True: pass"],
        capture_output=True,
        preexec_fn=exif._limit_child,
        timeout=exif.CPU_LIMIT_S * 4,
        check=False,
    )
    assert proc.returncode < 0  # killed by SIGXCPU / SIGKILL
    assert time.monotonic() - started < exif.CPU_LIMIT_S * 3
