"""Errors raised by crypto/.

Every error has a stable ``code`` (a key of the vault's French/English message catalogue)
and optional structured ``fields`` for the message.  The age classes mirror the outcome
classes of the C2SP age test kit, one class per ``expect:`` value::

    CryptoError                      crypto.error
    ├── AgeError                     age.error
    │   ├── HeaderError              age.header        "header failure"
    │   ├── HeaderMacError           age.header_mac    "HMAC failure"
    │   ├── NoIdentityMatchError     age.no_match      "no match"
    │   ├── PayloadError             age.payload       "payload failure"
    │   └── ArmorError               age.armor         "armor failure"
    ├── KeyFormatError               crypto.key_format  (bad age1…/AGE-SECRET-KEY-1…/Ed25519 key text)
    └── SignatureError               crypto.signature   (an Ed25519 signature did not verify)
"""

from __future__ import annotations

from typing import Any


class CryptoError(Exception):
    code = "crypto.error"

    def __init__(self, detail: str = "", **fields: Any) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields
