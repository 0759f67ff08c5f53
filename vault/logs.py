"""structlog configuration: JSON lines with a request id, never content, keys or tokens.

Called once by ``create_app`` / the CLI.  Event names are dotted (``item.received``).
A last-line-of-defence processor drops any field whose name suggests a secret or personal
data, so a careless ``log.info(..., token=t)`` cannot leak it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_FORBIDDEN_FIELD_PARTS = (
    "token",
    "secret",
    "password",
    "passphrase",
    "identity",
    "private",
    "authorization",
    "filename",
    "content",
    "plaintext",
    "body",
    "seed",
)


def _drop_sensitive_fields(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for field in list(event_dict):
        lowered = field.lower()
        if any(part in lowered for part in _FORBIDDEN_FIELD_PARTS):
            event_dict[field] = "[redacted]"
    return event_dict


def configure_logging(*, json: bool = True, level: str = "info", stream: Any = None) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_sensitive_fields,
        structlog.processors.format_exc_info,
    ]
    processors.append(
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "vault") -> Any:
    return structlog.get_logger(name)
