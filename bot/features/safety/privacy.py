"""Safety data and privacy: the retention purge, and what `mydata` exports or erases.

Export: a member gets the reports they made (their own reason and the date), never how
moderators handled them, and never concerns about themselves, which could reveal who
reported them. Erasure keeps what an open case holds, and concerns still under review
(until reviewed, at most the retention period); everything else goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.context import RoomRef
from bot.core.personal_data import KeptData
from bot.features.safety.model import Status
from bot.features.safety.repository import PURGEABLE
from bot.storage.retention import Retained

if TYPE_CHECKING:
    from bot.features.safety.service import SafetyService

log = logging.getLogger(__name__)
DATA_CLASS = "concern_messages"


def retained() -> Retained:
    """The concern table's retention rule (its reports and false positives cascade)."""
    return Retained("concern", DATA_CLASS, "updated_at", PURGEABLE)


async def held_by_cases(service: SafetyService) -> set[int]:
    """Concerns an open case holds (empty when the cases feature is not installed)."""
    cases = service.app.services.get("cases")
    return set(await cases.held_concern_ids()) if cases is not None else set()


def purge_hook(service: SafetyService) -> Callable[..., Any]:
    """The daily purge step for reviewed concerns that still have a room of their own: the
    room is closed, then the concern goes, unless an open case holds it."""

    async def purge(now: datetime, keep_for: Callable[[str], timedelta]) -> dict[str, int]:
        cutoff = now - keep_for(DATA_CLASS)
        held = await held_by_cases(service)
        done = (Status.DISMISSED.value, Status.CASE.value)
        gone = []
        for concern_id in await service.repo.expired(cutoff):
            concern = await service.repo.get(concern_id)
            if concern is None or concern_id in held or concern.view.status not in done:
                continue
            await _close_thread(service, concern.card_platform, concern.thread_room_id)
            gone.append(concern_id)
        deleted = await service.repo.delete_concerns(gone)
        return {"concern_with_room": deleted}

    return purge


async def _close_thread(service: SafetyService, platform: str | None, room: str | None) -> None:
    if not platform or not room:
        return
    try:
        admin = service.app.platform(platform).space_admin
        await admin.close_room(RoomRef(platform, room), "retention")
    except Exception:
        log.warning("could not close a concern's room on %s", platform)


class SafetyPersonalData:
    """The safety feature's `PersonalDataSource`."""

    name = "safety"

    def __init__(self, service: SafetyService) -> None:
        self.service = service

    async def export(self, person_id: str) -> dict[str, Any]:
        """The reports the person made: their reason and date only."""
        return {"reports_made": await self.service.repo.reports_by(person_id)}

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Erase the person's reports and the reviewed concerns about them, except holds."""
        repo = self.service.repo
        held = await held_by_cases(self.service)
        kept: list[KeptData] = []
        made = await repo.reports_by(person_id)
        await repo.forget_reporter(person_id, held)
        left = len(made) - len(await repo.reports_by(person_id))
        if len(made) != left:
            kept.append(
                KeptData(DATA_CLASS, "safety.kept.reports", "safety.kept.case",
                         args={"count": len(made) - left})
            )  # fmt: skip
        in_case, reviewing, gone = 0, [], []
        for concern_id in await repo.concerns_about(person_id):
            concern = await repo.get(concern_id)
            if concern is None:
                continue
            if concern_id in held:
                in_case += 1
            elif concern.status in (Status.OPEN, Status.ACKNOWLEDGED):
                reviewing.append(concern.view.created_at)
            else:
                gone.append(concern_id)
        await repo.delete_concerns(gone)
        if in_case:
            kept.append(
                KeptData(DATA_CLASS, "safety.kept.concerns", "safety.kept.case",
                         args={"count": in_case})
            )  # fmt: skip
        if reviewing:
            keep = self._retention()
            kept.append(
                KeptData(DATA_CLASS, "safety.kept.concerns", "safety.kept.review",
                         until=max(reviewing) + keep, args={"count": len(reviewing)})
            )  # fmt: skip
        return kept

    def _retention(self) -> timedelta:
        framework = self.service.app.services.get("framework")
        if framework is not None and DATA_CLASS in framework.data_classes:
            return framework.data_classes[DATA_CLASS].keep_for
        return timedelta(days=90)
