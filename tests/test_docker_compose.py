"""Docker cannot run on this machine, so the compose file is checked for what it promises:
the three services, pinned images, health checks, volumes, and an Object Lock bucket."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_their_health_checks() -> None:
    services = load()["services"]
    assert {"api", "minio", "postgres", "minio-init"} <= set(services)
    for name in ("api", "minio", "postgres"):
        assert "healthcheck" in services[name], name
        assert services[name].get("volumes"), name


def test_images_are_pinned() -> None:
    for name, service in load()["services"].items():
        image = service.get("image", "")
        if "build" in service:
            continue
        assert ":" in image and not image.endswith(":latest"), name


def test_api_is_configured_for_postgres_and_s3_in_production() -> None:
    api = load()["services"]["api"]
    env = api["environment"]
    assert env["VAULT_ENVIRONMENT"] == "production"
    assert env["VAULT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["VAULT_STORE"] == "s3"
    assert env["VAULT_S3_ENDPOINT"] == "minio:9000"
    assert "8000:8000" in api["ports"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    # Secrets come from the operator's .env, never from the file itself.
    for key in ("VAULT_S3_ACCESS_KEY", "VAULT_S3_SECRET_KEY", "VAULT_DATABASE_URL"):
        assert "${" in env[key], key


def test_bucket_is_created_with_object_lock_versioning_and_retention() -> None:
    script = " ".join(load()["services"]["minio-init"]["command"])
    assert "mc mb --with-lock" in script
    assert "mc version enable" in script
    assert "retention set --default COMPLIANCE" in script


def test_every_compose_variable_is_documented_in_env_example() -> None:
    import re

    # ${VAR} is read by compose from .env; $${VAR} is escaped for the container shell.
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert used <= documented, used - documented
