"""Test doubles for the help desk: a duty roster, a safety service, a platform with rooms.

The roster and safety fakes stand in for features built on other branches (rota, safety)
and implement only the interfaces the help desk uses (`bot/core/duty.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.duty import Duty, OnDuty, ShiftStarted
from bot.core.replies import Reply
from tests.support.recording_platform import RecordingPlatform


@dataclass
class FakeRoster:
    """A `DutyRoster`: people put on duty by hand; `next` answers `next_available`."""

    on: list[str] = field(default_factory=list)
    next: datetime | None = None
    callbacks: list[ShiftStarted] = field(default_factory=list)

    async def on_duty(self, duty: Duty, at: datetime) -> OnDuty:
        return OnDuty(primary=tuple(self.on)) if duty is Duty.YOUTH_WORKER else OnDuty()

    async def next_available(self, duty: Duty, after: datetime) -> datetime | None:
        return self.next

    def subscribe(self, callback: ShiftStarted) -> None:
        self.callbacks.append(callback)

    async def start(self, person_id: str) -> None:
        """`person_id` comes on duty as youth worker; subscribers are told."""
        self.on.append(person_id)
        for callback in self.callbacks:
            await callback(Duty.YOUTH_WORKER, person_id)

    async def stop(self, person_id: str) -> None:
        self.on.remove(person_id)


@dataclass
class FakeSafety:
    """Records `raise_concern` calls; returns a concern id."""

    raised: list[dict[str, Any]] = field(default_factory=list)

    async def raise_concern(self, **kwargs: Any) -> int:
        self.raised.append(kwargs)
        return len(self.raised)


@dataclass
class RoomAdmin:
    """SpaceAdmin that keeps rooms and their members in memory."""

    rooms: dict[str, list[str]] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)

    async def open_private_room(
        self, name: str, members: list[PersonRef], parent: RoomRef | None = None
    ) -> RoomRef:
        room_id = f"room{len(self.rooms) + 1}"
        self.rooms[room_id] = [p.user_id for p in members]
        self.parents[room_id] = parent.room_id if parent else None
        return RoomRef("recording", room_id, name, True)

    async def add_member(self, room: RoomRef, person: PersonRef) -> None:
        self.rooms[room.room_id].append(person.user_id)

    async def close_room(self, room: RoomRef, reason: str) -> None:
        self.closed.append(room.room_id)


@dataclass
class HelpdeskPlatform(RecordingPlatform):
    """The recording platform plus private rooms."""

    space_admin: RoomAdmin = field(default_factory=RoomAdmin)

    def texts_in(self, room_id: str) -> list[str]:
        """What was sent to a room (or `dm:<user>`)."""
        return [reply.text for where, reply in self.sent if where == room_id]

    def last_in(self, room_id: str) -> Reply:
        return [reply for where, reply in self.sent if where == room_id][-1]

    async def start(self) -> None:  # the app's Adapter protocol
        return None

    async def stop(self) -> None:
        return None


def message_in(room_id: str, author: PersonRef, text: str, at: datetime, n: int) -> Any:
    """An IncomingMessage as an adapter would publish it."""
    from bot.core.events import IncomingMessage

    ref = MessageRef("recording", room_id, f"msg{n}", author, text, f"https://x/{room_id}/{n}")
    return IncomingMessage(ref, RoomRef("recording", room_id, "", True), author, at)
