"""Benchmark the audit log: appends, proof generation and full offline verification.

    .venv/bin/python bench/audit_bench.py [--entries 1000000]

Everything runs in memory (MemoryLeafStore); durable SQL appends are measured with vault/.
Prints a Markdown table for docs/benchmarks-audit.md.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.entry import GENESIS_PREV, AuditEntry, format_time
from audit.log import MerkleLog
from audit.memory_store import MemoryLeafStore
from audit.note import SIG_TYPE_ED25519, VerifierKey
from audit.proof import verify_inclusion
from audit.rfc6962 import leaf_hash
from audit.verifier import verify_log
from crypto.signing import SigningKey

ORIGIN = "bench.example.org/audit"
KEY = SigningKey(bytes(32))
# Canonical RFC 8785 layout of a typical download entry (keys sorted, no spaces); checked below.
TEMPLATE = (
    '{{"action":"item.download","actor":{{"id":"u-{u}","role":"investigator"}},'
    '"details":{{"sha256":"{digest}","size":{size}}},"index":{i},'
    '"outcome":{{"reason":null,"result":"allowed"}},"prev":"{prev}",'
    '"request":{{"client":"203.0.113.7","id":"r-{i}","user_agent":"bench/1.0"}},'
    '"subject":{{"case":"c-1","item":"i-{i}"}},"time":"{time}","v":1}}'
)


def make_entries(n: int) -> list[bytes]:
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    out, prev = [], GENESIS_PREV
    for i in range(n):
        data = TEMPLATE.format(
            u=i % 97,
            digest=f"{i:064x}",
            size=i * 7,
            i=i,
            prev=prev,
            time=format_time(t0 + timedelta(microseconds=i * 1000)),
        ).encode()
        out.append(data)
        prev = hashlib.sha256(data).hexdigest()
    for data in out[:1000]:
        AuditEntry.parse(data)  # the template really is canonical
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()
    n = args.entries
    rows: list[tuple[str, str]] = []

    entries = make_entries(n)

    log = MerkleLog(MemoryLeafStore())
    start = time.perf_counter()
    for data in entries:
        log.append(data)
    elapsed = time.perf_counter() - start
    rows.append(("MerkleLog.append (memory store)", f"{n / elapsed:,.0f} appends/s"))

    rng = random.Random(1)
    root = log.root()
    samples = []
    for _ in range(args.proofs):
        i = rng.randrange(n)
        start = time.perf_counter()
        proof = log.inclusion_proof(i, n)
        samples.append(time.perf_counter() - start)
        verify_inclusion(i, n, leaf_hash(entries[i]), proof, root)
    samples.sort()
    rows.append(
        (
            f"inclusion proof at size {n:,}",
            f"median {statistics.median(samples) * 1e3:.3f} ms, "
            f"p99 {samples[int(len(samples) * 0.99)] * 1e3:.3f} ms",
        )
    )
    samples = []
    for _ in range(args.proofs // 4):
        m = rng.randrange(1, n)
        start = time.perf_counter()
        log.consistency_proof(m, n)
        samples.append(time.perf_counter() - start)
    rows.append(("consistency proof", f"median {statistics.median(samples) * 1e3:.3f} ms"))

    note = sign_checkpoint(Checkpoint(ORIGIN, n, root), ORIGIN, KEY)
    vkey = VerifierKey(ORIGIN, SIG_TYPE_ED25519, KEY.public_key)
    lines = [e + b"\n" for e in entries]
    start = time.perf_counter()
    verify_log(lines, note, vkey)
    elapsed = time.perf_counter() - start
    rows.append((f"verify_log, {n:,} entries", f"{elapsed:.1f} s ({n / elapsed:,.0f} entries/s)"))

    print(f"Python {platform.python_version()}, {platform.machine()}, {platform.processor()}")
    print("| measurement | result |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
