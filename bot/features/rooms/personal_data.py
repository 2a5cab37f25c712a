"""What the rooms feature holds about a person, for `mydata export` and `mydata erase`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.context import PersonRef
from bot.core.i18n import Translator
from bot.core.personal_data import KeptData
from bot.features.rooms.repository import RoomRepository
from bot.features.rooms.service import DATA_CLASS, RoomService
from bot.storage.timestamps import to_text

log = logging.getLogger(__name__)


class RoomsPersonalData:
    """A member's accepted rooms; anonymous questions are never linked to them here."""

    name = "rooms"

    def __init__(
        self,
        repo: RoomRepository,
        service: RoomService,
        translator: Callable[[], Translator],
        keep_for: Callable[[str], timedelta | None],
    ) -> None:
        self.repo = repo
        self.service = service
        self.translator = translator
        self.keep_for = keep_for

    async def export(self, person_id: str) -> dict[str, Any]:
        """Accepted house rules and facilitated rooms; a note on anonymous questions."""
        accepted = []
        for acceptance in await self.repo.acceptances_of(person_id):
            room = await self.repo.get(acceptance.room_id)
            accepted.append(
                {
                    "room": acceptance.room_id,
                    "topic": room.topic if room else "",
                    "accepted_at": to_text(acceptance.accepted_at),
                }
            )
        facilitated = [
            {
                "room": room.room_id,
                "topic": room.topic,
                "opened_at": to_text(room.opened_at),
                "closed_at": to_text(room.closed_at) if room.closed_at else None,
            }
            for room in await self.repo.facilitated_by(person_id)
        ]
        return {
            "accepted_rules": accepted,
            "facilitated_rooms": facilitated,
            "anonymous_questions": self.translator().gettext("rooms.export.anonymous_questions"),
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Delete acceptances (and the write permission they gave in open rooms)."""
        for acceptance in await self.repo.acceptances_of(person_id):
            room = await self.repo.get(acceptance.room_id)
            if room is None or not room.is_open:
                continue
            try:
                admin = self.service.platform_for(room.platform).space_admin
                who = PersonRef(room.platform, acceptance.user_id)
                await admin.set_can_write(self.service.ref(room), who, False)
            except LookupError:
                log.info("room %s: platform not running, permission left", room.room_id)
        await self.repo.erase_acceptances(person_id)
        kept: list[KeptData] = []
        facilitated = await self.repo.facilitated_by(person_id)
        if facilitated:
            keep = self.keep_for(DATA_CLASS)
            ends = [r.closed_at for r in facilitated]
            until = None
            if keep is not None and all(e is not None for e in ends):
                until = max(e for e in ends if e is not None) + keep
            kept.append(
                KeptData(
                    DATA_CLASS,
                    "rooms.kept.facilitated",
                    "rooms.kept.facilitated_why",
                    until,
                    {"count": len(facilitated)},
                )
            )
        return kept
