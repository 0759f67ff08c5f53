"""``vault serve``: run the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vault.cli.common import data_dir_option, load_settings

if TYPE_CHECKING:
    from vault.context import Vault


def _bootstrap_admin(vault: Vault) -> str | None:
    """On a vault with no admin, create one and return its token (printed once)."""
    from sqlmodel import select

    from vault.actors import Actor, RequestInfo
    from vault.db import session_scope
    from vault.models import Member
    from vault.services.members import create_member

    with session_scope(vault.engine) as session:
        if session.exec(select(Member).where(Member.role == "admin")).first() is not None:
            return None
        member, issued = create_member(
            session,
            name="admin",
            role="admin",
            recipient=None,
            token_ttl_days=vault.settings.token_ttl_days,
        )
        vault.trail.record(
            session,
            actor=Actor.operator(),
            action="member.create",
            request=RequestInfo.cli("serve"),
            details={"member": member.id, "role": "admin", "bootstrap": True},
        )
        return issued.text


@click.command()
@data_dir_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
def serve(data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Run the API (SQLite + filesystem store in ./vault-data unless configured)."""
    import uvicorn

    from api.app import create_app
    from vault.context import Vault

    settings = load_settings(data_dir, host=host, port=port)
    vault = Vault.open(settings)
    if vault.new_recovery_identity is not None:
        click.secho(
            "\n  NEW ORGANISATION RECOVERY IDENTITY written to\n"
            f"    {vault.new_recovery_identity.resolve()}\n"
            "  Every item is also encrypted to it. MOVE THIS FILE OFFLINE NOW and delete it\n"
            "  from this machine: whoever holds it can read all evidence.\n",
            fg="yellow",
            err=True,
            bold=True,
        )
    token = _bootstrap_admin(vault)
    if token:
        click.secho(f"\n  Bootstrap admin token (shown once): {token}\n", fg="green", err=True)
    # The intake pipeline hashes and encrypts on worker threads; hashlib and PyNaCl release
    # the GIL on large buffers, and a 1 ms switch interval (default 5 ms) hands it back to
    # them sooner. Measured in bench/intake_bench.py: up to 1.5x with legacy digests on.
    sys.setswitchinterval(0.001)
    app = create_app(settings, vault=vault)
    click.echo(f"vault: serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    vault.close()
