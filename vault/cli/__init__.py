"""The ``vault`` command line, split by command group (one module each)."""

from __future__ import annotations

import click

from vault.cli.admin import admin
from vault.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidence-vault", prog_name="vault")
def cli() -> None:
    """Evidence vault: seal, store, audit and verify evidence of human-rights violations."""


cli.add_command(serve)
cli.add_command(admin)


def main() -> None:
    cli(prog_name="vault")
