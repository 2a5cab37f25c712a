"""The scheduled retention purge: what passed its retention goes, counts are logged.

Runs daily as a persisted job. Ended tournaments also close their debrief room on the
platform before their rows go. Features add their tables (`app.retained`, a `Retained`
whose `only` condition leaves held rows alone) and their own steps (`app.purge_hooks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.context import RoomRef
from bot.core.ports import Clock
from bot.features.privacy.framework import Framework
from bot.features.privacy.repository import RETAINED, RetentionRepository
from bot.scheduling.scheduler import Scheduler
from bot.storage.audit_repository import AuditRepository
from bot.storage.retention import PurgeHook, Retained

log = logging.getLogger(__name__)

PURGE_JOB = "privacy.purge"
PURGE_AT = time(3, 30)


class RetentionService:
    """Applies the framework's retention periods to every retained table."""

    def __init__(
        self,
        framework: Framework,
        repo: RetentionRepository,
        audit: AuditRepository,
        scheduler: Scheduler,
        clock: Clock,
        zone: ZoneInfo,
        platform_for: Callable[[str], Any],
        retained: list[Retained] | None = None,
        hooks: list[PurgeHook] | None = None,
    ) -> None:
        self.framework = framework
        self.repo = repo
        self.audit = audit
        self.scheduler = scheduler
        self.clock = clock
        self.zone = zone
        self.platform_for = platform_for
        self.retained = retained if retained is not None else []
        self.hooks = hooks if hooks is not None else []
        scheduler.register(PURGE_JOB, self._job)

    def next_run(self, now: datetime) -> datetime:
        """The next daily purge time (03:30 local)."""
        local = now.astimezone(self.zone)
        candidate = datetime.combine(local.date(), PURGE_AT, tzinfo=self.zone)
        if candidate <= local:
            candidate += timedelta(days=1)
        return candidate

    async def ensure_scheduled(self) -> None:
        """Arm the daily purge (idempotent: the job id is fixed)."""
        await self.scheduler.schedule(
            "privacy:purge", PURGE_JOB, self.next_run(self.clock.now()), {}
        )

    async def _job(self, payload: dict[str, Any]) -> None:
        try:
            await self.purge()
        finally:
            await self.ensure_scheduled()

    def keep_for(self, data_class: str) -> timedelta:
        """The framework's retention period for `data_class`."""
        return self.framework.data_classes[data_class].keep_for

    async def purge(self, now: datetime | None = None) -> dict[str, int]:
        """Delete everything past its retention; returns counts per table."""
        now = now or self.clock.now()
        counts: dict[str, int] = {}
        for retained in (*RETAINED, *self.retained):
            keep = self.framework.data_classes[retained.data_class].keep_for
            counts[retained.table] = await self.repo.purge(retained, now - keep)
        for hook in self.hooks:
            counts.update(await hook(now, self.keep_for))
        keep = self.framework.data_classes["tournament_results"].keep_for
        closed = 0
        expired = await self.repo.expired_tournaments(now - keep)
        for tournament_id, platform, debrief_room in expired:
            if debrief_room:
                try:
                    admin = self.platform_for(platform).space_admin
                    await admin.close_room(RoomRef(platform, debrief_room), "retention")
                    closed += 1
                except LookupError:
                    log.warning("debrief room on %s left open: platform not running", platform)
                    continue  # keep the rows so a later purge closes the room
            await self.repo.delete_tournament(tournament_id)
        counts["tournament"] = len(expired)
        counts["debrief_rooms_closed"] = closed
        await self.audit.record(now, "system", "privacy.purge", "retention", **counts)
        log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
        return counts
