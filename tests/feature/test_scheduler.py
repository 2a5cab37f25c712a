"""Persisted scheduling on a real SQLite file, with a movable clock and real timers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.scheduling.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.job_repository import JobRepository
from bot.storage.migrations import migrate
from tests.support.clock import MovableClock

T0 = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):
    database = Database(tmp_path / "jobs.db")
    await database.open()
    await migrate(database)
    yield database
    await database.close()


def make(db: Database, clock: MovableClock, seen: list) -> Scheduler:
    scheduler = Scheduler(JobRepository(db), clock)

    async def remember(payload: dict) -> None:
        seen.append(payload["n"])

    async def explode(payload: dict) -> None:
        raise RuntimeError("job bug")

    scheduler.register("remember", remember)
    scheduler.register("explode", explode)
    return scheduler


async def test_due_jobs_run_once_in_time_order(db: Database) -> None:
    clock, seen = MovableClock(T0), []
    scheduler = make(db, clock, seen)
    await scheduler.schedule("b", "remember", T0 + timedelta(minutes=10), {"n": 2})
    await scheduler.schedule("a", "remember", T0 + timedelta(minutes=5), {"n": 1})
    assert await scheduler.run_due() == 0
    clock.advance(timedelta(minutes=11))
    assert await scheduler.run_due() == 2
    assert seen == [1, 2]
    assert await scheduler.run_due() == 0 and seen == [1, 2]


async def test_rescheduling_replaces_and_cancel_drops(db: Database) -> None:
    clock, seen = MovableClock(T0), []
    scheduler = make(db, clock, seen)
    await scheduler.schedule("t1:checkin", "remember", T0 + timedelta(minutes=5), {"n": 1})
    await scheduler.schedule("t1:checkin", "remember", T0 + timedelta(minutes=20), {"n": 9})
    await scheduler.schedule("t1:start", "remember", T0 + timedelta(minutes=30), {"n": 3})
    await scheduler.schedule("t2:start", "remember", T0 + timedelta(minutes=30), {"n": 4})
    clock.advance(timedelta(minutes=10))
    assert await scheduler.run_due() == 0
    assert await scheduler.cancel_prefix("t1:") == 2
    clock.advance(timedelta(hours=1))
    await scheduler.run_due()
    assert seen == [4]


async def test_a_failing_job_does_not_stop_the_others(db: Database) -> None:
    clock, seen = MovableClock(T0), []
    scheduler = make(db, clock, seen)
    await scheduler.schedule("x", "explode", T0, {})
    await scheduler.schedule("y", "remember", T0, {"n": 7})
    assert await scheduler.run_due() == 2
    assert seen == [7]


async def test_unknown_kind_is_refused(db: Database) -> None:
    scheduler = make(db, MovableClock(T0), [])
    with pytest.raises(ValueError, match="no handler"):
        await scheduler.schedule("z", "nope", T0, {})


async def test_restart_restores_pending_jobs_and_real_timers_fire(db: Database) -> None:
    real_now = datetime.now(UTC)
    clock, seen = MovableClock(real_now), []
    first = make(db, clock, seen)
    await first.schedule("missed", "remember", real_now - timedelta(minutes=1), {"n": 1})
    await first.schedule("soon", "remember", real_now + timedelta(milliseconds=300), {"n": 2})
    await first.schedule("later", "remember", real_now + timedelta(days=1), {"n": 3})
    # "Crash": the first scheduler never started; a new one on the same database does.
    clock.current = datetime.now(UTC)
    second = make(db, clock, seen)
    assert await second.start() == 3
    try:
        async with asyncio.timeout(5):
            while seen != [1, 2]:
                clock.current = datetime.now(UTC)
                await asyncio.sleep(0.05)
    finally:
        await second.stop()
    assert [j.job_id for j in await JobRepository(db).pending()] == ["later"]
