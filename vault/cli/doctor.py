"""``vault doctor``: find orphan objects and check stored items against their records."""

from __future__ import annotations

from pathlib import Path

import click

from vault.cli.common import EXIT_FAILURE, data_dir_option, load_settings


@click.command()
@data_dir_option
@click.option("--rehash", is_flag=True, help="Re-read every object and recompute its SHA-256.")
def doctor(data_dir: Path | None, rehash: bool) -> None:
    """Quarantine orphan objects (stored, never recorded) and check every item's object.

    Exit 0 when every item's object is present and matches its digest, 1 otherwise.
    Every finding is written to the audit log.
    """
    from vault.context import Vault
    from vault.services.doctor import examine

    vault = Vault.open(load_settings(data_dir))
    try:
        report = examine(vault, rehash=rehash)
    finally:
        vault.close()
    click.echo(f"items checked: {report.checked_items}")
    for key in report.quarantined:
        click.echo(f"quarantined orphan object: {key}")
    for item in report.missing:
        click.echo(f"MISSING object for item {item}", err=True)
    for item in report.corrupted:
        click.echo(f"CORRUPTED object for item {item} (digest mismatch)", err=True)
    if not report.healthy:
        raise SystemExit(EXIT_FAILURE)
