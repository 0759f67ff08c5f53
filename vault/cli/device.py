"""``vault device register``: the Ed25519 key this machine signs capture statements with.

The key file (default ``~/.config/vault/device.key``, mode 0600) is JSON::

    {"v": 1, "device_id": "…", "public_key": "<base64>", "secret_key": "VAULT-ED25519-SECRET-KEY-…",
     "vault_url": "https://…"}

The server learns only the public key; the device id it assigns goes into every statement.
Also here: the ``--url`` / ``--token`` options every networked command shares.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from crypto.errors import CryptoError
from crypto.signing import SigningKey
from vault.cli.common import EXIT_SERVER, EXIT_USAGE, CliError
from vault.client import DEFAULT_URL, ApiError, ClientError, VaultClient, language_from_env


def default_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vault"


def default_device_key() -> Path:
    return default_config_dir() / "device.key"


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--url`` (``VAULT_URL``) and ``--token`` (``VAULT_TOKEN``)."""
    func = click.option(
        "--token",
        envvar="VAULT_TOKEN",
        default=None,
        help="Bearer token (default: $VAULT_TOKEN).",
    )(func)
    return click.option(
        "--url",
        envvar="VAULT_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="The vault's address (default: $VAULT_URL).",
    )(func)


def open_client(url: str, token: str | None) -> VaultClient:
    if not token:
        raise CliError(
            "no token",
            hint="set VAULT_TOKEN or pass --token (from vault admin user create)",
            status=EXIT_USAGE,
        )
    return VaultClient(url, token, language=language_from_env(os.environ))


def server_failure(exc: ClientError) -> CliError:
    """A refusal or an outage, for exit status 3; the server's message is already in the
    user's language."""
    if isinstance(exc, ApiError):
        return CliError(f"the vault refused: {exc.message} ({exc.code})", status=EXIT_SERVER)
    return CliError(f"cannot reach the vault: {exc}", status=EXIT_SERVER)


def device_key_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--device-key",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="VAULT_DEVICE_KEY",
        default=None,
        help="Device key file (default: ~/.config/vault/device.key).",
    )(func)


@dataclass(frozen=True)
class DeviceKey:
    device_id: str
    key: SigningKey


def load_device_key(path: Path) -> DeviceKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DeviceKey(str(data["device_id"]), SigningKey.from_text(data["secret_key"]))
    except FileNotFoundError as exc:
        raise CliError(
            f"no device key at {path}",
            hint="run `vault device register` once on this machine",
            status=EXIT_USAGE,
        ) from exc
    except (OSError, ValueError, KeyError, TypeError, CryptoError) as exc:
        # Never echo the file: it holds a secret key.
        raise CliError(f"{path}: not a vault device key file", status=EXIT_USAGE) from exc


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


@click.group()
def device() -> None:
    """This machine's device key (signs capture statements)."""


@device.command("register")
@device_key_option
@click.option("--label", default="", help="A label for the device (no personal data).")
@connection_options
def register(device_key: Path | None, label: str, url: str, token: str | None) -> None:
    """Create a device key and register its public half with the vault.

    Does nothing if the key file already exists."""
    path = device_key or default_device_key()
    if path.exists():
        existing = load_device_key(path)
        click.echo(f"vault: device {existing.device_id} already registered ({path})", err=True)
        return
    key = SigningKey.generate()
    with open_client(url, token) as client:
        try:
            answer = client.register_device(key.public_key.to_base64(), label)
        except ClientError as exc:
            raise server_failure(exc) from exc
    record = {
        "v": 1,
        "device_id": answer["id"],
        "public_key": key.public_key.to_base64(),
        "secret_key": key.to_text_unsafe(),
        "vault_url": url,
    }
    try:
        _write_private(path, json.dumps(record, indent=2) + "\n")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}", status=EXIT_USAGE) from exc
    click.echo(f"vault: device {answer['id']} registered; key in {path}", err=True)
