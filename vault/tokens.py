"""Bearer tokens: 256 random bits, stored only as SHA-256, compared in constant time.

Text form: ``vault_<token id>_<secret>`` where the id (80 bits, base32) locates the row and the
secret (256 bits, base64url) is what the hash protects.  Looking the row up by id and then
comparing digests with ``hmac.compare_digest`` keeps the comparison constant-time; a missing
row is compared against a dummy digest so the timing does not say whether the id exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "vault_"
_DUMMY_DIGEST = hashlib.sha256(b"no such token").hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    secret_sha256: str
    text: str  # shown once to the member, never stored

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"IssuedToken(token_id={self.token_id!r})"


def issue() -> IssuedToken:
    token_id = base64.b32encode(secrets.token_bytes(10)).decode().rstrip("=").lower()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return IssuedToken(token_id, _digest(secret), f"{PREFIX}{token_id}_{secret}")


def parse(text: str) -> tuple[str, str] | None:
    """Split a token into (id, secret); None when it is not of our form."""
    if not text.startswith(PREFIX):
        return None
    token_id, sep, secret = text[len(PREFIX) :].partition("_")
    if not sep or len(token_id) != 16 or len(secret) != 43:
        return None
    return token_id, secret


def matches(secret: str, stored_sha256: str | None) -> bool:
    expected = stored_sha256 if stored_sha256 is not None else _DUMMY_DIGEST
    return hmac.compare_digest(_digest(secret), expected) and stored_sha256 is not None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
