"""Benchmark storage/ against plain writes (a script, not a test).

    .venv/bin/python bench/storage_bench.py --size-mib 1024 --s3-size-mib 256 --runs 3

Measures, in one run so that ratios are comparable (PERF.md: absolute numbers drift):

1. ``FilesystemStore.put`` (SHA-256, fdatasync every 64 MiB, fsync, link, directory fsync)
   vs a ``dd``-like Python write of the same bytes with one fsync at the end;
2. ``S3Store.put`` on a local moto server vs minio's own ``fput_object`` of the same bytes
   from a file (moto is the bottleneck: it holds objects in RAM and parses in Python).

Input is a 64 MiB random block repeated, fed in 1 MiB chunks; results go to docs/storage.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from minio import Minio

from storage.filesystem import FilesystemStore
from storage.s3 import S3Store

MIB = 1024 * 1024
BLOCK = os.urandom(64 * MIB)
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "storage"))
from moto_server import start_moto  # noqa: E402 - a test helper, found via the path above


def chunks(size_mib: int) -> Iterator[bytes]:
    view = memoryview(BLOCK)
    for i in range(size_mib):
        offset = (i % 64) * MIB
        yield bytes(view[offset : offset + MIB])


def plain_write(path: Path, size_mib: int) -> None:
    with path.open("wb") as out:
        for chunk in chunks(size_mib):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(
    name_a: str,
    a: Callable[[], object],
    name_b: str,
    b: Callable[[], object],
    size_mib: int,
    runs: int,
) -> None:
    times: dict[str, list[float]] = {name_a: [], name_b: []}
    for _ in range(runs):  # alternate, so drift hits both sides alike
        times[name_a].append(timed(a))
        times[name_b].append(timed(b))
    rates = {name: size_mib / statistics.median(ts) for name, ts in times.items()}
    for name, rate in rates.items():
        print(f"  {name:<40} {rate:8.1f} MiB/s (median of {runs})")
    print(f"  ratio {name_a} / {name_b}: {rates[name_a] / rates[name_b]:.2f}")


def bench_filesystem(work: Path, size_mib: int, runs: int) -> None:
    print(f"filesystem, {size_mib} MiB:")
    store = FilesystemStore(work / "store")
    plain = work / "plain.bin"

    def put() -> None:
        store.put(f"bench/{uuid.uuid4()}", chunks(size_mib))

    def dd() -> None:
        plain.unlink(missing_ok=True)
        plain_write(plain, size_mib)

    compare("FilesystemStore.put", put, "plain write + one fsync", dd, size_mib, runs)


def bench_s3(work: Path, size_mib: int, runs: int) -> None:
    print(f"S3 on moto, {size_mib} MiB:")
    endpoint, stop = start_moto()
    try:
        store = S3Store(endpoint, "bench", "bench", "vault-bench", secure=False, region="us-east-1")
        store.ensure_bucket()
        client = Minio(endpoint, "bench", "bench", secure=False, region="us-east-1")
        source = work / "s3-source.bin"
        plain_write(source, size_mib)

        def put() -> None:
            store.put(f"bench/{uuid.uuid4()}", chunks(size_mib))

        def fput() -> None:
            client.fput_object(
                "vault-bench", f"fput/{uuid.uuid4()}", str(source), part_size=store.part_size
            )

        compare("S3Store.put", put, "minio fput_object", fput, size_mib, runs)
    finally:
        stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--s3-size-mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where temp files go: a real disk, not tmpfs"
    )
    parser.add_argument("--skip-s3", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storage-bench-", dir=args.dir) as tmp:
        bench_filesystem(Path(tmp), args.size_mib, args.runs)
        if not args.skip_s3:
            bench_s3(Path(tmp), args.s3_size_mib, args.runs)


if __name__ == "__main__":
    main()
