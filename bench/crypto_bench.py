"""Benchmark crypto/age against the age tool (a script, not a test).

    .venv/bin/python bench/crypto_bench.py --size-mib 1024 --runs 3

Measures, in one run so that ratios are comparable (docs/PERF.md: absolute numbers drift):

1. our streaming Encryptor -> /dev/null  vs  ``age -r R -o /dev/null``;
2. ``vault encrypt -o FILE`` (which fsyncs)  vs  ``age -r R -o FILE && sync``;
3. peak RSS of the ``vault encrypt`` process for 100 MiB and the full size;
4. the bulk cipher inside the real pipeline (read -> SHA-256 -> STREAM -> /dev/null):
   PyNaCl (what crypto/ uses) vs pyca/cryptography (allowed here, forbidden in crypto/).

Results feed docs/benchmarks-crypto.md and docs/decisions/0002-bulk-cipher.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crypto.age import Encryptor, X25519Identity
from crypto.age.stream import CHUNK_SIZE, StreamEncryptor, chunk_nonce

MIB = 1024 * 1024
BLOCK = MIB
REPO = Path(__file__).resolve().parents[1]


def make_input(path: Path, size_mib: int) -> None:
    with path.open("wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(MIB))


def median_rate(size: int, runs: int, fn: Callable[[], None]) -> float:
    """Median MiB/s over ``runs`` timed calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return size / MIB / statistics.median(times)


def ours_to_null(src: Path, recipient: X25519Identity) -> None:
    enc = Encryptor([recipient.recipient])
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    with src.open("rb", buffering=0) as f, open(os.devnull, "wb") as out:
        while n := f.readinto(buf):
            out.write(enc.update(view[:n]))
        out.write(enc.finalize())


def pipeline(src: Path, seal: Callable[[memoryview, bool], bytes]) -> None:
    """read -> SHA-256 -> STREAM chunks -> /dev/null, the vault's intake path minus disk."""
    digest = hashlib.sha256()
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    with src.open("rb", buffering=0) as f, open(os.devnull, "wb") as out:
        while n := f.readinto(buf):
            digest.update(view[:n])
            out.write(seal(view[:n], False))
        out.write(seal(view[:0], True))


def pynacl_sealer() -> Callable[[memoryview, bool], bytes]:
    stream = StreamEncryptor(os.urandom(32))
    return lambda data, last: stream.finalize() if last else stream.update(data)


def pyca_sealer() -> Callable[[memoryview, bool], bytes]:
    """The same STREAM chunking as StreamEncryptor, sealing with pyca/cryptography."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    aead = ChaCha20Poly1305(os.urandom(32))
    pending = bytearray()
    counter = 0

    def seal(data: memoryview, last: bool) -> bytes:
        nonlocal pending, counter
        pending += data
        view = memoryview(pending)
        # Keep 1..64 KiB back until the end: the last chunk is sealed with the final flag.
        full = len(pending) // CHUNK_SIZE if last else (len(pending) - 1) // CHUNK_SIZE
        if last and full and full * CHUNK_SIZE == len(pending):
            full -= 1
        parts = []
        for i in range(full):
            chunk = view[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE]
            parts.append(aead.encrypt(chunk_nonce(counter, last=False), chunk, None))
            counter += 1
        if last:
            parts.append(
                aead.encrypt(chunk_nonce(counter, last=True), view[full * CHUNK_SIZE :], None)
            )
        view.release()
        pending = pending[full * CHUNK_SIZE :]
        return b"".join(parts)

    return seal


def run_timed(cmd: list[str], shell_sync: bool = False) -> None:
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    if shell_sync:
        subprocess.run(["sync"], check=True)


def peak_rss_mib(cmd: list[str]) -> float:
    """Peak resident set of one child process (os.wait4 gives that child's own rusage)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed with {proc.returncode}")
    return usage.ru_maxrss / 1024  # Linux reports KiB.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rss-sizes", default="100,1024", help="MiB sizes for the RSS check")
    parser.add_argument("--dir", type=Path, default=None, help="scratch dir on the real disk")
    args = parser.parse_args()
    age = shutil.which("age")
    if age is None:
        raise SystemExit("the age command is required")

    identity = X25519Identity.generate()
    recipient = identity.recipient.encode()
    vault_encrypt = [sys.executable, "-m", "vault.cli.age", "encrypt", "-r", recipient]
    scratch = Path(tempfile.mkdtemp(prefix="crypto-bench-", dir=args.dir or REPO / "bench"))
    try:
        src = scratch / "input.bin"
        make_input(src, args.size_mib)
        size = src.stat().st_size
        out = scratch / "out.age"
        r = args.runs
        results: dict[str, float] = {}
        results["ours_null"] = median_rate(size, r, lambda: ours_to_null(src, identity))
        results["age_null"] = median_rate(
            size, r, lambda: run_timed([age, "-r", recipient, "-o", os.devnull, str(src)])
        )
        results["vault_disk"] = median_rate(
            size, r, lambda: run_timed([*vault_encrypt, "-o", str(out), str(src)])
        )
        results["age_disk"] = median_rate(
            size, r, lambda: run_timed([age, "-r", recipient, "-o", str(out), str(src)], True)
        )
        results["pipe_pynacl"] = median_rate(size, r, lambda: pipeline(src, pynacl_sealer()))
        results["pipe_pyca"] = median_rate(size, r, lambda: pipeline(src, pyca_sealer()))

        rss: dict[int, float] = {}
        for mib in [int(x) for x in args.rss_sizes.split(",")]:
            part = scratch / f"rss-{mib}.bin"
            make_input(part, mib) if mib != args.size_mib else os.link(src, part)
            rss[mib] = peak_rss_mib([*vault_encrypt, "-o", str(out), str(part)])
            part.unlink()
        age_rss = peak_rss_mib([age, "-r", recipient, "-o", str(out), str(src)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"# crypto bench: {args.size_mib} MiB random input, median of {args.runs} runs\n")
    print("| measurement | MiB/s |\n|---|---:|")
    for key, value in results.items():
        print(f"| {key} | {value:,.0f} |")
    print("\n| ratio | value |\n|---|---:|")
    print(f"| ours / age, in memory | {results['ours_null'] / results['age_null']:.2f} |")
    disk_ratio = results["vault_disk"] / results["age_disk"]
    print(f"| vault encrypt / age, to disk + sync | {disk_ratio:.2f} |")
    print(f"| PyNaCl / pyca pipeline | {results['pipe_pynacl'] / results['pipe_pyca']:.2f} |")
    print("\n| peak RSS | MiB |\n|---|---:|")
    for mib, value in rss.items():
        print(f"| vault encrypt, {mib} MiB input | {value:.1f} |")
    print(f"| age, {args.size_mib} MiB input | {age_rss:.1f} |")


if __name__ == "__main__":
    main()
