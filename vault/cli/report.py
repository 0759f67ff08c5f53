"""``vault report``: chain-of-custody reports.

``vault report verify REPORT [--file ORIGINAL] [--log-key KEY]`` checks a report offline
(docs/custody-report.md).  The group is a :class:`ReportGroup`: setting its ``default_command``
lets ``vault report ITEM …`` run that command while ``vault report verify …`` still works.
"""

from __future__ import annotations

from pathlib import Path

import click

from vault.cli.common import EXIT_USAGE, CliError
from vault.i18n import message
from vault.report.errors import ReportVerificationError
from vault.report.verify import VerificationResult, verify_report


class ReportGroup(click.Group):
    """A group whose unknown first argument goes to ``default_command`` (when one is set)."""

    default_command: str | None = None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (
            self.default_command is not None
            and args
            and not args[0].startswith("-")
            and args[0] not in self.commands
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=ReportGroup)
def report_group() -> None:
    """Chain-of-custody reports: fetch one, or verify one offline."""


def _read_log_key(value: str) -> str:
    """KEY is a file holding the verifier key text, or the text itself."""
    path = Path(value)
    if path.is_file():
        try:
            lines = [ln.strip() for ln in path.read_text("utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read the log key file {value}", status=EXIT_USAGE) from exc
        if len(lines) != 1:
            raise CliError(f"{value}: expected one line, the log's verifier key", status=EXIT_USAGE)
        return lines[0]
    if "+" not in value:
        raise CliError(
            f"--log-key: {value} is neither a file nor a verifier key",
            hint="a verifier key looks like example.org/log+1a2b3c4d+AQ…",
            status=EXIT_USAGE,
        )
    return value


def _summary(result: VerificationResult, original: Path | None) -> list[str]:
    pinned = "pinned" if result.key_pinned else "NOT pinned: taken from the report itself"
    events = ", ".join(str(i) for i in result.event_indices)
    lines = [
        f"✓ report signature by the log key ({pinned})",
        f"  {result.log_key}",
        f"✓ checkpoint signed for {result.origin}: size {result.checkpoint_size}, "
        f"root {result.checkpoint_root}",
        f"✓ {len(result.event_indices)} audit entries in the checkpoint, about this item, "
        f"shown as recorded (indices {events})",
    ]
    if result.statement_verified:
        lines.append("✓ capture statement signed by the device and matching the item")
    else:
        lines.append("– no capture statement (server-sealed item)")
    if original is not None:
        lines.append(f"✓ {original.name}: SHA-256 matches the item")
    else:
        lines.append("– original file not checked (give it with --file)")
    lines.append(
        f"item {result.item_id} (case {result.case_id}), SHA-256 {result.plaintext_sha256}"
    )
    return lines


@report_group.command("verify")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--file",
    "original",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The original (decrypted) file, to check its SHA-256 against the report.",
)
@click.option(
    "--log-key",
    "log_key",
    metavar="KEY",
    help="The log's verifier key, obtained independently: a file holding it, or the text.",
)
@click.option(
    "--allow-unpinned-key",
    is_flag=True,
    help="Check against the key inside the report when no --log-key is given (weaker: only "
    "shows the report is self-consistent, not who made it).",
)
def verify(
    report: Path, original: Path | None, log_key: str | None, allow_unpinned_key: bool
) -> None:
    """Check a custody report (PDF or JSON) offline: signatures, proofs, original's hash."""
    key_text = _read_log_key(log_key) if log_key is not None else None
    try:
        data = report.read_bytes()
        if original is not None:
            with original.open("rb") as fh:
                result = verify_report(
                    data, log_key=key_text, original=fh, allow_unpinned=allow_unpinned_key
                )
        else:
            result = verify_report(data, log_key=key_text, allow_unpinned=allow_unpinned_key)
    except ReportVerificationError as exc:
        detail = f": {exc.detail}" if exc.detail else ""
        raise CliError(f"{exc.part}{detail}", hint=message(exc.code, "en")) from exc
    except OSError as exc:
        raise CliError(f"cannot read {exc.filename}: {exc.strerror}", status=EXIT_USAGE) from exc
    for line in _summary(result, original):
        click.echo(line)


def _register_get() -> None:
    # ``vault report ITEM …`` (API.md) runs ``get``; ``vault report verify …`` still works.
    from vault.cli.report_fetch import get

    report_group.add_command(get)
    report_group.default_command = "get"


_register_get()
