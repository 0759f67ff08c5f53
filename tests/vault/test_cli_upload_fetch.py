"""``vault device register``, ``vault upload`` and ``vault fetch`` against a real server:
uvicorn on 127.0.0.1 in a background thread, over the test's data directory, reached
directly or through a TCP proxy that cuts connections after a number of request bytes (a
phone network dropping mid-upload)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import vault_testing
from click.testing import CliRunner, Result
from live_server import serve
from sqlmodel import select

from api.app import create_app
from crypto import age
from vault.cli import cli
from vault.client import language_from_env
from vault.context import Vault
from vault.db import session_scope
from vault.models import Item, Upload


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(vault: Vault) -> Iterator[str]:
    """The real app under uvicorn (httptools, as ``vault serve`` runs it)."""
    with serve(create_app(vault=vault)) as url:
        yield url


@dataclass
class CuttingProxy:
    """Forwards TCP to the server; while ``cuts`` remain, closes a connection (both ways) once
    ``after`` request bytes have gone through it."""

    upstream: int
    after: int
    cuts: int
    port: int = 0
    done: int = 0
    _sock: socket.socket = field(default_factory=socket.socket)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, request: bool) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if request:
                    with self._lock:
                        cut = self.done < self.cuts and sent + len(data) > self.after
                        if cut:
                            self.done += 1
                    if cut:
                        dst.sendall(data[: self.after - sent])
                        time.sleep(0.2)  # let the server read the part that got through
                        break
                    sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@dataclass
class World:
    vault: Vault
    url: str
    case_id: str
    investigator: vault_testing.TestMember
    lawyer: vault_testing.TestMember
    tmp: Path

    @property
    def device_key(self) -> Path:
        return self.tmp / "config" / "device.key"

    @property
    def state_dir(self) -> Path:
        return self.tmp / "state"

    @property
    def lawyer_identity(self) -> Path:
        path = self.tmp / "lawyer.key"
        if not path.exists():
            assert isinstance(self.lawyer.identity, age.X25519Identity)
            path.write_text(self.lawyer.identity.encode() + "\n")
        return path


def run(args: list[str], token: str, url: str) -> Result:
    env = {"VAULT_URL": url, "VAULT_TOKEN": token, "LANG": "C", "LC_ALL": ""}
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


@pytest.fixture
def world(
    vault: Vault,
    server: str,
    make_member: Callable[..., vault_testing.TestMember],
    make_case: Callable[..., str],
    tmp_path: Path,
) -> World:
    investigator = make_member("investigator")
    lawyer = make_member("lawyer")
    case_id = make_case(investigator, lawyer)
    w = World(vault, server, case_id, investigator, lawyer, tmp_path)
    r = run(["device", "register", "--device-key", str(w.device_key)], investigator.token, server)
    assert r.exit_code == 0, r.output
    return w


def upload(w: World, files: list[Path], url: str | None = None, *extra: str) -> Result:
    args = ["upload", "--case", w.case_id, "--device-key", str(w.device_key)]
    args += ["--state-dir", str(w.state_dir), "--chunk-size", str(256 * 1024), *extra]
    return run([*args, *map(str, files)], w.investigator.token, url or w.url)


def fetch(w: World, item_id: str, out: Path, *extra: str) -> Result:
    args = ["fetch", item_id, "-i", str(w.lawyer_identity), "-o", str(out), *extra]
    return run(args, w.lawyer.token, w.url)


def receipt_of(source: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(source.with_name(source.name + ".receipt.json").read_text())
    return data


def items(vault: Vault) -> list[Item]:
    with session_scope(vault.engine) as session:
        return list(session.exec(select(Item)))


def original(tmp: Path, name: str, size: int) -> Path:
    path = tmp / name
    path.write_bytes(os.urandom(size))
    return path


# -- device keys ----------------------------------------------------------------------------------


def test_device_register_writes_a_private_key_once(world: World) -> None:
    assert world.device_key.stat().st_mode & 0o777 == 0o600
    before = world.device_key.read_text()
    r = run(
        ["device", "register", "--device-key", str(world.device_key)],
        world.investigator.token,
        world.url,
    )
    assert r.exit_code == 0 and world.device_key.read_text() == before


def test_upload_without_a_device_key_is_a_usage_error(world: World) -> None:
    world.device_key.unlink()
    r = upload(world, [original(world.tmp, "a.jpg", 10)])
    assert r.exit_code == 2
    assert "vault device register" in r.output


# -- upload then fetch ---------------------------------------------------------------------------


def test_upload_then_fetch_gives_back_the_original(world: World) -> None:
    photo = original(world.tmp, "photo.jpg", 700_000)
    note = original(world.tmp, "note.txt", 0)
    r = upload(world, [photo, note])
    assert r.exit_code == 0, r.output

    receipt = receipt_of(photo)
    assert receipt["plaintext_sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert receipt["case_id"] == world.case_id
    by_id = {i.id: i for i in items(world.vault)}
    assert set(by_id) == {receipt["item_id"], receipt_of(note)["item_id"]}
    assert by_id[receipt["item_id"]].media_type == "image/jpeg"
    assert by_id[receipt["item_id"]].size == 700_000
    assert list(world.state_dir.iterdir()) == []  # state and ciphertext are cleaned up

    out, sealed = world.tmp / "out" / "photo.jpg", world.tmp / "out" / "photo.jpg.age"
    out.parent.mkdir()
    r = fetch(world, receipt["item_id"], out, "--ciphertext", str(sealed))
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == photo.read_bytes()
    assert hashlib.sha256(sealed.read_bytes()).hexdigest() == receipt["ciphertext_sha256"]

    r = fetch(world, receipt_of(note)["item_id"], world.tmp / "out" / "note.txt")
    assert r.exit_code == 0 and (world.tmp / "out" / "note.txt").read_bytes() == b""


def test_the_age_tool_decrypts_what_fetch_downloaded(world: World) -> None:
    tool = vault_testing.require_tool("age")
    photo = original(world.tmp, "photo.jpg", 150_000)
    assert upload(world, [photo]).exit_code == 0
    item_id = receipt_of(photo)["item_id"]
    sealed = world.tmp / "photo.age"
    r = fetch(world, item_id, world.tmp / "photo.out", "--ciphertext", str(sealed))
    assert r.exit_code == 0, r.output

    # The case identity, opened with the lawyer's own identity, by the age tool.
    sealed_key = world.tmp / "case-key.age"
    with session_scope(world.vault.engine) as session:
        from vault.models import CaseMember

        link = session.get(CaseMember, (world.case_id, world.lawyer.id))
        assert link is not None and link.sealed_key is not None
        sealed_key.write_bytes(link.sealed_key)
    case_key = world.tmp / "case.key"
    subprocess.run(
        [tool, "-d", "-i", str(world.lawyer_identity), "-o", str(case_key), str(sealed_key)],
        check=True,
    )
    plain = subprocess.run(
        [tool, "-d", "-i", str(case_key), str(sealed)], check=True, capture_output=True
    ).stdout
    assert plain == photo.read_bytes()


def test_a_tampered_object_fails_fetch_and_leaves_no_output(world: World) -> None:
    photo = original(world.tmp, "photo.jpg", 200_000)
    assert upload(world, [photo]).exit_code == 0
    item_id = receipt_of(photo)["item_id"]
    # The filesystem store names an object after its key (items/ID -> items+ID).
    [stored] = world.vault.settings.data_dir.rglob(f"items+{item_id}")
    stored.chmod(0o600)
    with stored.open("r+b") as fh:
        fh.seek(150_000)
        byte = fh.read(1)
        fh.seek(150_000)
        fh.write(bytes([byte[0] ^ 0x01]))

    out_dir = world.tmp / "out"
    out_dir.mkdir()
    r = fetch(world, item_id, out_dir / "photo.jpg")
    assert r.exit_code == 1, r.output
    assert "vault: error:" in r.output
    assert list(out_dir.iterdir()) == []  # no output, no temporary file


def test_fetch_with_an_identity_that_is_not_yours_fails(world: World) -> None:
    photo = original(world.tmp, "photo.jpg", 1000)
    assert upload(world, [photo]).exit_code == 0
    stranger = world.tmp / "stranger.key"
    stranger.write_text(age.X25519Identity.generate().encode() + "\n")
    out = world.tmp / "photo.out"
    args = ["fetch", receipt_of(photo)["item_id"], "-i", str(stranger), "-o", str(out)]
    r = run(args, world.lawyer.token, world.url)
    assert r.exit_code == 1 and not out.exists()


def test_an_unreachable_vault_is_exit_3(world: World) -> None:
    r = upload(world, [original(world.tmp, "a.jpg", 10)], f"http://127.0.0.1:{_free_port()}")
    assert r.exit_code == 3, r.output


# -- interruptions --------------------------------------------------------------------------------


def test_a_dropped_connection_resumes_within_the_same_run(world: World) -> None:
    proxy = CuttingProxy(int(world.url.rsplit(":", 1)[1]), after=400_000, cuts=2)
    url = proxy.start()
    try:
        photo = original(world.tmp, "photo.jpg", 1_500_000)
        r = upload(world, [photo], url)
        assert r.exit_code == 0, r.output
    finally:
        proxy.stop()
    assert proxy.done == 2  # the network really did drop twice
    [item] = items(world.vault)
    assert item.plaintext_sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    out = world.tmp / "photo.out"
    assert fetch(world, item.id, out).exit_code == 0
    assert out.read_bytes() == photo.read_bytes()


def test_rerunning_after_a_failed_run_resumes_the_same_upload(world: World) -> None:
    proxy = CuttingProxy(int(world.url.rsplit(":", 1)[1]), after=600_000, cuts=1)
    url = proxy.start()
    try:
        photo = original(world.tmp, "photo.jpg", 1_200_000)
        r = upload(world, [photo], url, "--retries", "0")
        assert r.exit_code == 3, r.output  # the "crash": no retries left
        [state_file] = world.state_dir.glob("*.json")
        state = json.loads(state_file.read_text())
        assert "photo" not in state_file.read_text()  # no filename at rest
        with session_scope(world.vault.engine) as session:
            [row] = session.exec(select(Upload)).all()
            kept = row.offset
        assert 0 < kept < state["ciphertext_size"]  # the server kept what arrived
        assert items(world.vault) == []

        r = upload(world, [photo], url)
        assert r.exit_code == 0, r.output
        assert "resuming" in r.output
    finally:
        proxy.stop()
    receipt = receipt_of(photo)
    assert receipt["item_id"] == state["item_id"]  # the same statement, not a new item
    with session_scope(world.vault.engine) as session:
        assert len(session.exec(select(Upload)).all()) == 1
    patches = [
        e
        for e in _entries(world.vault)
        if e.details.get("tus") == "patch" and e.details["from"] == 0
    ]
    assert len(patches) == 1  # the second run did not start over


def _entries(vault: Vault) -> list[Any]:
    from audit.entry import AuditEntry

    with session_scope(vault.engine) as session:
        log = vault.trail.log(session)
        return [AuditEntry.parse(e) for e in log.entries(0, log.size())]


def test_language_follows_the_locale() -> None:
    assert language_from_env({"LANG": "fr_ML.UTF-8"}) == "fr"
    assert language_from_env({"LC_ALL": "en_US.UTF-8", "LANG": "fr_FR"}) == "en"
    assert language_from_env({"LC_ALL": "", "LANG": "fr_FR"}) == "fr"
    assert language_from_env({}) == "en"
