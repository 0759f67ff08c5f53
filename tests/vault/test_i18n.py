"""Every stable code the code base can answer with has a French and an English message."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from vault import i18n

ROOT = Path(__file__).resolve().parents[2]
CODE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_0-9]*)+$")
ERROR_CALLS = {
    "BadRequest",
    "Unauthenticated",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "Unprocessable",
    "Unavailable",
    "VaultError",
}


def declared_codes() -> set[str]:
    """``code = "…"`` class attributes in every package, and literal codes passed to the
    vault's error classes."""
    codes: set[str] = set()
    for package in ("vault", "api", "crypto", "audit", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "code"
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                ):
                    codes.add(node.value.value)
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ERROR_CALLS
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and CODE_RE.match(node.args[0].value)
                ):
                    codes.add(node.args[0].value)
    return codes


def test_both_catalogues_have_the_same_codes() -> None:
    assert set(i18n.catalogue("en")) == set(i18n.catalogue("fr"))


@pytest.mark.parametrize("code", sorted(declared_codes()))
def test_every_declared_code_has_both_messages(code: str) -> None:
    for lang in i18n.LANGUAGES:
        assert code in i18n.catalogue(lang), f"{code} has no {lang} message"


@pytest.mark.parametrize("code", sorted(i18n.catalogue("en")))
def test_placeholders_agree_between_languages(code: str) -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    assert fields(i18n.catalogue("en")[code]) == fields(i18n.catalogue("fr")[code])


def test_negotiation() -> None:
    assert i18n.negotiate("fr-ML,fr;q=0.9,en;q=0.5") == "fr"
    assert i18n.negotiate("en-GB,fr;q=0.5") == "en"
    assert i18n.negotiate("bm, fr;q=0.8") == "fr"  # Bambara speakers who read French
    assert i18n.negotiate(None) == "en"
    assert i18n.negotiate("de") == "en"
    assert i18n.message("no.such.code", "fr") == "no.such.code"
