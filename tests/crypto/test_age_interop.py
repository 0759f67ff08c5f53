"""Interop both ways with independent implementations: pyrage (rage, Rust) and the age
command (Go, the reference).  Sizes straddle the 64 KiB chunk boundaries."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyrage
import pytest
from agetools import AgeTools

from crypto.age import X25519Identity, X25519Recipient, decrypt, encrypt
from crypto.errors import PayloadError

K = 64 * 1024
SIZES = [0, 1, K - 1, K, K + 1, 3 * K, 3 * 1024 * 1024 + 7]
SIZE_IDS = [f"{n}B" for n in SIZES]


def _data(n: int) -> bytes:
    return os.urandom(n)


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_pyrage_decrypts_ours(size: int, armor: bool) -> None:
    theirs = pyrage.x25519.Identity.generate()
    data = _data(size)
    ciphertext = encrypt(data, [X25519Recipient.parse(str(theirs.to_public()))], armor=armor)
    assert pyrage.decrypt(ciphertext, [theirs]) == data


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_we_decrypt_pyrage(size: int, armor: bool) -> None:
    ours = X25519Identity.generate()
    data = _data(size)
    recipient = pyrage.x25519.Recipient.from_str(ours.recipient.encode())
    ciphertext = pyrage.encrypt(data, [recipient], armored=armor)
    assert decrypt(ciphertext, [ours]) == data


def test_several_recipients_both_ways() -> None:
    theirs = [pyrage.x25519.Identity.generate() for _ in range(3)]
    ours = [X25519Identity.generate() for _ in range(2)]
    data = _data(K + 5)
    recipients = [X25519Recipient.parse(str(t.to_public())) for t in theirs]
    ciphertext = encrypt(data, recipients + [o.recipient for o in ours])
    for t in theirs:
        assert pyrage.decrypt(ciphertext, [t]) == data
    for o in ours:
        assert decrypt(ciphertext, [o]) == data
    back = pyrage.encrypt(
        data, [pyrage.x25519.Recipient.from_str(o.recipient.encode()) for o in ours]
    )
    assert decrypt(back, [ours[1]]) == data


def test_keys_round_trip_through_pyrage() -> None:
    theirs = pyrage.x25519.Identity.generate()
    ours = X25519Identity.parse(str(theirs))
    assert ours.encode() == str(theirs)
    assert ours.recipient.encode() == str(theirs.to_public())


# The age command (Go reference implementation) --------------------------------------


def _keygen(tools: AgeTools, tmp_path: Path, name: str) -> tuple[Path, str]:
    keygen = tools.keygen
    key_file = tmp_path / name
    subprocess.run([keygen, "-o", str(key_file)], check=True, capture_output=True)
    public = next(
        line.split(": ", 1)[1]
        for line in key_file.read_text().splitlines()
        if line.startswith("# public key: ")
    )
    return key_file, public


def _identities_from(key_file: Path) -> list[X25519Identity]:
    return [
        X25519Identity.parse(line)
        for line in key_file.read_text().splitlines()
        if line.startswith("AGE-SECRET-KEY-")
    ]


@pytest.mark.age_cli
@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_age_decrypts_ours(age_tools: AgeTools, tmp_path: Path, size: int, armor: bool) -> None:
    age = age_tools.age
    key_file, public = _keygen(age_tools, tmp_path, "key.txt")
    data = _data(size)
    ciphertext = encrypt(data, [X25519Recipient.parse(public)], armor=armor)
    done = subprocess.run(
        [age, "-d", "-i", str(key_file)], input=ciphertext, capture_output=True, check=True
    )
    assert done.stdout == data


@pytest.mark.age_cli
@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_we_decrypt_age(age_tools: AgeTools, tmp_path: Path, size: int, armor: bool) -> None:
    age = age_tools.age
    key_file, public = _keygen(age_tools, tmp_path, "key.txt")
    data = _data(size)
    args = [age, "-r", public] + (["-a"] if armor else [])
    done = subprocess.run(args, input=data, capture_output=True, check=True)
    assert decrypt(done.stdout, _identities_from(key_file)) == data


@pytest.mark.age_cli
def test_several_recipients_with_age(age_tools: AgeTools, tmp_path: Path) -> None:
    age = age_tools.age
    files = [_keygen(age_tools, tmp_path, f"key{i}.txt") for i in range(3)]
    ours = X25519Identity.generate()
    data = _data(2 * K + 1)
    ciphertext = encrypt(data, [X25519Recipient.parse(p) for _, p in files] + [ours.recipient])
    for key_file, _ in files:
        done = subprocess.run(
            [age, "-d", "-i", str(key_file)], input=ciphertext, capture_output=True, check=True
        )
        assert done.stdout == data
    args = [age]
    for _, public in files:
        args += ["-r", public]
    args += ["-r", ours.recipient.encode()]
    done = subprocess.run(args, input=data, capture_output=True, check=True)
    assert decrypt(done.stdout, [ours]) == data
    assert decrypt(done.stdout, _identities_from(files[2][0])) == data


@pytest.mark.age_cli
def test_age_rejects_what_we_reject(age_tools: AgeTools, tmp_path: Path) -> None:
    """A tampered last chunk fails in age exactly as in ours (exit status 1)."""
    age = age_tools.age
    key_file, public = _keygen(age_tools, tmp_path, "key.txt")
    ciphertext = bytearray(encrypt(b"x" * 100, [X25519Recipient.parse(public)]))
    ciphertext[-1] ^= 1
    done = subprocess.run(
        [age, "-d", "-i", str(key_file)], input=bytes(ciphertext), capture_output=True
    )
    assert done.returncode != 0
    with pytest.raises(PayloadError, match="authenticate"):
        decrypt(bytes(ciphertext), _identities_from(key_file))
