"""``vault audit export``: the whole log as JSON lines, plus the checkpoint that covers it and
the log's verifier key, ready for ``vault audit verify`` (or an auditor's own tools).

Two sources: the vault's HTTP API (``--url``/``--token`` or ``VAULT_URL``/``VAULT_TOKEN``,
for auditors), or the data directory itself (``--data-dir``, for the operator).  Either way
the checkpoint is taken first and exactly the entries it covers are written, so the three
files always agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click

from vault.cli.common import EXIT_SERVER, EXIT_USAGE, CliError

PAGE = 1000


def _from_data_dir(data_dir: Path) -> tuple[str, str, Iterator[bytes]]:
    from vault.cli.common import load_settings
    from vault.context import Vault
    from vault.db import session_scope
    from vault.services import log as log_service

    vault = Vault.open(load_settings(data_dir))

    def lines() -> Iterator[bytes]:
        try:
            with session_scope(vault.engine) as session:
                yield from log_service.export(session, vault.trail)[1]
        finally:
            vault.close()

    with session_scope(vault.engine) as session:
        note = vault.trail.latest_checkpoint(session)
    return note, vault.trail.verifier_key.to_text(), lines()


def _from_api(url: str, token: str) -> tuple[str, str, Iterator[bytes]]:
    import httpx

    from audit.checkpoint import Checkpoint
    from audit.note import Note

    client = httpx.Client(
        base_url=url.rstrip("/"), timeout=60, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        key = client.get("/v1/log/key")
        key.raise_for_status()
        note = client.get("/v1/log/checkpoint")
        note.raise_for_status()
    except httpx.HTTPError as exc:
        client.close()
        raise CliError(f"cannot read the log from {url}: {exc}", status=EXIT_SERVER) from exc
    size = Checkpoint.parse(Note.parse(note.text).text).size

    def lines() -> Iterator[bytes]:
        try:
            for start in range(0, size, PAGE):
                r = client.get(
                    "/v1/log/entries", params={"start": start, "end": min(size, start + PAGE)}
                )
                r.raise_for_status()
                yield from (line + b"\n" for line in r.content.splitlines())
        except httpx.HTTPError as exc:
            raise CliError(f"reading entries failed: {exc}", status=EXIT_SERVER) from exc
        finally:
            client.close()

    return note.text, key.text.strip(), lines()


@click.command("export")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the entries (JSON lines).",
)
@click.option("--url", envvar="VAULT_URL", help="The vault's URL (default: use --data-dir).")
@click.option("--token", envvar="VAULT_TOKEN", help="An auditor's bearer token.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Export from a data directory instead of the API.",
)
def export(output: Path, url: str | None, token: str | None, data_dir: Path | None) -> None:
    """Write LOG.jsonl, LOG.checkpoint and LOG.vkey: the whole log, the signed checkpoint
    covering it, and the log's verifier key."""
    if url and data_dir:
        raise CliError("give --url or --data-dir, not both", status=EXIT_USAGE)
    if url:
        if not token:
            raise CliError("--token (or VAULT_TOKEN) is needed with --url", status=EXIT_USAGE)
        note, vkey, lines = _from_api(url, token)
    else:
        note, vkey, lines = _from_data_dir(
            data_dir or Path(os.environ.get("VAULT_DATA_DIR", "vault-data"))
        )
    checkpoint_path = output.with_suffix(".checkpoint")
    vkey_path = output.with_suffix(".vkey")
    count = 0
    tmp = output.with_name(output.name + ".partial")
    with tmp.open("wb") as fh:
        for line in lines:
            fh.write(line)
            count += 1
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(output)
    checkpoint_path.write_text(note)
    vkey_path.write_text(vkey + "\n")
    click.echo(
        f"{count} entries -> {output}; checkpoint -> {checkpoint_path}; key -> {vkey_path}",
        err=True,
    )
    click.echo(
        f"check it: vault audit verify {output} --checkpoint {checkpoint_path} "
        f"--log-key {vkey_path}",
        err=True,
    )
