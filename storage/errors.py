"""Errors raised by storage/.

    StorageError                     storage.error         (the store failed: callers answer 503)
    └── (subclasses are added by the modules that raise them; each has a stable ``code``)
"""

from __future__ import annotations

from typing import Any


class StorageError(Exception):
    code = "storage.error"

    def __init__(self, detail: str = "", **fields: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields
