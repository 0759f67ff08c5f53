"""``vault admin``: operator commands that work on the data directory directly, so a fresh
install can be bootstrapped without the API."""

from __future__ import annotations

import json
from pathlib import Path

import click

from vault.actors import Actor, RequestInfo
from vault.cli.common import EXIT_USAGE, CliError, data_dir_option, load_settings
from vault.models import ROLES


@click.group()
def admin() -> None:
    """Operator commands on the data directory (members, tokens)."""


@admin.group()
def user() -> None:
    """Members of the vault."""


@user.command("create")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The member's role.")
@click.option("--recipient", default=None, help="The member's age recipient (age1…).")
@click.option("--json", "as_json", is_flag=True, help='Print {"id": …, "token": …} only.')
@data_dir_option
def create(
    name: str, role: str, recipient: str | None, as_json: bool, data_dir: Path | None
) -> None:
    """Create a member and print their bearer token (shown once, stored hashed)."""
    from vault.context import Vault
    from vault.db import session_scope
    from vault.errors import VaultError
    from vault.i18n import message
    from vault.services.members import create_member

    vault = Vault.open(load_settings(data_dir))
    try:
        with session_scope(vault.engine) as session:
            member, issued = create_member(
                session,
                name=name,
                role=role,
                recipient=recipient,
                token_ttl_days=vault.settings.token_ttl_days,
            )
            vault.trail.record(
                session,
                actor=Actor.operator(),
                action="member.create",
                request=RequestInfo.cli("admin user create"),
                details={"member": member.id, "role": role},
            )
    except VaultError as exc:
        raise CliError(message(exc.code, **exc.fields), status=EXIT_USAGE) from exc
    finally:
        vault.close()
    if as_json:
        click.echo(json.dumps({"id": member.id, "token": issued.text}))
    else:
        click.echo(f"member {member.id} ({role}) created")
        click.echo(f"token (shown once, keep it safe): {issued.text}")
