"""``vault report ITEM [--lang fr|en] [--pdf] [--at SIZE] -o OUT``: get an item's custody
report from the vault (a lawyer's token), check it against the log key before saving it."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vault.cli.common import EXIT_SERVER, EXIT_USAGE, CliError


@click.command("get")
@click.argument("item_id", metavar="ITEM")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--pdf", is_flag=True, help="A PDF/A-3 (with the signed JSON inside it).")
@click.option("--at", type=click.IntRange(min=1), help="The report as of this log size.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", envvar="VAULT_URL", required=True, help="The vault's URL.")
@click.option("--token", envvar="VAULT_TOKEN", required=True, help="A lawyer's bearer token.")
@click.option("--log-key", help="The log key to pin (file or text); default: the server's.")
def get(
    item_id: str,
    lang: str,
    pdf: bool,
    at: int | None,
    output: Path,
    url: str,
    token: str,
    log_key: str | None,
) -> None:
    """Fetch a custody report, verify it, and write it to OUT."""
    import httpx

    from vault.report.errors import ReportVerificationError
    from vault.report.verify import verify_report

    params: dict[str, str | int] = {"lang": lang}
    if at is not None:
        params["at"] = at
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept-Language": lang,
        "Accept": "application/pdf" if pdf else "application/json",
    }
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=120) as client:
            r = client.get(f"/v1/items/{item_id}/custody", params=params, headers=headers)
            key_text = (
                Path(log_key).read_text().strip()
                if log_key and os.path.exists(log_key)
                else log_key
            ) or client.get("/v1/log/key").text.strip()
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach {url}: {exc}", status=EXIT_SERVER) from exc
    if r.status_code != 200:
        try:
            message = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {r.status_code}"
        status = EXIT_USAGE if r.status_code in (400, 404, 422) else EXIT_SERVER
        raise CliError(message, status=status)
    try:
        verify_report(r.content, log_key=key_text)
    except ReportVerificationError as exc:
        raise CliError(f"the vault sent a report that does not verify: {exc.part}") from exc
    tmp = output.with_name(output.name + ".partial")
    tmp.write_bytes(r.content)
    tmp.replace(output)
    click.echo(f"custody report for {item_id} -> {output} (verified)", err=True)
