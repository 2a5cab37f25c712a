"""Test doubles for the safety pipeline: a tiny detector, a roster, cases, a platform.

Tests only. The real detector (feat/detector), rota (feat/rota) and cases (feat/cases)
implement the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.detection import Category, Detection, Severity
from bot.core.dry_run import DryRunModeration
from bot.core.duty import Duty, OnDuty, ShiftStarted
from bot.core.replies import Reply

WORDS: dict[str, tuple[Category, Severity]] = {
    "hurtmyself": (Category.SELF_HARM, Severity.URGENT),
    "bombthreat": (Category.VIOLENCE_THREAT, Severity.HIGH),
    "hatewords": (Category.EXTREMISM_HATE, Severity.NORMAL),
}


class WordDetector:
    """Flags a message containing one of `WORDS` (the `Detector` protocol)."""

    def scan(self, text: str) -> Detection:
        for word, (category, severity) in WORDS.items():
            if word in text.lower():
                return Detection(0.9, {category: 0.9}, severity, (word,))
        return Detection(0.0)


@dataclass
class FakeRoster:
    """A `DutyRoster` with fixed people on duty."""

    primary: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()
    asked: list[tuple[Duty, datetime]] = field(default_factory=list)

    async def on_duty(self, duty: Duty, at: datetime) -> OnDuty:
        self.asked.append((duty, at))
        return OnDuty(self.primary, self.backup)

    async def next_available(self, duty: Duty, after: datetime) -> datetime | None:
        return None

    def subscribe(self, callback: ShiftStarted) -> None:
        return None


@dataclass
class FakeCases:
    """`app.services["cases"]` as the safety pipeline uses it."""

    opened: list[tuple[list[int], str]] = field(default_factory=list)
    held: set[int] = field(default_factory=set)

    async def open_case(self, *, concern_ids: list[int], opened_by: str, at: datetime) -> int:
        self.opened.append((list(concern_ids), opened_by))
        self.held.update(concern_ids)
        return len(self.opened)

    async def link_concern(self, case_id: int, concern_id: int, by: str, at: datetime) -> None:
        self.held.add(concern_id)

    async def held_concern_ids(self) -> set[int]:
        return set(self.held)


@dataclass
class RecordingAdmin:
    """SpaceAdmin that records the private rooms it opens."""

    opened: list[tuple[str, list[PersonRef], RoomRef | None]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    async def open_private_room(
        self, name: str, members: list[PersonRef], parent: RoomRef | None = None
    ) -> RoomRef:
        self.opened.append((name, list(members), parent))
        return RoomRef("matrix", f"!thread{len(self.opened)}", name, True)

    async def set_role(self, person: PersonRef, role: str, granted: bool) -> None:
        return None

    async def close_room(self, room: RoomRef, reason: str) -> None:
        self.closed.append(room.room_id)


@dataclass
class SafetyPlatform:
    """A running 'matrix' adapter that records everything (no server)."""

    name: str = "matrix"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    space_admin: RecordingAdmin = field(default_factory=RecordingAdmin)
    moderation: DryRunModeration = field(default_factory=DryRunModeration)
    coordinators: list[PersonRef] = field(default_factory=list)
    messages: dict[tuple[str, str], MessageRef] = field(default_factory=dict)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def command_syntax(self, command: Any, translate: Any) -> str:
        return f"!{command.qualified_name}"

    def room_for(self, purpose: str) -> RoomRef | None:
        return RoomRef(self.name, "!moderators", "Moderators") if purpose == "moderators" else None

    def mention(self, person: PersonRef) -> str:
        return person.user_id

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        self.sent.append((room.room_id, reply))
        return MessageRef(self.name, room.room_id, f"$m{len(self.sent)}")

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        self.sent.append((f"dm:{person.user_id}", reply))
        return MessageRef(self.name, f"dm:{person.user_id}", f"$m{len(self.sent)}")

    async def members_with_role(self, role: str) -> list[PersonRef]:
        return list(self.coordinators) if role == "coordinator" else []

    async def fetch_message(self, room_id: str, message_id: str) -> MessageRef | None:
        return self.messages.get((room_id, message_id))

    def in_room(self, room_id: str) -> list[Reply]:
        return [r for room, r in self.sent if room == room_id]
