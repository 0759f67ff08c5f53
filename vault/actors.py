"""Who is asking, and from where: passed to every service call and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    member_id: str | None
    role: str | None
    name: str | None = None

    @property
    def id(self) -> str:
        """The member id of an authenticated actor."""
        if self.member_id is None:
            raise ValueError("anonymous actor has no member id")
        return self.member_id

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(None, None, None)

    @classmethod
    def operator(cls) -> Actor:
        """The person at the server's console (CLI commands on the data directory)."""
        return cls("operator", "operator", "operator")


@dataclass(frozen=True)
class RequestInfo:
    request_id: str | None = None
    client: str | None = None
    user_agent: str | None = None

    @classmethod
    def cli(cls, command: str) -> RequestInfo:
        return cls(None, "cli", f"vault {command}")
