"""The running vault: settings plus the engine, object store and keys built from them.

Built by ``Vault.open(settings)`` (called by ``create_app`` and by CLI commands that work on a
data directory); nothing here exists at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from crypto.age import X25519Recipient
from crypto.signing import SigningKey
from storage.base import ObjectStore
from vault import db
from vault.auditlog import AuditTrail
from vault.keys import load_or_create_recovery, load_or_create_signing_key
from vault.settings import Settings


def make_store(settings: Settings) -> ObjectStore:
    if settings.store == "s3":
        from storage.s3 import S3Store

        store = S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            retention_days=settings.s3_retention_days,
        )
        store.ensure_bucket()
        return store
    from storage.filesystem import FilesystemStore

    return FilesystemStore(settings.data_dir / "store")


@dataclass
class Vault:
    settings: Settings
    engine: Engine
    store: ObjectStore
    signing_key: SigningKey
    recovery: list[X25519Recipient]
    trail: AuditTrail
    new_recovery_identity: Path | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: Settings) -> Vault:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(settings.resolved_database_url)
        db.create_schema(engine)
        recovery, new_identity = load_or_create_recovery(
            settings.data_dir, settings.recovery_recipients
        )
        signing_key = load_or_create_signing_key(settings.data_dir)
        return cls(
            settings=settings,
            engine=engine,
            store=make_store(settings),
            signing_key=signing_key,
            trail=AuditTrail(settings.log_origin, signing_key),
            recovery=recovery,
            new_recovery_identity=new_identity,
        )

    def close(self) -> None:
        self.engine.dispose()
