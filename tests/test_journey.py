"""The whole journey from phone to court, through the public surfaces only (HTTP and the
`vault` CLI, plus the independent `age` and poppler tools):

an admin bootstraps a fresh vault; an investigator uploads a photo with EXIF GPS
(server-sealed), a testimony, and a client-sealed video (`vault upload`); a lawyer lists,
downloads, decrypts with the `age` command and gets the French PDF custody report; an auditor
exports and verifies the log; a tampered log, a tampered report and a tampered ciphertext are
each detected and named."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from live_server import serve
from PIL import ExifTags, Image
from vault_testing import require_tool

from api.app import create_app
from vault.cli import cli
from vault.context import Vault
from vault.settings import Settings

pytestmark = pytest.mark.age_cli


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (32, 32), (120, 60, 10))
    tags = Image.Exif()
    tags[ExifTags.Base.Make] = "PhoneCam"
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (16.0, 16.0, 20.0)  # Gao
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 2.0, 40.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=tags)
    return out.getvalue()


def run(*args: str, env: dict[str, str] | None = None, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (args, result.output)
    return result


def test_from_phone_to_court(tmp_path: Path) -> None:
    age = require_tool("age")
    pdftotext = require_tool("pdftotext")
    data_dir = tmp_path / "vault-data"

    # 1. An operator bootstraps a fresh vault: the first admin comes from the data dir.
    admin = json.loads(
        run(
            "admin",
            "user",
            "create",
            "--name",
            "Admin",
            "--role",
            "admin",
            "--json",
            "--data-dir",
            str(data_dir),
        ).stdout
    )
    vault = Vault.open(Settings(environment="test", data_dir=data_dir))
    with serve(create_app(vault=vault)) as url, httpx.Client(base_url=url, timeout=60) as http:

        def as_(token: str, lang: str = "fr") -> dict[str, str]:
            return {"Authorization": f"Bearer {token}", "Accept-Language": lang}

        # Members keep their own age identities; the server only learns the recipients.
        keys = {}
        for name in ("investigator", "lawyer"):
            key_file = tmp_path / f"{name}.key"
            run("keygen", "-o", str(key_file))
            recipient = next(
                line.split(": ")[1]
                for line in key_file.read_text().splitlines()
                if line.startswith("# public key: ")
            )
            keys[name] = (key_file, recipient)
        tokens = {}
        for role in ("investigator", "lawyer", "auditor"):
            body = {"name": role.title(), "role": role}
            if role in keys:
                body["recipient"] = keys[role][1]
            r = http.post("/v1/members", json=body, headers=as_(admin["token"]))
            assert r.status_code == 201, r.text
            tokens[role] = r.json()["token"]
            tokens[role + "_id"] = r.json()["id"]
        r = http.post(
            "/v1/cases",
            json={
                "title": "MLI-2026-017",
                "members": [tokens["investigator_id"], tokens["lawyer_id"]],
            },
            headers=as_(admin["token"]),
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]

        # 2. The investigator uploads a photo (server-sealed), a testimony, and a video that
        #    the CLI encrypts, signs and uploads resumably (client-sealed).
        photo = jpeg_with_gps()
        r = http.post(
            f"/v1/cases/{case_id}/items",
            content=photo,
            headers={
                **as_(tokens["investigator"]),
                "Content-Type": "image/jpeg",
                "Vault-Filename": "IMG_0042.jpg",
            },
        )
        assert r.status_code == 201, r.text
        photo_receipt = r.json()
        assert photo_receipt["plaintext_sha256"] == hashlib.sha256(photo).hexdigest()
        r = http.post(
            f"/v1/cases/{case_id}/testimonies",
            headers=as_(tokens["investigator"]),
            json={
                "statement": "J'ai vu des hommes armés entrer dans le village.",
                "language": "fr",
                "interview_date": "2026-03-02",
                "incident_place": "cercle de Gao",
                "violation_types": ["pillage"],
                "victims": ["V-001"],
                "consent": {"court": True},
            },
        )
        assert r.status_code == 201, r.text
        video = tmp_path / "clip.mp4"
        video.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
        inv_env = {"VAULT_URL": url, "VAULT_TOKEN": tokens["investigator"]}
        device_key = tmp_path / "device.key"
        run("device", "register", "--device-key", str(device_key), env=inv_env)
        run(
            "upload",
            "--case",
            case_id,
            "--device-key",
            str(device_key),
            "--state-dir",
            str(tmp_path / "state"),
            "--receipts",
            str(tmp_path / "receipts"),
            "--chunk-size",
            str(1024 * 1024),
            str(video),
            env=inv_env,
        )
        video_receipts = list((tmp_path / "receipts").glob("*.receipt.json"))
        assert len(video_receipts) == 1
        video_item = json.loads(video_receipts[0].read_text())["item_id"]

        # 3. The lawyer lists the case, fetches and decrypts the photo with the `age` tool
        #    (case identity opened from the sealed case key), and with `vault fetch`.
        r = http.get(f"/v1/cases/{case_id}/items", headers=as_(tokens["lawyer"]))
        assert sorted(i["kind"] for i in r.json()) == ["media", "media", "testimony"]
        sealed = http.get(f"/v1/cases/{case_id}/key", headers=as_(tokens["lawyer"]))
        (tmp_path / "case.key.age").write_bytes(sealed.content)
        subprocess.run(
            [
                age,
                "-d",
                "-i",
                str(keys["lawyer"][0]),
                "-o",
                str(tmp_path / "case.key"),
                str(tmp_path / "case.key.age"),
            ],
            check=True,
        )
        ciphertext = http.get(
            f"/v1/items/{photo_receipt['item_id']}/content", headers=as_(tokens["lawyer"])
        )
        (tmp_path / "photo.age").write_bytes(ciphertext.content)
        plain = subprocess.run(
            [age, "-d", "-i", str(tmp_path / "case.key"), str(tmp_path / "photo.age")],
            check=True,
            capture_output=True,
        )
        assert plain.stdout == photo
        law_env = {"VAULT_URL": url, "VAULT_TOKEN": tokens["lawyer"]}
        run(
            "fetch",
            video_item,
            "-i",
            str(keys["lawyer"][0]),
            "-o",
            str(tmp_path / "v.mp4"),
            env=law_env,
        )
        assert (tmp_path / "v.mp4").read_bytes() == video.read_bytes()

        # 4. The French PDF custody report, checked offline against the original.
        report = tmp_path / "custody-fr.pdf"
        log_key = tmp_path / "log.vkey"
        log_key.write_text(http.get("/v1/log/key").text)
        run(
            "report",
            photo_receipt["item_id"],
            "--lang",
            "fr",
            "--pdf",
            "-o",
            str(report),
            env=law_env,
        )
        text = subprocess.run(
            [pdftotext, str(report), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert "Rapport de chaîne de possession" in text
        assert photo_receipt["plaintext_sha256"] in text.replace("\n", "").replace(" ", "")
        verified = tmp_path / "photo.jpg"
        verified.write_bytes(plain.stdout)
        run("report", "verify", str(report), "--file", str(verified), "--log-key", str(log_key))

        # 5. The auditor exports the log and verifies it.
        export = tmp_path / "log.jsonl"
        run(
            "audit",
            "export",
            "-o",
            str(export),
            env={"VAULT_URL": url, "VAULT_TOKEN": tokens["auditor"]},
        )
        run(
            "audit",
            "verify",
            str(export),
            "--checkpoint",
            str(export.with_suffix(".checkpoint")),
            "--log-key",
            str(log_key),
        )

    # 6. Tampering is detected and named.
    lines = export.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"allowed"', b'"denied"', 1)
    tampered_log = tmp_path / "tampered.jsonl"
    tampered_log.write_bytes(b"".join(lines))
    bad = run(
        "audit",
        "verify",
        str(tampered_log),
        "--checkpoint",
        str(export.with_suffix(".checkpoint")),
        "--log-key",
        str(log_key),
        code=1,
    )
    assert "entry 3: chain_broken" in bad.output

    from vault.report.pdf import extract_embedded_json

    envelope = json.loads(extract_embedded_json(report.read_bytes()))
    envelope["report"]["item"]["plaintext_sha256"] = "0" * 64
    tampered_report = tmp_path / "tampered-report.json"
    tampered_report.write_text(json.dumps(envelope))
    bad = run("report", "verify", str(tampered_report), "--log-key", str(log_key), code=1)
    assert "signature" in bad.output

    stored = [
        p
        for p in (data_dir / "store").rglob("*")
        if p.is_file() and photo_receipt["item_id"] in p.name and "@" not in p.name
    ]
    assert len(stored) == 1
    os.chmod(stored[0], 0o644)
    damaged = bytearray(stored[0].read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    stored[0].write_bytes(bytes(damaged))
    with serve(create_app(vault=vault)) as url:
        bad = run(
            "fetch",
            photo_receipt["item_id"],
            "-i",
            str(keys["lawyer"][0]),
            "-o",
            str(tmp_path / "should-not-exist.jpg"),
            env={"VAULT_URL": url, "VAULT_TOKEN": tokens["lawyer"]},
            code=1,
        )
    assert not (tmp_path / "should-not-exist.jpg").exists()
    assert "vault: error:" in bad.output
    vault.close()
