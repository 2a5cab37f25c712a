"""A recording platform with the SpaceAdmin and moderation ports, for rooms feature tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.context import MessageRef, PersonRef, RoomRef
from tests.support.recording_platform import RecordingPlatform


@dataclass
class RecordingRoomsAdmin:
    """Keeps the rooms it made and who may write in them, as a platform would."""

    enforces_slow_mode: bool = False
    rooms: dict[str, str] = field(default_factory=dict)  # room id -> name
    writers: dict[str, set[str]] = field(default_factory=dict)
    slow: dict[str, int] = field(default_factory=dict)
    archived: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    parents: list[RoomRef | None] = field(default_factory=list)

    async def open_public_room(
        self, name: str, topic: str, parent: RoomRef | None = None
    ) -> RoomRef:
        room_id = f"room-{len(self.rooms) + 1}"
        self.rooms[room_id] = name
        self.writers[room_id] = set()
        self.parents.append(parent)
        return RoomRef("recording", room_id, name)

    async def set_can_write(self, room: RoomRef, person: PersonRef, allowed: bool) -> None:
        if allowed:
            self.writers[room.room_id].add(person.user_id)
        else:
            self.writers[room.room_id].discard(person.user_id)

    async def set_slow_mode(self, room: RoomRef, seconds: int) -> bool:
        self.slow[room.room_id] = seconds
        return self.enforces_slow_mode

    async def archive_room(self, room: RoomRef, reason: str) -> None:
        self.archived.append(room.room_id)
        self.writers[room.room_id] = set()

    async def close_room(self, room: RoomRef, reason: str) -> None:
        self.closed.append(room.room_id)

    def can_write(self, room_id: str, user_id: str) -> bool:
        return user_id in self.writers.get(room_id, set())


@dataclass
class RecordingModeration:
    """Records removed messages."""

    removed: list[str] = field(default_factory=list)

    async def remove_message(self, message: MessageRef, reason: str) -> None:
        self.removed.append(message.message_id)


@dataclass
class RoomsPlatform(RecordingPlatform):
    """The recording platform plus the ports discussion rooms use."""

    space_admin: RecordingRoomsAdmin = field(default_factory=RecordingRoomsAdmin)
    moderation: RecordingModeration = field(default_factory=RecordingModeration)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def in_room(self, room_id: str) -> list[str]:
        return [reply.text for where, reply in self.sent if where == room_id]
