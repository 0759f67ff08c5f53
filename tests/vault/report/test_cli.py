"""``vault report verify`` through click, on real report files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from vault.cli.report import ReportGroup, report_group
from vault.report import envelope_bytes
from vault.report.render import render_pdf

from .report_fixtures import WEASYPRINT_FILTERS, World


@pytest.fixture
def files(world: World, envelope: dict[str, Any], tmp_path: Path) -> dict[str, Path]:
    paths = {
        "report": tmp_path / "report.json",
        "original": tmp_path / "photo.jpg",
        "key": tmp_path / "log.vkey",
    }
    paths["report"].write_bytes(envelope_bytes(envelope))
    paths["original"].write_bytes(world.original)
    paths["key"].write_text(world.vkey + "\n")
    return paths


def _invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(report_group, [str(a) for a in args], prog_name="vault report")


def test_good_report_exit_0(files: dict[str, Path], world: World) -> None:
    result = _invoke(
        "verify", files["report"], "--file", files["original"], "--log-key", files["key"]
    )
    assert result.exit_code == 0, result.output
    assert "✓ report signature by the log key (pinned)" in result.stdout
    assert "✓ photo.jpg: SHA-256 matches the item" in result.stdout
    assert "✓ capture statement signed by the device" in result.stdout
    # The key may also be given as text.
    assert _invoke("verify", files["report"], "--log-key", world.vkey).exit_code == 0


def test_wrong_original_exit_1(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other.jpg"
    other.write_bytes(b"not the photo")
    result = _invoke("verify", files["report"], "--file", other, "--log-key", files["key"])
    assert result.exit_code == 1
    assert result.stderr.startswith("vault: error: original file: SHA-256 is ")
    assert "vault: hint: The file is not the original" in result.stderr


def test_tampered_proof_exit_1_names_the_part(
    files: dict[str, Path],
    envelope: dict[str, Any],
    resign: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    edited = copy.deepcopy(envelope)
    proof = edited["report"]["events"][1]["inclusion_proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
    files["report"].write_bytes(envelope_bytes(resign(edited)))
    result = _invoke("verify", files["report"], "--log-key", files["key"])
    assert result.exit_code == 1
    assert "vault: error: event 2 (index 4): inclusion proof" in result.stderr


def test_missing_log_key_exit_1_unless_allowed(files: dict[str, Path]) -> None:
    result = _invoke("verify", files["report"])
    assert result.exit_code == 1
    assert "vault: error: log key: give the log key" in result.stderr
    result = _invoke("verify", files["report"], "--allow-unpinned-key")
    assert result.exit_code == 0
    assert "NOT pinned" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],  # REPORT missing
        ["verify", "/nonexistent/report.json", "--log-key", "x+y+z"],
        ["verify", "{report}", "--log-key", "neither-a-file-nor-a-key"],
        ["verify", "{report}", "--bogus"],
        ["nosuchcommand"],
    ],
)
def test_usage_errors_exit_2(files: dict[str, Path], args: list[str]) -> None:
    result = _invoke(*[a.format(report=files["report"]) for a in args])
    assert result.exit_code == 2, result.output


@WEASYPRINT_FILTERS[0]
def test_verifies_a_pdf(files: dict[str, Path], envelope: dict[str, Any], tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(envelope, "fr"))
    result = _invoke("verify", pdf, "--file", files["original"], "--log-key", files["key"])
    assert result.exit_code == 0, result.output


def test_default_command_can_be_attached() -> None:
    # The lead's `vault report ITEM …` attaches as the group's default command.
    group = ReportGroup("report")

    @group.command("fetch")
    @click.argument("item")
    def fetch(item: str) -> None:
        click.echo(f"fetch {item}")

    group.add_command(report_group.commands["verify"])
    group.default_command = "fetch"
    runner = CliRunner()
    assert runner.invoke(group, ["itm_1"]).stdout == "fetch itm_1\n"
    assert runner.invoke(group, ["verify", "--help"]).exit_code == 0
