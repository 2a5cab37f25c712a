"""Timings of the sessions feature against its targets.

Restore (`bench_restore`): 10,000 persisted jobs restored at start.
  * `scheduler_start_ms`: `Scheduler.start()` on a database holding 10,000 pending jobs
    (the scheduler arms one timer for the soonest job; target < 2,000 ms).
  * `haven_start_ms`: `Haven.start()` (no adapters) with 5,000 scheduled weekly sessions,
    i.e. 10,000 jobs (reminder + start each), including the sessions feature's
    reconciliation at start (target < 2,000 ms).
  * baseline `aps_per_job_ms`: a bare APScheduler `AsyncIOScheduler` arming one timer per
    job for the same 10,000 jobs (what the scheduler did before this benchmark).
  Each figure is the median of `--runs` runs, in ms. The rows are written with bulk SQL
  (setup is not timed).

Fan-out (`bench_fanout`): one reminder to 1,000 members who signed up. The reminder job
runs through `scheduler.run_due` (the real handler: claim each reminder in SQLite, then
`send_private`) on a recording platform that spends `--send-ms` (default 20 ms, about a
REST round trip to a nearby Discord or Synapse server) per private message. Baseline: the
same number of sends with the same per-send cost and concurrency, with no Haven around
them (the floor any bot pays). Targets: all 1,000 out within 10 s, and Haven's own cost
at most 2 ms per reminder (total minus baseline, divided by the member count). The
Discord emulator was not used: its per-DM cost is the emulator's, not Discord's.

Usage (from the repository root)::

    python -m bench.sessions_bench [--jobs 10000] [--members 1000] [--send-ms 20]
                                   [--runs 5] [--json] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.commands import Command
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.ports import SystemClock
from bot.core.replies import Reply
from bot.features.sessions import service as sessions_service
from bot.scheduling.scheduler import Scheduler
from bot.settings import DatabaseSettings, Settings
from bot.storage.database import Database
from bot.storage.job_repository import JobRepository
from bot.storage.migrations import migrate
from bot.storage.timestamps import to_text

RESTORE_TARGET_MS = 2000.0
FANOUT_TARGET_MS = 10_000.0
FANOUT_OVERHEAD_TARGET_MS = 2.0  # Haven's own cost per reminder


@dataclass
class BenchPlatform:
    """A ChatPlatform that records sends and spends `send_cost` seconds on each DM."""

    name: str = "bench"
    send_cost: float = 0.02
    private: int = 0
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def command_syntax(self, command: Command, translate: Any) -> str:
        return f"!{command.qualified_name}"

    def room_for(self, purpose: str) -> RoomRef | None:
        return None

    def mention(self, person: PersonRef) -> str:
        return f"@{person.user_id}"

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        self.sent.append((room.room_id, reply))
        return MessageRef(self.name, room.room_id, str(len(self.sent)))

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        if self.send_cost:
            await asyncio.sleep(self.send_cost)
        self.private += 1
        return MessageRef(self.name, f"dm:{person.user_id}", str(self.private))


# -- restore -------------------------------------------------------------------------------


async def _fill_jobs(db: Database, jobs: int, first: datetime) -> None:
    rows = [
        (f"bench:{i}", "bench.noop", to_text(first + timedelta(seconds=i)), "{}", to_text(first))
        for i in range(jobs)
    ]
    await db.executemany(
        "INSERT INTO scheduled_job (job_id, kind, run_at, payload_json, created_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        rows,
    )


async def _fill_sessions(db: Database, sessions: int, first: datetime) -> None:
    rows, jobs = [], []
    for i in range(1, sessions + 1):
        start = first + timedelta(minutes=i)
        when = to_text(start)
        rows.append((i, "bench", "lobby", f"Session {i}", "p_bench", "Europe/Brussels",
                     "weekly", when, when, 60, 30, to_text(first)))  # fmt: skip
        payload = json.dumps({"session": i, "at": to_text(start)})
        jobs.append((f"session:{i}:remind", sessions_service.REMIND_JOB,
                     to_text(start - timedelta(minutes=30)), payload, to_text(first)))  # fmt: skip
        jobs.append((f"session:{i}:start", sessions_service.START_JOB, to_text(start), payload,
                     to_text(first)))  # fmt: skip
    await db.executemany(
        "INSERT INTO session (session_id, platform, room_id, title, organiser, zone, every, "
        "first_at, next_at, length_minutes, remind_minutes, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        rows,
    )
    await db.executemany(
        "INSERT INTO scheduled_job (job_id, kind, run_at, payload_json, created_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        jobs,
    )


async def _drain() -> None:
    for _ in range(3):
        await asyncio.sleep(0.2)


async def _restore(jobs: int, runs: int, work: Path) -> dict[str, Any]:
    first = datetime.now(UTC) + timedelta(hours=1)
    db = Database(work / "restore.db")
    await db.open()
    await migrate(db)
    await _fill_jobs(db, jobs, first)
    pending = await JobRepository(db).pending()

    async def noop(payload: dict[str, Any]) -> None:
        return None

    scheduler_ms, baseline_ms = [], []
    for _ in range(runs):
        scheduler = Scheduler(JobRepository(db), SystemClock())
        scheduler.register("bench.noop", noop)
        started = time.perf_counter()
        restored = await scheduler.start()
        scheduler_ms.append((time.perf_counter() - started) * 1000)
        await scheduler.stop()
        assert restored == jobs, restored
    for _ in range(runs):
        started = time.perf_counter()
        aps = AsyncIOScheduler(timezone="UTC")
        aps.start()
        for job in pending:
            aps.add_job(noop, "date", args=[job.payload], run_date=job.run_at, id=job.job_id,
                        replace_existing=True, misfire_grace_time=None)  # fmt: skip
        baseline_ms.append((time.perf_counter() - started) * 1000)
        aps.shutdown(wait=False)
        await _drain()  # APScheduler queued a wake-up per job: let them pass, untimed
    await db.close()

    sessions = jobs // 2
    haven_ms = []
    for run in range(runs):
        path = work / f"haven-{run}.db"
        setup = Database(path)
        await setup.open()
        await migrate(setup)
        await _fill_sessions(setup, sessions, first)
        await setup.close()
        app = Haven(Settings(database=DatabaseSettings(path=path)), features=("sessions",))
        app.adapters.append(BenchPlatform())
        started = time.perf_counter()
        await app.start()
        haven_ms.append((time.perf_counter() - started) * 1000)
        assert await app.scheduler.jobs.count_pending() == jobs
        await app.close()
    return {
        "jobs": jobs,
        "runs": runs,
        "target_ms": RESTORE_TARGET_MS,
        "scheduler_start_ms": round(statistics.median(scheduler_ms), 2),
        "haven_start_ms": round(statistics.median(haven_ms), 2),
        "haven_sessions": sessions,
        "baseline_aps_per_job_ms": round(statistics.median(baseline_ms), 2),
    }


def bench_restore(
    jobs: int = 10_000, runs: int = 5, *, quiet: bool = False, work: Path | None = None
) -> dict[str, Any]:
    """Time restoring `jobs` persisted jobs at start; print (unless `quiet`) and return ms."""
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_restore(jobs, runs, work or Path(tmp)))
    worst = max(result["scheduler_start_ms"], result["haven_start_ms"])
    result["ok"] = worst <= RESTORE_TARGET_MS
    if not quiet:
        print(f"restore {jobs} persisted jobs at start, median of {runs}:")
        for label, key in (("Scheduler.start()", "scheduler_start_ms"),
                           (f"Haven.start(), {result['haven_sessions']} sessions",
                            "haven_start_ms")):  # fmt: skip
            value = result[key]
            verdict = "ok" if value <= RESTORE_TARGET_MS else "MISSED"
            print(f"  {label:<36} {value:9.1f} ms   (target {RESTORE_TARGET_MS:.0f} ms: "
                  f"{verdict})")  # fmt: skip
        baseline = result["baseline_aps_per_job_ms"]
        print(f"  {'baseline: one APScheduler timer/job':<36} {baseline:9.1f} ms   (ratio "
              f"{result['scheduler_start_ms'] / baseline:.4f})")  # fmt: skip
    return result


# -- fan-out -------------------------------------------------------------------------------


@dataclass
class FixedClock:
    """The Clock port, stopped at one moment (the fan-out must not depend on real time)."""

    current: datetime

    def now(self) -> datetime:
        return self.current


async def _fanout(members: int, send_cost: float, work: Path) -> dict[str, Any]:
    t0 = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    clock = FixedClock(t0)
    platform = BenchPlatform(send_cost=send_cost)
    app = Haven(
        Settings(database=DatabaseSettings(path=work / "fanout.db")),
        clock=clock,
        features=("basics", "sessions"),
    )
    app.adapters.append(platform)
    await app.open()
    try:
        command = app.registry.get("session schedule")
        assert command is not None
        worker = PersonRef("bench", "worker")
        args = {"title": "Bench night", "when": "2030-01-10 19:00", "every": "weekly"}
        room = RoomRef("bench", "lobby")
        reply = await app.dispatcher.invoke(
            Invocation(command, worker, frozenset({Role.MEMBER, Role.YOUTH_WORKER}), room, args),
            platform,
        )
        assert reply.text.startswith("📅"), reply.text
        service = app.services["sessions"]
        for i in range(members):
            person = await app.people.ensure_person("bench", f"member-{i:05d}")
            await service.repo.rsvp(1, person.person_id, t0)
        session = await service.repo.get(1)
        clock.current = session.remind_at
        started = time.perf_counter()
        ran = await app.scheduler.run_due()
        haven_ms = (time.perf_counter() - started) * 1000
        assert ran == 1 and platform.private == members, (ran, platform.private)
    finally:
        await app.close()

    # Baseline: the same sends, same cost and concurrency, nothing else.
    bare = BenchPlatform(send_cost=send_cost)
    gate = asyncio.Semaphore(sessions_service.FANOUT_CONCURRENCY)

    async def send(i: int) -> None:
        async with gate:
            await bare.send_private(PersonRef("bench", f"member-{i:05d}"), Reply("reminder"))

    started = time.perf_counter()
    await asyncio.gather(*(send(i) for i in range(members)))
    baseline_ms = (time.perf_counter() - started) * 1000
    return {"haven_ms": haven_ms, "baseline_ms": baseline_ms}


def bench_fanout(
    members: int = 1000, send_ms: float = 20.0, *, quiet: bool = False
) -> dict[str, Any]:
    """Time one reminder fan-out to `members`; print (unless `quiet`) and return ms."""
    with tempfile.TemporaryDirectory() as tmp:
        timed = asyncio.run(_fanout(members, send_ms / 1000, Path(tmp)))
    overhead = (timed["haven_ms"] - timed["baseline_ms"]) / members
    result = {
        "members": members,
        "send_ms": send_ms,
        "concurrency": sessions_service.FANOUT_CONCURRENCY,
        "haven_ms": round(timed["haven_ms"], 1),
        "baseline_ms": round(timed["baseline_ms"], 1),
        "overhead_per_reminder_ms": round(overhead, 3),
        "target_ms": FANOUT_TARGET_MS,
        "overhead_target_ms": FANOUT_OVERHEAD_TARGET_MS,
    }
    result["ok"] = result["haven_ms"] <= FANOUT_TARGET_MS and overhead <= FANOUT_OVERHEAD_TARGET_MS
    if not quiet:
        print(f"reminder fan-out to {members} members, {send_ms:g} ms per private message, "
              f"{result['concurrency']} in flight:")  # fmt: skip
        verdict = "ok" if result["haven_ms"] <= FANOUT_TARGET_MS else "MISSED"
        print(f"  haven (claim + send each)   {result['haven_ms']:9.1f} ms   "
              f"(target {FANOUT_TARGET_MS:.0f} ms: {verdict})")  # fmt: skip
        print(f"  baseline (sends only)       {result['baseline_ms']:9.1f} ms   "
              f"(ratio {result['haven_ms'] / max(result['baseline_ms'], 1e-9):.2f})")  # fmt: skip
        verdict = "ok" if overhead <= FANOUT_OVERHEAD_TARGET_MS else "MISSED"
        print(f"  Haven's cost per reminder   {overhead:9.3f} ms   "
              f"(target {FANOUT_OVERHEAD_TARGET_MS:.0f} ms: {verdict})")  # fmt: skip
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks; exit 1 with `--check` when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--send-ms", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args(argv)
    quiet = options.json
    results = {
        "restore": bench_restore(options.jobs, options.runs, quiet=quiet),
        "fanout": bench_fanout(options.members, options.send_ms, quiet=quiet),
    }
    if options.json:
        print(json.dumps(results, indent=2))
    ok = all(r["ok"] for r in results.values())
    return 0 if ok or not options.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
