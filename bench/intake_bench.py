"""Benchmark server-sealed intake over HTTP against ``age -r … -o file && sync`` (a script).

    .venv/bin/python bench/intake_bench.py --size-mib 1024 --runs 3 --rss-sizes 100,1024,4096

In one run, so ratios are comparable (PERF.md: absolute numbers drift by ±25%):

1. ``age -r RECIPIENT -o OUT IN && sync`` of the input file, onto the same disk;
2. ``curl -T IN -X POST`` to a real vault server (``uvicorn`` with httptools, the app built
   by ``create_app`` as ``vault serve`` does, SQLite + filesystem store in a fresh data dir)
   with legacy digests (SHA-1 + MD5) on, then off.  The time runs until the receipt is back,
   i.e. the ciphertext is fsynced, linked and the item + audit entry committed.

Each measurement gets a fresh data dir and a fresh server process.  Then the server's peak
RSS (``VmHWM`` from /proc, read just before it is stopped) for each of ``--rss-sizes``.
Results go to docs/benchmarks-intake.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]


# -- the server, in its own process ----------------------------------------------------------


def serve(data_dir: Path, port: int, legacy: bool) -> None:
    import uvicorn

    from api.app import create_app
    from vault.settings import Settings

    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # for experiments: the GIL hand-off period
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    settings = Settings(
        environment="test", data_dir=data_dir, legacy_digests=legacy, log_level="warning"
    )
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        http="httptools",
        log_level="warning",
        access_log=False,
    )


def bootstrap(data_dir: Path) -> tuple[str, str]:
    """A fresh vault with one investigator on one case: (token, case id)."""
    from vault.actors import Actor, RequestInfo
    from vault.context import Vault
    from vault.db import session_scope
    from vault.services import cases, members
    from vault.services.access import AuditNote
    from vault.settings import Settings

    vault = Vault.open(Settings(environment="test", data_dir=data_dir))
    try:
        with session_scope(vault.engine) as session:
            member, token = members.create_member(
                session, name="bench", role="investigator", recipient=None, token_ttl_days=1
            )
            case = cases.create_case(
                session, AuditNote(), title="BENCH", member_ids=[member.id], creator_id=member.id
            )
            vault.trail.record(
                session,
                actor=Actor.operator(),
                action="case.create",
                request=RequestInfo.cli("bench"),
                case_id=case.id,
            )
        return token.text, case.id
    finally:
        vault.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, legacy: bool) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data_dir), str(self.port), str(int(legacy))],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the vault server did not start") from None
                time.sleep(0.1)

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- measurements ----------------------------------------------------------------------------


def make_input(path: Path, size_mib: int) -> None:
    block = os.urandom(64 * MIB)
    with path.open("wb") as out:
        for i in range(size_mib):
            out.write(block[(i % 64) * MIB : (i % 64 + 1) * MIB])
        out.flush()
        os.fsync(out.fileno())


def drop_dirty() -> None:
    subprocess.run(["sync"], check=True)


def age_run(src: Path, work: Path, recipient: str) -> float:
    out = work / "age-out.age"
    drop_dirty()
    start = time.perf_counter()
    subprocess.run(["age", "-r", recipient, "-o", str(out), str(src)], check=True)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - start
    out.unlink()
    return elapsed


def vault_run(src: Path, work: Path, legacy: bool) -> tuple[float, float]:
    """Seconds for one upload until the receipt is back, and the server's peak RSS (MiB)."""
    data_dir = work / f"vault-{time.monotonic_ns()}"
    token, case_id = bootstrap(data_dir)
    server = Server(data_dir, legacy)
    try:
        drop_dirty()
        start = time.perf_counter()
        proc = subprocess.run(
            [
                "curl",
                "-sS",
                "--fail-with-body",
                "-X",
                "POST",
                "-T",
                str(src),
                "-H",
                f"Authorization: Bearer {token}",
                "-H",
                "Content-Type: application/octet-stream",
                "-H",
                "Expect:",
                f"http://127.0.0.1:{server.port}/v1/cases/{case_id}/items",
            ],
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"upload failed: {proc.stdout[:300]!r} {proc.stderr[:300]!r}")
        receipt = json.loads(proc.stdout)
        assert receipt["size"] == src.stat().st_size
        rss = server.peak_rss_mib()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return elapsed, rss


def mib_s(size_mib: int, seconds: float) -> float:
    return size_mib / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rss-sizes", default="100,1024,4096")
    parser.add_argument("--work", type=Path, default=None, help="scratch dir (same disk)")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()

    for tool in ("age", "curl", "sync"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is required")
    from crypto.age import X25519Identity

    recipient = X25519Identity.generate().recipient.encode()
    work = Path(tempfile.mkdtemp(prefix="intake-bench-", dir=args.work))
    results: dict[str, object] = {"size_mib": args.size_mib, "runs": args.runs}
    try:
        if not args.skip_throughput:
            src = work / "input.bin"
            make_input(src, args.size_mib)
            age_t, on_t, off_t = [], [], []
            for run in range(args.runs):
                age_t.append(age_run(src, work, recipient))
                on_t.append(vault_run(src, work, legacy=True)[0])
                off_t.append(vault_run(src, work, legacy=False)[0])
                print(
                    f"run {run + 1}: age {mib_s(args.size_mib, age_t[-1]):.0f} MiB/s, "
                    f"vault+legacy {mib_s(args.size_mib, on_t[-1]):.0f}, "
                    f"vault {mib_s(args.size_mib, off_t[-1]):.0f}",
                    flush=True,
                )
            med = {
                k: mib_s(args.size_mib, statistics.median(v))
                for k, v in {"age": age_t, "vault_legacy": on_t, "vault": off_t}.items()
            }
            results["median_mib_s"] = med
            results["ratio_legacy"] = med["vault_legacy"] / med["age"]
            results["ratio"] = med["vault"] / med["age"]
            src.unlink()
        rss: dict[str, float] = {}
        for size in [int(s) for s in args.rss_sizes.split(",") if s]:
            src = work / f"rss-{size}.bin"
            make_input(src, size)
            seconds, peak = vault_run(src, work, legacy=True)
            rss[str(size)] = peak
            print(
                f"rss {size} MiB: peak {peak:.1f} MiB ({mib_s(size, seconds):.0f} MiB/s)",
                flush=True,
            )
            src.unlink()
        results["peak_rss_mib"] = rss
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1")
    else:
        main()
