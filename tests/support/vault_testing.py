"""Plain helpers for the vault and API tests (no fixtures), importable from any test
folder: ``from vault_testing import TestMember, log_size, require_tool``.  (``from conftest
import`` is ambiguous when several test folders have a conftest.py.)"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

from vault.context import Vault
from vault.db import session_scope

IN_CI = os.environ.get("CI") == "true"


def require_tool(name: str) -> str:
    """The path of an external tool; skip when missing locally, fail when missing in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required when CI=true (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path


@dataclass
class TestMember:
    __test__ = False  # a fixture value, not a test class

    id: str
    role: str
    token: str
    recipient: str | None = None
    identity: object | None = None  # crypto.age.X25519Identity when given one

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def log_size(vault: Vault) -> int:
    with session_scope(vault.engine) as session:
        return vault.trail.log(session).size()
