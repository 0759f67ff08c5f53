"""The ``vault`` command line, split by command group (one module each).

Command modules are imported only when their command runs: ``vault decrypt`` must not pay
for importing FastAPI and the database layer (measured: 1.2 s of start-up per command).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

# name -> (module:attribute, one-line help shown by ``vault --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("vault.cli.serve:serve", "Run the API (SQLite + files in ./vault-data by default)."),
    "admin": ("vault.cli.admin:admin", "Operator commands on the data directory (members)."),
    "doctor": ("vault.cli.doctor:doctor", "Find orphan objects and check stored items."),
    "keygen": ("vault.cli.age:keygen", "Write an age X25519 identity; print its recipient."),
    "encrypt": ("vault.cli.age:encrypt", "Encrypt to age recipients (age v1, like the age tool)."),
    "decrypt": ("vault.cli.age:decrypt", "Decrypt any age file with identity files."),
    "upload": ("vault.cli.upload:upload", "Seal and upload files to a case (resumable)."),
    "fetch": ("vault.cli.fetch:fetch", "Download, decrypt and check an item."),
    "report": ("vault.cli.report:report_group", "Get a custody report, or verify one offline."),
    "audit": ("vault.cli.audit:audit", "Export, verify and witness the audit log."),
    "device": ("vault.cli.device:device", "Register this device's signing key."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def _available(self) -> list[str]:
        found = []
        for name, (target, _) in COMMANDS.items():
            module = target.split(":")[0]
            if importlib.util.find_spec(module) is not None:
                found.append(name)
        return found

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in COMMANDS:
            return command
        module, attr = COMMANDS[name][0].split(":")
        if importlib.util.find_spec(module) is None:
            return None
        loaded: click.Command = getattr(importlib.import_module(module), attr)
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name in COMMANDS]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evidence-vault", prog_name="vault")
def cli() -> None:
    """Evidence vault: seal, store, audit and verify evidence of human-rights violations.

    Exit status: 0 success, 1 verification or decryption failure, 2 usage error,
    3 server or network failure.
    """


def main() -> None:
    """Entry point: click's own usage errors are printed as ``vault: error:`` lines too."""
    try:
        cli.main(prog_name="vault", standalone_mode=False)
    except click.UsageError as exc:
        print(f"vault: error: {exc.format_message()}", file=sys.stderr)
        command = exc.ctx.command_path if exc.ctx else "vault"
        print(f"vault: hint: see '{command} --help'", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        print("vault: error: interrupted", file=sys.stderr)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
