"""``vault keygen``, ``vault encrypt`` and ``vault decrypt``: age-compatible file encryption.

The files these commands write are plain age v1 files and key files: ``age -d -i`` reads
what ``vault encrypt`` writes and ``vault decrypt`` reads what ``age -r`` writes.  Data is
streamed in 1 MiB blocks; an output file (``-o``) is written to a temporary file beside
it, synced and renamed only on success, so a failed decryption never leaves a plaintext
that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import click

from crypto.age import Decryptor, Encryptor, X25519Identity, X25519Recipient, is_armored
from crypto.age.armor import ArmorDecoder
from crypto.errors import (
    AgeError,
    ArmorError,
    HeaderError,
    HeaderMacError,
    KeyFormatError,
    NoIdentityMatchError,
    PayloadError,
)
from vault.cli.common import EXIT_FAILURE, EXIT_USAGE, CliError

BLOCK_SIZE = 1024 * 1024
SYNC_EVERY = 64 * 1024 * 1024  # Sync while writing so the final fsync has little left.

_AGE_MESSAGES: dict[type[AgeError], tuple[str, str | None]] = {
    HeaderError: ("the input is not an age file, or its header is damaged", None),
    HeaderMacError: ("the file header was modified (header MAC mismatch)", None),
    NoIdentityMatchError: (
        "no identity matched any of the file's recipients",
        "check that -i names the key file the data was encrypted to",
    ),
    PayloadError: ("the encrypted data is damaged or truncated", None),
    ArmorError: ("the ASCII armor (PEM) around the file is malformed", None),
}


def _age_failure(exc: AgeError, *, partial_stdout: bool = False) -> CliError:
    message, hint = _AGE_MESSAGES.get(type(exc), ("decryption failed", None))
    if partial_stdout and isinstance(exc, PayloadError):
        hint = "the output written so far is incomplete and must be discarded"
    return CliError(message, hint=hint, status=EXIT_FAILURE)


# Key files ---------------------------------------------------------------------------


def identity_file_text(identity: X25519Identity, now: datetime) -> str:
    """The same three lines as age-keygen writes."""
    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"# created: {created}\n# public key: {identity.recipient.encode()}\n{identity.encode()}\n"
    )


def _key_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", status=EXIT_USAGE) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def read_identities(path: Path) -> list[X25519Identity]:
    """Identities of an age key file: comments (#) and blank lines are skipped."""
    found = []
    for number, line in _key_lines(path):
        try:
            found.append(X25519Identity.parse(line))
        except KeyFormatError as exc:
            # Never echo the line: it may be a secret key with a typo.
            raise CliError(
                f"{path}, line {number}: not an age X25519 identity (AGE-SECRET-KEY-1…)",
                status=EXIT_USAGE,
            ) from exc
    if not found:
        raise CliError(f"{path}: no identity found", status=EXIT_USAGE)
    return found


def _parse_recipient(text: str, where: str) -> X25519Recipient:
    try:
        return X25519Recipient.parse(text)
    except KeyFormatError as exc:
        raise CliError(
            f"{where}: not an age X25519 recipient: {text!r}",
            hint="recipients look like age1… (run 'vault keygen' to make one)",
            status=EXIT_USAGE,
        ) from exc


def read_recipients(path: Path) -> list[X25519Recipient]:
    return [_parse_recipient(line, f"{path}, line {n}") for n, line in _key_lines(path)]


# Streaming I/O -----------------------------------------------------------------------


class _Sink:
    """Writes blocks from a thread, so the disk works while the caller encrypts the next
    block (docs/PERF: overlap the disk with the CPU).  With ``fd`` set, the file is
    synced every 64 MiB and at the end."""

    def __init__(self, write: Callable[[bytes], object], fd: int | None = None) -> None:
        self._write = write
        self._fd = fd
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if data:
            self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        unsynced = 0
        try:
            while (data := self._queue.get()) is not None:
                self._write(data)
                unsynced += len(data)
                if self._fd is not None and unsynced >= SYNC_EVERY:
                    os.fdatasync(self._fd)
                    unsynced = 0
            if self._fd is not None:
                os.fsync(self._fd)
        except BaseException as exc:  # Reported to the caller by write()/close().
            self._error = exc
            while self._queue.get() is not None:  # Drain so write() never blocks forever.
                pass


def _write_fd(fd: int) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return write


@contextlib.contextmanager
def _output(out: Path | None) -> Iterator[_Sink]:
    """stdout, or a temp file beside ``out`` renamed over it only if the block succeeds."""
    if out is None:
        stdout = sys.stdout.buffer
        sink = _Sink(stdout.write)
        try:
            yield sink
        finally:
            sink.close()
            stdout.flush()
        return
    directory = out.parent if str(out.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=directory)
    try:
        sink = _Sink(_write_fd(fd), fd)
        try:
            yield sink
        finally:
            sink.close()
        os.close(fd)
        fd = -1
        os.replace(tmp, out)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _blocks(src: BinaryIO) -> Iterator[bytes]:
    while block := src.read(BLOCK_SIZE):
        yield block


def _pump(src: BinaryIO, sink: _Sink, update: Callable[[bytes], bytes], first: bytes = b"") -> None:
    if first:
        sink.write(update(first))
    for block in _blocks(src):
        sink.write(update(block))


@contextlib.contextmanager
def _input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise CliError(f"cannot open {path}: {exc.strerror}", status=EXIT_USAGE) from exc
    with f:
        yield f


# Commands ----------------------------------------------------------------------------

_out_option = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)


