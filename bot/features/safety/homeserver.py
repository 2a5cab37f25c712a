"""Event reports made in Matrix clients ("Report content"), read from Synapse's admin API.

Only when Haven's Matrix account is a server admin. Each new report becomes a concern
with source "report"; the last report id seen is stored, and a report id is never turned
into a concern twice. On the first poll Haven only notes where the reports stand:
reports made before Haven watched the server are left to the server's admins.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.core.detection import Severity
from bot.features.safety.model import NewReport, Source
from bot.storage.platform_state_repository import PlatformStateRepository

if TYPE_CHECKING:
    from bot.features.safety.service import SafetyService

log = logging.getLogger(__name__)

POLL_JOB = "safety.event_reports"
LAST_KEY = "safety:event_reports:last"


class HomeserverReports:
    """Polls the homeserver's event reports on a schedule."""

    def __init__(self, service: SafetyService) -> None:
        self.service = service
        self.state = PlatformStateRepository(service.app.db, "matrix")
        self.admin = True
        service.app.scheduler.register(POLL_JOB, self._job)

    async def start(self) -> None:
        """At start: one poll, which also tells whether Haven is a server admin; only then
        is polling scheduled (so a bot without admin rights adds no job at all)."""
        if not self.service.config.homeserver_reports.enabled:
            return
        if not any(a.name == "matrix" for a in self.service.app.adapters):
            return
        await self.poll()
        if self.admin:
            await self._arm()

    async def _arm(self) -> None:
        """Arm the next poll (one job row, replaced each time)."""
        app = self.service.app
        when = app.clock.now() + self.service.config.homeserver_reports.interval
        await app.scheduler.schedule("safety:event_reports", POLL_JOB, when, {})

    async def _job(self, payload: dict[str, Any]) -> None:
        try:
            await self.poll()
        finally:
            if self.admin:
                await self._arm()

    async def poll(self) -> int:
        """Turn new event reports into concerns; returns how many were new."""
        try:
            adapter = self.service.app.platform("matrix")
        except LookupError:
            return 0
        reports = await adapter.event_reports()
        self.admin = reports is not None
        if reports is None:
            log.info("Haven is not a server admin: homeserver event reports are not read")
            return 0
        stored = await self.state.get(LAST_KEY)
        newest = max((int(r["id"]) for r in reports), default=0)
        if stored is None:
            await self.state.set(LAST_KEY, str(newest))
            return 0
        last = int(stored)
        made = 0
        for report in sorted(reports, key=lambda r: int(r["id"])):
            report_id = int(report["id"])
            if report_id <= last:
                continue
            made += await self._queue(report)
            await self.state.set(LAST_KEY, str(report_id))  # after the concern is stored
        return made

    async def _queue(self, report: dict[str, Any]) -> int:
        app = self.service.app
        event = report.get("event_json") or {}
        sender = report.get("sender") or event.get("sender")
        room_id = report.get("room_id") or event.get("room_id")
        event_id = report.get("event_id") or event.get("event_id")
        subject = None
        if sender:
            subject = (await app.people.ensure_person("matrix", sender)).person_id
        reporter = None
        if report.get("user_id"):
            reporter = (await app.people.ensure_person("matrix", report["user_id"])).person_id
        reason = (report.get("reason") or "").strip()[:500] or None
        _, created = await self.service.queue(
            source=Source.REPORT,
            categories=(),
            severity=Severity.NORMAL,
            platform="matrix",
            room_id=room_id,
            message_id=event_id,
            link=f"https://matrix.to/#/{room_id}/{event_id}" if room_id and event_id else None,
            excerpt=str((event.get("content") or {}).get("body") or ""),
            subject_person_id=subject,
            report=NewReport(reporter, reason, "homeserver", f"synapse:{report['id']}"),
        )
        return 1 if created else 0
