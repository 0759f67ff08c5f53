from __future__ import annotations

import pytest
from agetools import AgeTools, require


@pytest.fixture
def age_tools() -> AgeTools:
    return AgeTools(require("age"), require("age-keygen"))