@click.command("keygen")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the identity to this file (mode 0600); refuses to overwrite.",
)
def keygen(output: Path | None) -> None:
    """Generate an age X25519 identity (like age-keygen)."""
    identity = X25519Identity.generate()
    text = identity_file_text(identity, datetime.now(UTC))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CliError(f"{output} already exists; not overwriting it", status=EXIT_USAGE) from exc
    except OSError as exc:
        raise CliError(f"cannot create {output}: {exc.strerror}", status=EXIT_USAGE) from exc
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    click.echo(f"Public key: {identity.recipient.encode()}", err=True)


@click.command("encrypt")
@click.option(
    "-r",
    "--recipient",
    "recipients",
    multiple=True,
    metavar="RECIPIENT",
    help="Encrypt to this age1… recipient (repeatable).",
)
@click.option(
    "-R",
    "--recipients-file",
    "recipient_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Encrypt to the recipients listed in this file (repeatable).",
)
@click.option("-a", "--armor", is_flag=True, help="Write PEM-armored text.")
@_out_option
@click.argument("input_path", metavar="[INPUT]", default="-")
def encrypt(
    recipients: Sequence[str],
    recipient_files: Sequence[Path],
    armor: bool,
    output: Path | None,
    input_path: str,
) -> None:
    """Encrypt INPUT (default: standard input) to age recipients."""
    parsed = [_parse_recipient(r, "-r") for r in recipients]
    for path in recipient_files:
        parsed += read_recipients(path)
    if not parsed:
        raise CliError("no recipients", hint="pass -r age1… or -R FILE", status=EXIT_USAGE)
    if output is None and not armor and sys.stdout.isatty():
        raise CliError(
            "refusing to write binary ciphertext to a terminal",
            hint="pass -o FILE, or -a for armored text",
            status=EXIT_USAGE,
        )
    enc = Encryptor(parsed, armor=armor)
    with _input(input_path) as src, _output(output) as sink:
        _pump(src, sink, enc.update)
        sink.write(enc.finalize())


@click.command("decrypt")
@click.option(
    "-i",
    "--identity",
    "identity_files",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An age key file (repeatable); comments and several keys are allowed.",
)
@_out_option
@click.argument("input_path", metavar="[INPUT]", default="-")
def decrypt(identity_files: Sequence[Path], output: Path | None, input_path: str) -> None:
    """Decrypt INPUT (default: standard input); ASCII armor is detected automatically."""
    identities = [i for path in identity_files for i in read_identities(path)]
    try:
        with _input(input_path) as src, _output(output) as sink:
            first = src.read(BLOCK_SIZE)
            dec = Decryptor(identities)
            if is_armored(first):
                armor = ArmorDecoder()
                _pump(src, sink, lambda b: dec.update(armor.update(b)), first)
                sink.write(dec.update(armor.finalize()))
            else:
                _pump(src, sink, dec.update, first)
            sink.write(dec.finalize())
    except AgeError as exc:
        raise _age_failure(exc, partial_stdout=output is None) from exc


@click.group("age", context_settings={"help_option_names": ["-h", "--help"]})
def age_commands() -> None:
    """age-compatible keys and file encryption."""


age_commands.add_command(keygen)
age_commands.add_command(encrypt)
age_commands.add_command(decrypt)

if __name__ == "__main__":
    age_commands(prog_name="vault")
