"""Settings: the only module that reads the environment (``VAULT_`` prefix).

Every other module receives a :class:`Settings` instance; nothing is configured at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that appear in examples and compose files.  Outside development they are refused,
# because a vault started with a published password protects nothing.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "minioadmin", "password", "secret", "vault", "postgres"}
)

GiB = 1024**3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VAULT_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("vault-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir/vault.db"
    )
    host: str = "127.0.0.1"
    port: int = 8000

    # Object store.
    store: Literal["filesystem", "s3"] = "filesystem"
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "evidence"
    s3_secure: bool = True
    s3_region: str | None = None
    s3_retention_days: int | None = Field(default=None, ge=1)

    # The audit log's origin line (C2SP tlog-checkpoint) and signing key name.
    log_origin: str = "evidence-vault.local/log"

    # Organisation recovery recipients (age1…).  Empty: generated on first run.
    recovery_recipients: list[str] = Field(default_factory=list)

    max_upload_bytes: int = Field(default=16 * GiB, ge=1)
    token_ttl_days: int = Field(default=90, ge=1)
    # Failed authentications allowed per client address per window before 429.
    auth_failures_per_window: int = Field(default=20, ge=1)
    auth_failure_window_seconds: int = Field(default=300, ge=1)
    log_json: bool = True
    log_level: str = "info"
    # Digests for forensic tools that still print them; they cost more than SHA-256 + cipher.
    legacy_digests: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vault.db').resolve()}"

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.environment == "production" and self.store == "s3":
            for name in ("s3_access_key", "s3_secret_key"):
                if getattr(self, name).strip().lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(
                        f"VAULT_{name.upper()} is a placeholder; set a real secret in production"
                    )
        if self.environment == "production" and self.log_origin == "evidence-vault.local/log":
            raise ValueError("VAULT_LOG_ORIGIN must name this vault's log in production")
        return self
