"""Persisted scheduling: jobs live in the database, APScheduler only wakes us up.

A job is written before it is scheduled, so a restart restores it; when it fires it is
claimed (marked done) before its handler runs, so a job never runs twice even across a
crash (at most once; features that must not miss a step reconcile their state on
start). Jobs whose time passed while Haven was down run once at start.

Only one APScheduler timer is armed, for the soonest pending job: when it fires, every
due job runs and the timer is armed again for the next one. So a start with 10,000
pending jobs reads one row instead of arming 10,000 timers (see bench/sessions_bench.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.ports import Clock
from bot.storage.job_repository import JobRepository, StoredJob

log = logging.getLogger(__name__)

TIMER_ID = "haven:next-job"

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Scheduler:
    """Runs registered job kinds at their time; survives restarts."""

    def __init__(self, jobs: JobRepository, clock: Clock) -> None:
        self.jobs = jobs
        self.clock = clock
        self._handlers: dict[str, JobHandler] = {}
        self._aps: AsyncIOScheduler | None = None
        self._armed_at: datetime | None = None  # when the one timer fires (None: unarmed)

    @property
    def armed_at(self) -> datetime | None:
        """When the timer fires next (None: not started, or nothing pending)."""
        return self._armed_at

    def register(self, kind: str, handler: JobHandler) -> None:
        """Declare the handler of one job kind (features do this in `setup`)."""
        if kind in self._handlers:
            raise ValueError(f"job kind registered twice: {kind}")
        self._handlers[kind] = handler

    async def schedule(
        self, job_id: str, kind: str, run_at: datetime, payload: dict[str, Any]
    ) -> None:
        """Store a job (replacing one with the same id), then arm the timer if it is sooner."""
        if kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind}")
        await self.jobs.put(job_id, kind, run_at, payload)
        if self._armed_at is None or run_at < self._armed_at:
            self._arm(run_at)

    async def cancel(self, job_id: str) -> None:
        """Drop a pending job (a timer armed for it finds nothing due and moves on)."""
        await self.jobs.cancel(job_id)

    async def cancel_prefix(self, prefix: str) -> int:
        """Drop pending jobs whose id starts with `prefix` (e.g. all of one tournament)."""
        return await self.jobs.cancel_prefix(prefix)

    async def start(self) -> int:
        """Start the timer and restore pending jobs; returns how many were restored."""
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.start()
        await self._arm_next()
        return await self.jobs.count_pending()

    async def stop(self) -> None:
        """Stop the timer (pending jobs stay in the database)."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        self._armed_at = None

    def _arm(self, run_at: datetime) -> None:
        if self._aps is None:
            return
        self._armed_at = run_at
        self._aps.add_job(
            self._fire,
            "date",
            args=[run_at],
            run_date=run_at,
            id=TIMER_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _arm_next(self) -> None:
        if self._aps is None:
            return
        soonest = await self.jobs.next_run_at(self._handlers)
        # `_armed_at` is the live timer's time; a job scheduled meanwhile may be sooner.
        if soonest is not None and (self._armed_at is None or soonest < self._armed_at):
            self._arm(soonest)

    async def _fire(self, armed_for: datetime) -> None:
        # The timer says it is time: trust it over a clock that may lag by a few ms.
        if self._armed_at == armed_for:
            self._armed_at = None
        try:
            await self.run_due(max(self.clock.now(), armed_for))
        finally:
            await self._arm_next()

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every job whose time has come; returns how many ran."""
        now = now or self.clock.now()
        ran = 0
        for job in await self.jobs.due(now):
            if await self._run(job, now):
                ran += 1
        return ran

    async def _run(self, job: StoredJob, now: datetime) -> bool:
        handler = self._handlers.get(job.kind)
        if handler is None:
            log.warning("no handler for job kind %s; leaving it pending", job.kind)
            return False
        if not await self.jobs.mark_done(job.job_id, now):
            return False
        try:
            await handler(job.payload)
        except Exception:
            log.exception("scheduled job %s (%s) failed", job.job_id, job.kind)
        return True
