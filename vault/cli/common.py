"""What every command shares: error lines, exit codes, the data-dir option.

Exit status (API.md): 0 success, 1 verification or decryption failure, 2 usage error,
3 server or network failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import click

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SERVER = 3


class CliError(click.ClickException):
    """Printed as ``vault: error: …`` (and ``vault: hint: …``), exit status ``status``."""

    def __init__(self, message: str, *, hint: str | None = None, status: int = EXIT_FAILURE):
        super().__init__(message)
        self.hint = hint
        self.exit_code = status  # type: ignore[misc]  # click reads it per instance

    def show(self, file: IO[Any] | None = None) -> None:
        out = file or sys.stderr
        print(f"vault: error: {self.message}", file=out)
        if self.hint:
            print(f"vault: hint: {self.hint}", file=out)


def data_dir_option(func: Any) -> Any:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        envvar="VAULT_DATA_DIR",
        help="Data directory (default: ./vault-data).",
    )(func)


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Any:
    from pydantic import ValidationError

    from vault.settings import Settings

    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"configuration: {first['msg']}", status=EXIT_USAGE) from exc
