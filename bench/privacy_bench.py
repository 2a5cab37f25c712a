"""Timings of the retention purge and of `audit verify` against their targets.

Purge (`bench_purge`): a fresh SQLite file holds `rows` expired rows plus `rows // 100`
that must stay, in `processed_event` (a plain retained table, purged by
`RetentionRepository.purge`) and in the hash-chained `audit_event` (purged by
`AuditRepository.purge_before`, which removes a prefix of the chain and moves the anchor).
Each is timed two ways: everything in one transaction, and `batch` rows per transaction
(what the bot does: 50,000 for plain tables, 20,000 for the audit, whose batches also move
the anchor and append an `audit.purge` entry).
While a purge runs, a probe asks the database `SELECT 1` every 5 ms, as a command would;
its longest wait ("max stall") is how long the bot could not answer. Memory: the peak of
Python allocations during the purge (tracemalloc) and the process's peak RSS before and
after, and CPU seconds (all threads). Target: a million rows in under 10 s, memory flat.

Verify (`bench_verify`): `AuditRepository.verify()` over `rows` chained entries (streamed
in pages). Target: a million entries in under 10 s, memory flat.

Usage (from the repository root)::

    python -m bench.privacy_bench [--rows 1000000] [--batch 50000] [--json] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import environment
from bot.features.privacy.repository import RetentionRepository
from bot.storage.audit_repository import GENESIS, AuditRepository, canonical_detail, entry_hash
from bot.storage.database import Database
from bot.storage.migrations import migrate
from bot.storage.retention import Retained
from bot.storage.timestamps import to_text

TARGET_S = 10.0
ROWS = 1_000_000
BATCH = {"processed_event": 50_000, "audit_event": 20_000}  # the bot's defaults
ROWS_ALL = 1 << 62  # `batch` meaning: all in one transaction
NOW = datetime(2031, 6, 1, 3, 30, tzinfo=UTC)
OLD = NOW - timedelta(days=2000)  # past every retention period
PROCESSED = Retained("processed_event", "operational", "processed_at")


def rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def open_db(path: Path) -> Database:
    db = Database(path)
    await db.open()
    await migrate(db)
    return db


def fill_processed(path: Path, old: int, fresh: int) -> None:
    """`old` expired and `fresh` recent processed events, written straight with sqlite3."""
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO processed_event (platform, event_id, processed_at) VALUES (?, ?, ?)",
            (
                (
                    "matrix",
                    f"$e{i}",
                    to_text(OLD + timedelta(seconds=i)) if i < old else to_text(NOW),
                )
                for i in range(old + fresh)
            ),
        )
    conn.close()


def fill_audit(path: Path, old: int, fresh: int) -> None:
    """A chain of `old` expired then `fresh` recent audit entries (hashes as `record` makes)."""
    prev = GENESIS

    def rows() -> Any:
        nonlocal prev
        for seq in range(1, old + fresh + 1):
            at = to_text(OLD + timedelta(seconds=seq) if seq <= old else NOW - timedelta(days=1))
            actor = f"p_{seq % 5000:016x}"
            obj = f"t{seq % 300}"
            detail = canonical_detail({"n": seq, "by": "bench"})
            digest = entry_hash(prev, seq, at, actor, "bench.entry", obj, detail)
            yield seq, at, actor, "bench.entry", obj, detail, prev, digest
            prev = digest

    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO audit_event (seq, at, actor, action, object, detail_json, prev_hash, "
            "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
    conn.close()


async def measured(
    db: Database, work: Callable[[], Awaitable[int]], *, trace: bool = True
) -> dict[str, float | int]:
    """Run `work` with the stall probe (and tracemalloc when `trace`: it slows code that
    allocates a lot, such as hashing); seconds, max stall, memory."""
    stop = asyncio.Event()
    stalls: list[float] = []

    async def probe() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await db.fetchval("SELECT 1")
            stalls.append(time.perf_counter() - start)
            await asyncio.sleep(0.005)

    rss_before = rss_mib()
    if trace:
        tracemalloc.start()
    prober = asyncio.create_task(probe())
    start, cpu_start = time.perf_counter(), time.process_time()
    removed = await work()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    stop.set()
    await prober
    peak = tracemalloc.get_traced_memory()[1] if trace else float("nan")
    tracemalloc.stop()
    return {
        "removed": removed,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # all threads: SQLite's work included
        "max_stall_ms": round(max(stalls, default=0.0) * 1000, 1),
        "python_peak_mib": round(peak / 2**20, 2),
        "rss_before_mib": round(rss_before, 1),
        "rss_after_mib": round(rss_mib(), 1),
    }


async def bench_purge(
    rows: int = ROWS,
    batch: int | None = None,
    *,
    quiet: bool = False,
    work_dir: Path | None = None,
) -> dict[str, Any]:
    """Purge `rows` expired rows from each table, in one transaction and in batches of
    `batch` (default: the bot's own batch size for that table)."""
    fresh = max(1, rows // 100)
    result: dict[str, Any] = {"rows": rows, "kept": fresh, "target_s": TARGET_S}
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for table, fill in (("processed_event", fill_processed), ("audit_event", fill_audit)):
            filled = Path(tmp) / f"{table}.db"
            await (await open_db(filled)).close()
            fill(filled, rows, fresh)
            for mode in ("one", "batched"):
                path = Path(tmp) / f"{table}-{mode}.db"
                shutil.copyfile(filled, path)
                db = await open_db(path)
                try:
                    size = ROWS_ALL if mode == "one" else (batch or BATCH[table])
                    result[f"{table}_batch"] = batch or BATCH[table]
                    figures = await measured(db, partial(purge, db, table, size))
                    figures["left"] = await db.fetchval(
                        f"SELECT COUNT(*) FROM {table} WHERE {KEPT[table]}"
                    )
                    if table == "audit_event":
                        figures["verifies"] = (await AuditRepository(db).verify()).ok
                    figures["ok"] = (
                        figures["removed"] == rows and figures["left"] == fresh
                        and figures.get("verifies", True) and figures["seconds"] <= TARGET_S
                    )  # fmt: skip
                    result[f"{table}_{mode}"] = figures
                finally:
                    await db.close()
                path.unlink()
            filled.unlink()
    result["ok"] = all(v["ok"] for v in result.values() if isinstance(v, dict))
    if not quiet:
        print(
            f"retention purge of {rows:,} expired rows ({fresh:,} kept; target {TARGET_S:.0f} s)"
        )
        for key, figures in result.items():
            if isinstance(figures, dict):
                print(f"  {key:24} {describe(figures)}")
    return result


KEPT = {"processed_event": "1 = 1", "audit_event": "action = 'bench.entry'"}


async def purge(db: Database, table: str, batch: int) -> int:
    """Purge one table with the bot's own code, `batch` rows per transaction."""
    if table == "audit_event":
        return await AuditRepository(db).purge_before(NOW - timedelta(days=1825), NOW, batch)
    return await RetentionRepository(db).purge(PROCESSED, NOW - timedelta(days=30), batch)


def describe(figures: dict[str, Any]) -> str:
    """One line of figures."""
    verdict = "ok" if figures["ok"] else "MISSED"
    return (
        f"{figures['seconds']:6.2f} s ({verdict}; cpu {figures['cpu_seconds']:.2f} s)"
        f"  max stall {figures['max_stall_ms']:7.1f} ms"
        f"  python peak {figures['python_peak_mib']:5.2f} MiB"
        f"  peak RSS {figures['rss_before_mib']:.0f} -> {figures['rss_after_mib']:.0f} MiB"
    )


async def bench_verify(
    rows: int = ROWS, *, quiet: bool = False, work_dir: Path | None = None
) -> dict[str, Any]:
    """Walk a chain of `rows` entries with `AuditRepository.verify`."""
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        path = Path(tmp) / "verify.db"
        db = await open_db(path)
        await db.close()
        fill_audit(path, rows, 0)
        db = await open_db(path)
        try:
            audit = AuditRepository(db)
            verification: Any = None

            async def work() -> int:
                nonlocal verification
                verification = await audit.verify()
                return verification.count

            figures = await measured(db, work, trace=False)
        finally:
            await db.close()
    result: dict[str, Any] = {
        "rows": rows, "target_s": TARGET_S, "chain_ok": verification.ok, **figures,
    }  # fmt: skip
    result["ok"] = (
        verification.ok and figures["removed"] == rows and figures["seconds"] <= TARGET_S
    )
    if not quiet:
        print(f"audit verify over {rows:,} entries, target {TARGET_S:.0f} s:")
        print(f"  {'audit_event_verify':24} {describe(result)}")
    return result


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="expired rows (default 1e6)")
    parser.add_argument(
        "--batch", type=int, default=None, help="rows per transaction (default: the bot's)"
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="where the files go")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and print the figures (exit status 1 on a miss with --check)."""
    args = build_parser().parse_args(argv)

    async def both() -> dict[str, Any]:
        return {
            "purge": await bench_purge(
                args.rows, args.batch, quiet=args.json, work_dir=args.work_dir
            ),
            "verify": await bench_verify(args.rows, quiet=args.json, work_dir=args.work_dir),
        }

    results = asyncio.run(both())
    if args.json:
        print(json.dumps({**results, "environment": environment(("aiosqlite",))}))
    missed = not all(r["ok"] for r in results.values())
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
