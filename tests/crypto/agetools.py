"""Locate the age commands for interop tests: skip locally when missing, fail in CI."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

IN_CI = os.environ.get("CI") == "true"


def require(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required when CI=true")
        pytest.skip(f"{name} is not installed")
    return path


@dataclass(frozen=True)
class AgeTools:
    age: str
    keygen: str
