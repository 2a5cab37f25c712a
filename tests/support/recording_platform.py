"""A recording ChatPlatform for feature tests that need no real server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.commands import Command
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.replies import Reply


@dataclass
class RecordingPlatform:
    """Implements the ChatPlatform port by recording what would be sent."""

    name: str = "recording"
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    def command_syntax(self, command: Command, translate: Any) -> str:
        params = " ".join(f"<{p.name}>" for p in command.params)
        return f"!{command.qualified_name} {params}".strip()

    def room_for(self, purpose: str) -> RoomRef | None:
        return None

    def mention(self, person: PersonRef) -> str:
        return f"@{person.user_id}"

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        self.sent.append((room.room_id, reply))
        return MessageRef(self.name, room.room_id, f"m{len(self.sent)}")

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        self.sent.append((f"dm:{person.user_id}", reply))
        return MessageRef(self.name, f"dm:{person.user_id}", f"m{len(self.sent)}")
