"""UTC time, in one place: the only clock the services read, and one text form for it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything the vault writes is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_text(value: datetime) -> str:
    """RFC 3339 with microseconds and ``Z``, e.g. ``2026-11-23T15:52:04.123456Z``."""
    return aware(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
