"""``vault fetch ITEM -i IDENTITY -o OUT``: download, decrypt and check one item.

One pass, constant memory: the ciphertext streams from the vault through SHA-256 and the age
decryptor into a temporary file beside OUT (so the final rename is atomic, on one file
system).  OUT appears only if (1) the ciphertext's SHA-256 matches both ``Repr-Digest`` and the
record, (2) every age chunk authenticates, and (3) the plaintext's SHA-256 and size match the
record.  Otherwise the temporary file is removed and the exit status is 1.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from crypto.age import Decryptor, X25519Identity, decrypt
from crypto.errors import CryptoError
from vault.cli.age import read_identities
from vault.cli.common import EXIT_FAILURE, CliError
from vault.cli.device import connection_options, open_client, server_failure
from vault.client import ClientError, VaultClient

_REPR_DIGEST = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):")


def _case_identity(client: VaultClient, case_id: str, identity_file: Path) -> X25519Identity:
    """Open the case key sealed to the caller with the caller's own identity."""
    sealed = client.sealed_case_key(case_id)
    try:
        text = decrypt(sealed, read_identities(identity_file)).decode("utf-8")
    except (CryptoError, UnicodeDecodeError) as exc:
        raise CliError(
            f"cannot open the case key with {identity_file}",
            hint="use the identity whose recipient the vault has for you",
            status=EXIT_FAILURE,
        ) from exc
    for line in text.splitlines():
        if line.strip().startswith("AGE-SECRET-KEY-1"):
            return X25519Identity.parse(line.strip())
    raise CliError("the sealed case key holds no identity", status=EXIT_FAILURE)


def _repr_digest(value: str | None) -> str | None:
    """The SHA-256 of ``Repr-Digest`` (RFC 9530), as hex; None if absent."""
    if not value:
        return None
    match = _REPR_DIGEST.search(value)
    if match is None:
        return None
    return base64.b64decode(match.group(1)).hex()


def _fail(message: str) -> CliError:
    return CliError(message, status=EXIT_FAILURE)


@click.command()
@click.argument("item_id")
@click.option(
    "-i",
    "--identity",
    "identity_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your age identity file (opens the case key sealed to you).",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the verified plaintext.",
)
@click.option(
    "--ciphertext",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also keep the downloaded age ciphertext here (for archiving or `age -d`).",
)
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@connection_options
def fetch(
    item_id: str,
    identity_file: Path,
    output: Path,
    ciphertext: Path | None,
    force: bool,
    url: str,
    token: str | None,
) -> None:
    """Download ITEM, decrypt it and check it against the record."""
    if output.exists() and not force:
        raise CliError(f"{output} exists", hint="pass --force to replace it", status=2)
    console = Console(stderr=True)
    parent = output.resolve().parent
    tmp = parent / f".{output.name}.{uuid.uuid4().hex}.part"
    keep_tmp = None
    if ciphertext is not None:
        keep_tmp = ciphertext.resolve().parent / f".{ciphertext.name}.{uuid.uuid4().hex}.part"
    with open_client(url, token) as client:
        try:
            record = client.item(item_id)
            identity = _case_identity(client, record["case_id"], identity_file)
            with contextlib.ExitStack() as stack:
                out = stack.enter_context(_private_file(tmp))
                kept = stack.enter_context(_private_file(keep_tmp)) if keep_tmp else None
                download = stack.enter_context(client.content(item_id))
                progress = stack.enter_context(
                    Progress(
                        TextColumn(item_id[:8]),
                        BarColumn(),
                        DownloadColumn(),
                        TransferSpeedColumn(),
                        console=console,
                        transient=True,
                    )
                )
                task = progress.add_task("fetch", total=record["ciphertext_size"])
                sealed, plain = hashlib.sha256(), hashlib.sha256()
                dec = Decryptor([identity])
                size = 0
                try:
                    for chunk in download.chunks:
                        sealed.update(chunk)
                        if kept is not None:
                            kept.write(chunk)
                        block = dec.update(chunk)
                        plain.update(block)
                        size += len(block)
                        out.write(block)
                        progress.advance(task, len(chunk))
                    block = dec.finalize()
                except CryptoError as exc:
                    raise _fail(f"item {item_id} does not decrypt: {exc}") from exc
                plain.update(block)
                size += len(block)
                out.write(block)
                announced = _repr_digest(download.headers.get("repr-digest"))
            _sync(tmp)
            if sealed.hexdigest() != record["ciphertext_sha256"] or (
                announced is not None and announced != record["ciphertext_sha256"]
            ):
                raise _fail(f"item {item_id}: the ciphertext's SHA-256 is not the recorded one")
            if plain.hexdigest() != record["plaintext_sha256"] or size != record["size"]:
                raise _fail(f"item {item_id}: the plaintext's SHA-256 is not the recorded one")
            os.replace(tmp, output)
            if keep_tmp is not None and ciphertext is not None:
                _sync(keep_tmp)
                os.replace(keep_tmp, ciphertext)
        except ClientError as exc:
            raise server_failure(exc) from exc
        finally:
            tmp.unlink(missing_ok=True)
            if keep_tmp is not None:
                keep_tmp.unlink(missing_ok=True)
    console.print(
        f"vault: item {item_id}: {size} bytes, SHA-256 {record['plaintext_sha256']} verified"
    )


@contextlib.contextmanager
def _private_file(path: Path) -> Iterator[BinaryIO]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        yield fh


def _sync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())
