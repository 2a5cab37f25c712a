"""All SQL of the discussion rooms: rooms and who accepted their house rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text


@dataclass(frozen=True, slots=True)
class DiscussionRoom:
    """One discussion room as stored."""

    room_id: int
    platform: str
    platform_room_id: str | None
    topic: str
    rules: str
    facilitator: str
    facilitator_user_id: str
    facilitator_name: str
    slowmode_seconds: int
    slowmode_by_haven: bool
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Open: created on the platform and not closed yet."""
        return self.closed_at is None and self.platform_room_id is not None


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A person accepted a room's house rules."""

    room_id: int
    person_id: str
    user_id: str
    accepted_at: datetime


_COLUMNS = (
    "room_id, platform, platform_room_id, topic, rules, facilitator, facilitator_user_id, "
    "facilitator_name, slowmode_seconds, slowmode_by_haven, opened_at, closes_at, closed_at"
)


def _room(row: Any) -> DiscussionRoom:
    return DiscussionRoom(
        room_id=row[0],
        platform=row[1],
        platform_room_id=row[2],
        topic=row[3],
        rules=row[4],
        facilitator=row[5],
        facilitator_user_id=row[6],
        facilitator_name=row[7],
        slowmode_seconds=row[8],
        slowmode_by_haven=bool(row[9]),
        opened_at=from_text(row[10]),
        closes_at=from_text(row[11]) if row[11] else None,
        closed_at=from_text(row[12]) if row[12] else None,
    )


class RoomRepository:
    """Discussion rooms and acceptances in SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        platform: str,
        topic: str,
        rules: str,
        facilitator: str,
        facilitator_user_id: str,
        facilitator_name: str,
        closes_at: datetime | None,
        now: datetime,
    ) -> int:
        """Store a new room (not yet on the platform); returns its id."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO discussion_room (platform, topic, rules, facilitator, "
                "facilitator_user_id, facilitator_name, opened_at, closes_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                platform,
                topic,
                rules,
                facilitator,
                facilitator_user_id,
                facilitator_name,
                to_text(now),
                to_text(closes_at) if closes_at else None,
            )
            return int(await tx.fetchval("SELECT last_insert_rowid()"))

    async def set_platform_room(self, room_id: int, platform_room_id: str) -> None:
        """Link the stored room to the room made on the platform."""
        await self.db.execute(
            "UPDATE discussion_room SET platform_room_id = $1 WHERE room_id = $2",
            platform_room_id,
            room_id,
        )

    async def delete(self, room_id: int) -> None:
        """Remove a room and its acceptances."""
        await self.db.execute("DELETE FROM discussion_room WHERE room_id = $1", room_id)

    async def get(self, room_id: int) -> DiscussionRoom | None:
        """A room by id."""
        row = await self.db.fetchrow(
            f"SELECT {_COLUMNS} FROM discussion_room WHERE room_id = $1", room_id
        )
        return None if row is None else _room(row)

    async def by_platform_room(
        self, platform: str, platform_room_id: str
    ) -> DiscussionRoom | None:
        """The room living in a platform room, if any."""
        row = await self.db.fetchrow(
            f"SELECT {_COLUMNS} FROM discussion_room "
            "WHERE platform = $1 AND platform_room_id = $2",
            platform,
            platform_room_id,
        )
        return None if row is None else _room(row)

    async def open_rooms(self, platform: str) -> list[DiscussionRoom]:
        """Rooms still open on a platform, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM discussion_room WHERE platform = $1 "
            "AND closed_at IS NULL AND platform_room_id IS NOT NULL ORDER BY room_id",
            platform,
        )
        return [_room(r) for r in rows]

    async def set_slowmode(self, room_id: int, seconds: int, by_haven: bool) -> None:
        """Remember a room's slow mode and whether Haven (not the platform) enforces it."""
        await self.db.execute(
            "UPDATE discussion_room SET slowmode_seconds = $1, slowmode_by_haven = $2 "
            "WHERE room_id = $3",
            seconds,
            1 if by_haven else 0,
            room_id,
        )

    async def close(self, room_id: int, now: datetime) -> bool:
        """Mark a room closed; False when it already was."""
        changed = await self.db.execute(
            "UPDATE discussion_room SET closed_at = $1 WHERE room_id = $2 AND closed_at IS NULL",
            to_text(now),
            room_id,
        )
        return changed > 0

    async def expired(self, before: datetime) -> list[DiscussionRoom]:
        """Rooms closed before `before` (their retention has passed)."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM discussion_room "
            "WHERE closed_at IS NOT NULL AND closed_at < $1",
            to_text(before),
        )
        return [_room(r) for r in rows]

    async def facilitated_by(self, person_id: str) -> list[DiscussionRoom]:
        """Rooms a person facilitates or facilitated."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM discussion_room WHERE facilitator = $1 ORDER BY room_id",
            person_id,
        )
        return [_room(r) for r in rows]

    # -- acceptances ---------------------------------------------------------------------

    async def accept(self, room_id: int, person_id: str, user_id: str, now: datetime) -> bool:
        """Record that a person accepted the rules; False when they already had."""
        changed = await self.db.execute(
            "INSERT INTO discussion_room_acceptance (room_id, person_id, user_id, accepted_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (room_id, person_id) DO NOTHING",
            room_id,
            person_id,
            user_id,
            to_text(now),
        )
        return changed > 0

    async def has_accepted(self, room_id: int, person_id: str) -> bool:
        """True when the person accepted the room's rules."""
        found = await self.db.fetchval(
            "SELECT 1 FROM discussion_room_acceptance WHERE room_id = $1 AND person_id = $2",
            room_id,
            person_id,
        )
        return found is not None

    async def acceptances_of(self, person_id: str) -> list[Acceptance]:
        """Every acceptance of one person."""
        rows = await self.db.fetch(
            "SELECT room_id, person_id, user_id, accepted_at FROM discussion_room_acceptance "
            "WHERE person_id = $1 ORDER BY room_id",
            person_id,
        )
        return [Acceptance(r[0], r[1], r[2], from_text(r[3])) for r in rows]

    async def accepted_count(self, room_id: int) -> int:
        """How many people accepted a room's rules."""
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM discussion_room_acceptance WHERE room_id = $1", room_id
            )
        )

    async def erase_acceptances(self, person_id: str) -> int:
        """Delete every acceptance of one person; returns how many."""
        return await self.db.execute(
            "DELETE FROM discussion_room_acceptance WHERE person_id = $1", person_id
        )
