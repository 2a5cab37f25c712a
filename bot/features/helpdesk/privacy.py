"""The help desk's personal data: export, erasure with legal holds, and the retention purge.

Export gives a member their own requests and what they themselves wrote in help rooms.
Youth workers' handover notes are internal working notes and are not exported (they are
erased with the request); workers' own messages belong to the worker. Erasure keeps a
request only while it was escalated to the safety pipeline *and* a legal hold (an open
case, `app.legal_holds`) covers the person, or its concern is part of an open case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.core.context import RoomRef
from bot.core.personal_data import KeptData, LegalHold
from bot.features.helpdesk.messenger import Messenger
from bot.features.helpdesk.model import HelpRequest
from bot.features.helpdesk.repository import HelpdeskRepository, OutreachRepository
from bot.storage.timestamps import to_text

log = logging.getLogger(__name__)

DATA_CLASS = "helpdesk_transcripts"


async def held_people(holds: list[LegalHold]) -> set[str]:
    """Everyone some legal hold covers now."""
    held: set[str] = set()
    for hold in holds:
        held |= await hold()
    return held


class Holds:
    """Which escalated requests must be kept: their concern is in an open case
    (`app.services["cases"].held_concern_ids`), or a legal hold covers the person."""

    def __init__(self, holds: list[LegalHold], services: Mapping[str, Any]) -> None:
        self.holds = holds
        self.services = services

    async def snapshot(self) -> Callable[[HelpRequest], bool]:
        """A test for one request, from the holds as they are now."""
        people = await held_people(self.holds)
        cases = self.services.get("cases")
        concerns = {str(c) for c in await cases.held_concern_ids()} if cases else set()

        def held(request: HelpRequest) -> bool:
            if request.escalated_at is None:
                return False
            return request.concern_ref in concerns or request.person_id in people

        return held


class HelpdeskData:
    """`PersonalDataSource` of the help desk and outreach."""

    name = "helpdesk"

    def __init__(
        self,
        repo: HelpdeskRepository,
        outreach: OutreachRepository,
        holds: Holds,
        forget_room: Callable[[str, str], None],
    ) -> None:
        self.repo = repo
        self.outreach = outreach
        self.holds = holds
        self.forget_room = forget_room

    async def export(self, person_id: str) -> dict[str, Any]:
        """The person's requests, what they wrote, their check-ins and opt-out."""
        requests = []
        for r in await self.repo.of_person(person_id):
            lines = await self.repo.lines_by(r.request_id, person_id)
            requests.append(
                {
                    "id": r.request_id,
                    "topic": r.topic,
                    "first_message": r.first_message,
                    "status": r.status.value,
                    "asked_at": to_text(r.created_at),
                    "closed_at": to_text(r.closed_at) if r.closed_at else None,
                    "outcome": r.outcome,
                    "you_wrote": [{"at": to_text(x.at), "text": x.body} for x in lines],
                }
            )
        checkins = [
            {
                "offered_at": to_text(c.sent_at),
                "answer": c.answer,
                "answered_at": to_text(c.answered_at) if c.answered_at else None,
            }
            for c in await self.outreach.checkins_of(person_id)
        ]
        return {
            "help_requests": requests,
            "checkins": checkins,
            "checkins_opted_out": await self.outreach.opted_out(person_id),
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Erase the person's requests (with transcripts) and outreach data, except holds."""
        held = await self.holds.snapshot()
        kept: list[KeptData] = []
        for r in await self.repo.of_person(person_id):
            if held(r):
                kept.append(
                    KeptData(DATA_CLASS, "helpdesk.kept_what", "helpdesk.kept_why",
                             args={"id": r.request_id})
                )  # fmt: skip
                continue
            if r.room_id:
                self.forget_room(r.platform, r.room_id)
            await self.repo.delete(r.request_id)
        await self.outreach.erase_member(person_id)
        return kept


class HelpdeskPurge:
    """Purge hook: closed requests past retention go, with their room (unless held)."""

    def __init__(
        self,
        repo: HelpdeskRepository,
        holds: Holds,
        messenger: Messenger,
        forget_room: Callable[[str, str], None],
    ) -> None:
        self.repo = repo
        self.holds = holds
        self.messenger = messenger
        self.forget_room = forget_room

    async def __call__(
        self, now: datetime, keep_for: Callable[[str], timedelta]
    ) -> dict[str, int]:
        """Delete expired closed requests; close their rooms on the platform first."""
        held = await self.holds.snapshot()
        deleted = closed = 0
        for r in await self.repo.expired(now - keep_for(DATA_CLASS)):
            if held(r):
                continue
            if r.room_id:
                platform = self.messenger.running(r.platform)
                if platform is None:
                    log.warning("help room on %s left open: platform not running", r.platform)
                    continue  # keep the rows so a later purge closes the room
                try:
                    await platform.space_admin.close_room(
                        RoomRef(r.platform, r.room_id), "retention"
                    )
                    closed += 1
                    self.forget_room(r.platform, r.room_id)
                except Exception:
                    log.exception("closing help room of request %d failed", r.request_id)
                    continue
            await self.repo.delete(r.request_id)
            deleted += 1
        return {"help_request": deleted, "help_rooms_closed": closed}
