from __future__ import annotations

import pytest
from pydantic import ValidationError

from vault.settings import Settings


def test_environment_is_read_with_the_vault_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_PORT", "9123")
    monkeypatch.setenv("VAULT_RECOVERY_RECIPIENTS", '["age1abc"]')
    s = Settings()
    assert s.port == 9123
    assert s.recovery_recipients == ["age1abc"]


@pytest.mark.parametrize("secret", ["minioadmin", "changeme", ""])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(
            environment="production",
            store="s3",
            s3_access_key="real-user",
            s3_secret_key=secret,
            log_origin="vault.example.org/log",
        )


def test_production_requires_a_log_origin() -> None:
    with pytest.raises(ValidationError, match="LOG_ORIGIN"):
        Settings(environment="production")


def test_development_accepts_defaults() -> None:
    s = Settings(environment="development")
    assert s.resolved_database_url.startswith("sqlite:///")
