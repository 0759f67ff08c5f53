"""Fixtures for the custody-report tests; the builders live in report_fixtures.py.

This directory is a package (``__init__.py``) so that this file is imported as
``report.conftest`` and does not shadow the top-level ``conftest`` that other test modules
import by name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from .report_fixtures import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def envelope(world: World) -> dict[str, Any]:
    return world.sign(world.report())


@pytest.fixture
def resign(world: World) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Re-sign an edited report with the real log key: the server itself lying."""

    def _resign(envelope: dict[str, Any]) -> dict[str, Any]:
        return world.sign(copy.deepcopy(envelope["report"]))

    return _resign
