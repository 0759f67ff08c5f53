"""vault audit export, from the data directory and over HTTP, then vault audit verify."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from live_server import serve
from vault_testing import TestMember

from api.app import create_app
from vault.cli import cli
from vault.context import Vault


def _some_activity(
    client: TestClient, make_member: Callable[..., TestMember], make_case: Callable[..., str]
) -> TestMember:
    investigator, lawyer, auditor = (make_member(r) for r in ("investigator", "lawyer", "auditor"))
    case_id = make_case(investigator, lawyer)
    r = client.post(
        f"/v1/cases/{case_id}/items",
        content=b"evidence",
        headers={**investigator.headers, "Content-Type": "text/plain"},
    )
    assert r.status_code == 201
    client.get(f"/v1/cases/{case_id}/items", headers=lawyer.headers)
    client.get("/v1/cases", headers={"Authorization": "Bearer nope"})  # a denial, audited
    return auditor


def _verify(runner: CliRunner, out: Path, expect: int = 0) -> Result:
    """vault audit verify on an export and the checkpoint and key written beside it."""
    checkpoint, key = str(out.with_suffix(".checkpoint")), str(out.with_suffix(".vkey"))
    args = ["audit", "verify", str(out), "--checkpoint", checkpoint, "--log-key", key]
    result = runner.invoke(cli, args)
    assert result.exit_code == expect, result.output
    return result


def test_export_from_the_data_dir_verifies(
    vault: Vault,
    client: TestClient,
    tmp_path: Path,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    _some_activity(client, make_member, make_case)
    out = tmp_path / "log.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["audit", "export", "-o", str(out), "--data-dir", str(vault.settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    # case.create, item.upload, item.list, auth.failed
    assert len(out.read_bytes().splitlines()) == 4
    _verify(runner, out)
    # The export is exactly what was hashed: editing one byte is caught.
    lines = out.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"item.", b"itex.", 1)
    out.write_bytes(b"".join(lines))
    result = _verify(runner, out, expect=1)
    assert "entry 2: chain_broken" in result.output


def test_export_over_http_as_an_auditor(
    vault: Vault,
    client: TestClient,
    tmp_path: Path,
    make_member: Callable[..., TestMember],
    make_case: Callable[..., str],
) -> None:
    auditor = _some_activity(client, make_member, make_case)
    out = tmp_path / "log.jsonl"
    runner = CliRunner()
    with serve(create_app(vault=vault)) as url:
        result = runner.invoke(
            cli, ["audit", "export", "-o", str(out), "--url", url, "--token", auditor.token]
        )
    assert result.exit_code == 0, result.output
    _verify(runner, out)


@pytest.mark.parametrize(
    "args", [["--url", "http://127.0.0.1:1"], ["--url", "x", "--data-dir", "y"]]
)
def test_export_usage_and_server_errors(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(
        cli, ["audit", "export", "-o", str(tmp_path / "l.jsonl"), "--token", "t", *args]
    )
    assert result.exit_code in (2, 3)
