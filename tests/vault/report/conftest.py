"""Fixtures for the custody-report tests; the builders live in report_fixtures.py."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from report_fixtures import World, make_world

# WeasyPrint warns at import when libharfbuzz-subset0 is missing (a DeprecationWarning: it will
# become required).  Importing it here once, under that one filter, keeps the warning from
# failing whichever test happens to import it first; .ci/run installs the library anyway.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "HarfBuzz-Subset will be required", DeprecationWarning)
    import weasyprint  # noqa: F401


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
