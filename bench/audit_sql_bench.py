"""Durable audit-log appends on the vault's SQL store (SQLite WAL, synchronous=FULL).

Measured in one run, so the ratios hold even when the disk drifts:

* baseline: raw sqlite3, one 300-byte row INSERT + COMMIT per transaction (same pragmas);
* vault, one entry per transaction: AuditTrail.record (entry, Merkle nodes, signed
  checkpoint) + COMMIT, as every request does;
* vault, batched: 100 entries per transaction;
* inclusion-proof generation and verification at the final size.

    .venv/bin/python bench/audit_sql_bench.py [--entries 2000] [--proof-size 1000000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from audit.proof import verify_inclusion
from audit.rfc6962 import leaf_hash
from crypto.signing import SigningKey
from vault.actors import Actor, RequestInfo
from vault.auditlog import AuditTrail
from vault.db import create_schema, make_engine, session_scope

ACTOR = Actor("5b1c8f0e-1111-4222-8333-444455556666", "lawyer")
REQUEST = RequestInfo("0123456789abcdef0123456789abcdef", "203.0.113.7", "vault-cli/0.1")


def baseline(path: Path, n: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (idx INTEGER PRIMARY KEY, entry BLOB)")
    row = os.urandom(300)
    start = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?, ?)", (i, row))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return n / elapsed


def vault_appends(path: Path, n: int, per_tx: int) -> float:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    trail = AuditTrail("bench.example/log", SigningKey.generate())
    start = time.perf_counter()
    for base in range(0, n, per_tx):
        with session_scope(engine) as session:
            for i in range(base, min(n, base + per_tx)):
                trail.record(
                    session,
                    actor=ACTOR,
                    action="item.read",
                    request=REQUEST,
                    case_id="c7d1a0e2-0000-4000-8000-000000000001",
                    item_id="i7d1a0e2-0000-4000-8000-000000000002",
                    details={"i": i},
                )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return n / elapsed


def populate(engine: object, size: int) -> None:
    """Fill audit_leaf and audit_node as ``size`` appends would (same rows, same complete
    nodes), in bulk: timing a million ORM-level appends would measure the wrong thing."""
    import json

    from sqlalchemy import insert

    from audit.compact import CompactRange
    from vault.models import AuditLeaf, AuditNode

    compact = CompactRange()
    leaves: list[dict[str, object]] = []
    nodes: list[dict[str, object]] = []

    def flush() -> None:
        with engine.begin() as conn:  # type: ignore[attr-defined]
            if leaves:
                conn.execute(insert(AuditLeaf), leaves)
            if nodes:
                conn.execute(insert(AuditNode), nodes)
        leaves.clear()
        nodes.clear()

    for i in range(size):
        entry = json.dumps({"i": i, "subject": {"case": None, "item": None}}).encode()
        digest = leaf_hash(entry)
        leaves.append({"idx": i, "entry": entry, "leaf_hash": digest})
        nodes.extend({"level": lv, "idx": ix, "hash": h} for lv, ix, h in compact.append(digest))
        if len(leaves) >= 20_000:
            flush()
    flush()


def proofs(path: Path, size: int, samples: int = 200) -> tuple[float, float, float]:
    """Populate a log of ``size`` entries, then time proofs through the SQL LeafStore."""
    import json

    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    trail = AuditTrail("bench.example/log", SigningKey.generate())
    t0 = time.perf_counter()
    populate(engine, size)
    fill = time.perf_counter() - t0
    gen, ver = [], []
    with session_scope(engine) as session:
        log = trail.log(session)
        root = log.root(size)
        for k in range(samples):
            index = (k * 7919) % size
            entry = json.dumps({"i": index, "subject": {"case": None, "item": None}}).encode()
            t1 = time.perf_counter()
            proof = log.inclusion_proof(index, size)
            t2 = time.perf_counter()
            verify_inclusion(index, size, leaf_hash(entry), proof, root)
            t3 = time.perf_counter()
            gen.append(t2 - t1)
            ver.append(t3 - t2)
    engine.dispose()
    return statistics.median(gen) * 1000, statistics.median(ver) * 1000, fill


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", ".")) as d:
        tmp = Path(d)
        base = baseline(tmp / "baseline.db", args.entries)
        one = vault_appends(tmp / "one.db", args.entries, 1)
        batched = vault_appends(tmp / "batched.db", args.entries * 5, 100)
        print(f"raw sqlite3 commit per row:     {base:9.0f} rows/s")
        print(f"vault, one entry per commit:    {one:9.0f} entries/s  ({one / base:.2f}x raw)")
        print(
            f"vault, 100 entries per commit:  {batched:9.0f} entries/s  ({batched / base:.2f}x raw)"
        )
        gen_ms, ver_ms, fill = proofs(tmp / "proofs.db", args.proof_size)
        print(
            f"inclusion proof at {args.proof_size} entries (filled in {fill:.0f} s): "
            f"generate {gen_ms:.3f} ms, verify {ver_ms:.3f} ms (medians of 200)"
        )


if __name__ == "__main__":
    main()
