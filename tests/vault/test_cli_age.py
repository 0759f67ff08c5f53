"""vault keygen / encrypt / decrypt: through click's CliRunner, as a module, and against
the age command both ways."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crypto.age import X25519Identity, decrypt, encrypt
from vault.cli.age import age_commands, keygen
from vault.cli.age import decrypt as decrypt_cmd
from vault.cli.age import encrypt as encrypt_cmd

IN_CI = os.environ.get("CI") == "true"
K = 64 * 1024


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required when CI=true")
        pytest.skip(f"{name} is not installed")
    return path


def _make_key(tmp_path: Path, name: str = "key.txt") -> tuple[Path, str]:
    key_file = tmp_path / name
    result = CliRunner().invoke(keygen, ["-o", str(key_file)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Public key: age1")
    return key_file, result.stderr.split(": ", 1)[1].strip()


def test_keygen_writes_an_age_keygen_style_file(tmp_path: Path) -> None:
    key_file, public = _make_key(tmp_path)
    lines = key_file.read_text().splitlines()
    assert lines[0].startswith("# created: ") and lines[0].endswith("Z")
    assert lines[1] == f"# public key: {public}"
    assert X25519Identity.parse(lines[2]).recipient.encode() == public
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    key_file, _ = _make_key(tmp_path)
    before = key_file.read_bytes()
    result = CliRunner().invoke(keygen, ["-o", str(key_file)])
    assert result.exit_code == 2
    assert result.stderr.startswith("vault: error: ")
    assert key_file.read_bytes() == before


def test_keygen_to_stdout_prints_the_three_lines() -> None:
    result = CliRunner().invoke(keygen, [])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line[:8] for line in lines] == ["# create", "# public", "AGE-SECR"]


@pytest.mark.parametrize("armor", [False, True])
@pytest.mark.parametrize("size", [0, 1, K, 3 * K + 1])
def test_encrypt_then_decrypt_files(tmp_path: Path, size: int, armor: bool) -> None:
    key_file, public = _make_key(tmp_path)
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(size))
    args = ["-r", public, "-o", str(tmp_path / "c.age"), str(plain)]
    result = CliRunner().invoke(encrypt_cmd, args + (["-a"] if armor else []))
    assert result.exit_code == 0, result.output
    out = tmp_path / "back"
    result = CliRunner().invoke(
        decrypt_cmd, ["-i", str(key_file), "-o", str(out), str(tmp_path / "c.age")]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == plain.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_stdin_to_stdout_and_recipients_file(tmp_path: Path) -> None:
    key1, public1 = _make_key(tmp_path, "k1")
    key2, public2 = _make_key(tmp_path, "k2")
    (tmp_path / "recipients").write_text(f"# team\n{public1}\n\n{public2}\n")
    result = CliRunner().invoke(
        encrypt_cmd, ["-a", "-R", str(tmp_path / "recipients")], input=b"hello"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    for key in (key1, key2):
        back = CliRunner().invoke(decrypt_cmd, ["-i", str(key)], input=result.stdout_bytes)
        assert back.exit_code == 0 and back.stdout_bytes == b"hello"


def test_identity_file_with_comments_and_several_keys(tmp_path: Path) -> None:
    wanted = X25519Identity.generate()
    others = [X25519Identity.generate() for _ in range(2)]
    (tmp_path / "ids").write_text(
        f"# mine\n{others[0].encode()}\n\n# also mine\n{wanted.encode()}\n{others[1].encode()}\n"
    )
    ciphertext = encrypt(b"secret", [wanted.recipient])
    result = CliRunner().invoke(decrypt_cmd, ["-i", str(tmp_path / "ids")], input=ciphertext)
    assert result.exit_code == 0 and result.stdout_bytes == b"secret"


def test_failed_decryption_leaves_no_output_file(tmp_path: Path) -> None:
    key_file, _ = _make_key(tmp_path)
    identity = X25519Identity.parse(key_file.read_text().splitlines()[2])
    data = os.urandom(3 * K + 5)
    damaged = bytearray(encrypt(data, [identity.recipient]))
    damaged[-1] ^= 1  # only the last chunk is bad: three good chunks come first
    (tmp_path / "c.age").write_bytes(bytes(damaged))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        decrypt_cmd, ["-i", str(key_file), "-o", str(out), str(tmp_path / "c.age")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("vault: error: the encrypted data is damaged")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.age", "key.txt"]


def test_a_failure_does_not_touch_an_existing_output(tmp_path: Path) -> None:
    key_file, _ = _make_key(tmp_path)
    out = tmp_path / "out"
    out.write_bytes(b"previous")
    result = CliRunner().invoke(
        decrypt_cmd, ["-i", str(key_file), "-o", str(out)], input=b"age-encryption.org/v1\n"
    )
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous"


def test_wrong_key_is_exit_1_with_a_hint(tmp_path: Path) -> None:
    key_file, _ = _make_key(tmp_path)
    ciphertext = encrypt(b"x", [X25519Identity.generate().recipient])
    result = CliRunner().invoke(decrypt_cmd, ["-i", str(key_file)], input=ciphertext)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "vault: error: no identity matched any of the file's recipients",
        "vault: hint: check that -i names the key file the data was encrypted to",
    ]


@pytest.mark.parametrize(
    "args",
    [[], ["-r", "age1notakey"], ["-r", "AGE-SECRET-KEY-1XYZ"]],
    ids=["no-recipient", "bad-recipient", "secret-as-recipient"],
)
def test_encrypt_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(encrypt_cmd, args, input=b"x")
    assert result.exit_code == 2
    assert result.stderr.startswith("vault: error: ")


def test_bad_identity_file_is_exit_2_and_never_echoes_the_line(tmp_path: Path) -> None:
    key = X25519Identity.generate().encode()
    # A one-character typo (bech32 always detects it); never the character already there,
    # or 1 run in 32 would "break" the key into itself.
    secret_with_typo = key[:-1] + ("P" if key.endswith("Q") else "Q")
    (tmp_path / "ids").write_text(secret_with_typo + "\n")
    result = CliRunner().invoke(decrypt_cmd, ["-i", str(tmp_path / "ids")], input=b"")
    assert result.exit_code == 2
    assert secret_with_typo not in result.stderr
    assert "line 1" in result.stderr


def test_runs_as_a_module(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    run = [sys.executable, "-m", "vault.cli.age"]
    done = subprocess.run([*run, "keygen", "-o", str(key_file)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    public = done.stderr.split(": ", 1)[1].strip()
    enc = subprocess.run([*run, "encrypt", "-r", public], input=b"abc", capture_output=True)
    assert enc.returncode == 0
    dec = subprocess.run(
        [*run, "decrypt", "-i", str(key_file)], input=enc.stdout, capture_output=True
    )
    assert (dec.returncode, dec.stdout) == (0, b"abc")
    assert age_commands.commands.keys() == {"keygen", "encrypt", "decrypt"}


@pytest.mark.age_cli
@pytest.mark.parametrize("armor", [False, True])
def test_vault_keys_and_files_work_with_age(tmp_path: Path, armor: bool) -> None:
    age = _tool("age")
    key_file, public = _make_key(tmp_path)
    data = os.urandom(2 * K + 3)
    (tmp_path / "p").write_bytes(data)
    args = ["-r", public, "-o", str(tmp_path / "c"), str(tmp_path / "p")]
    assert CliRunner().invoke(encrypt_cmd, args + (["-a"] if armor else [])).exit_code == 0
    done = subprocess.run(
        [age, "-d", "-i", str(key_file), str(tmp_path / "c")], capture_output=True, check=True
    )
    assert done.stdout == data
    theirs = subprocess.run(
        [age, "-r", public, *(["-a"] if armor else [])],
        input=data,
        capture_output=True,
        check=True,
    )
    back = CliRunner().invoke(decrypt_cmd, ["-i", str(key_file)], input=theirs.stdout)
    assert back.exit_code == 0 and back.stdout_bytes == data


@pytest.mark.age_cli
def test_age_keygen_keys_work_with_vault(tmp_path: Path) -> None:
    keygen_tool = _tool("age-keygen")
    key_file = tmp_path / "age-key.txt"
    subprocess.run([keygen_tool, "-o", str(key_file)], check=True, capture_output=True)
    public = key_file.read_text().splitlines()[1].split(": ")[1]
    result = CliRunner().invoke(encrypt_cmd, ["-r", public], input=b"from age-keygen")
    assert result.exit_code == 0
    back = CliRunner().invoke(decrypt_cmd, ["-i", str(key_file)], input=result.stdout_bytes)
    assert back.stdout_bytes == b"from age-keygen"
    assert decrypt(result.stdout_bytes, [X25519Identity.parse(key_file.read_text().split()[-1])])
