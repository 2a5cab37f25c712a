"""The scheduler's single timer (changed for the sessions benchmark) with real time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.scheduling.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.job_repository import JobRepository
from bot.storage.migrations import migrate
from tests.support.clock import MovableClock


async def test_one_timer_follows_the_soonest_job(tmp_path: Path) -> None:
    db = Database(tmp_path / "jobs.db")
    await db.open()
    await migrate(db)
    now = datetime.now(UTC)
    clock, seen = MovableClock(now), []
    scheduler = Scheduler(JobRepository(db), clock)

    async def remember(payload: dict) -> None:
        seen.append(payload["n"])

    scheduler.register("remember", remember)
    try:
        await scheduler.schedule("b", "remember", now + timedelta(milliseconds=600), {"n": 2})
        assert await scheduler.start() == 1
        assert scheduler.armed_at == now + timedelta(milliseconds=600)
        # A sooner job re-arms the timer; cancelling it leaves the later one armed to fire.
        await scheduler.schedule("a", "remember", now + timedelta(milliseconds=300), {"n": 1})
        assert scheduler.armed_at == now + timedelta(milliseconds=300)
        await scheduler.schedule("c", "remember", now + timedelta(milliseconds=400), {"n": 3})
        await scheduler.cancel("a")
        async with asyncio.timeout(5):
            while seen != [3, 2]:
                clock.current = datetime.now(UTC)
                await asyncio.sleep(0.05)
        assert scheduler.armed_at is None  # nothing left
        assert await scheduler.jobs.count_pending() == 0
    finally:
        await scheduler.stop()
        await db.close()
