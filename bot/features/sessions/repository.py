"""All SQL of the sessions feature: sessions, RSVPs (per series) and sent reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.features.sessions.model import Session, Status
from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text

_COLUMNS = (
    "session_id, platform, room_id, title, organiser, zone, every, first_at, next_at, "
    "length_minutes, remind_minutes, reminded_for, status"
)


@dataclass(frozen=True, slots=True)
class Attendee:
    """Someone who signed up, as reachable on the session's platform."""

    person_id: str
    user_id: str
    language: str | None


class SessionRepository:
    """Sessions and who signed up; every write returns before anyone is told."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        platform: str,
        room_id: str,
        title: str,
        organiser: str,
        zone: str,
        every: str | None,
        first_at: datetime,
        length: timedelta,
        remind: timedelta,
        now: datetime,
    ) -> int:
        """Store a new session; returns its number."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO session (platform, room_id, title, organiser, zone, every, "
                "first_at, next_at, length_minutes, remind_minutes, status, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, 'scheduled', $10)",
                platform,
                room_id,
                title,
                organiser,
                zone,
                every,
                to_text(first_at),
                int(length.total_seconds() // 60),
                int(remind.total_seconds() // 60),
                to_text(now),
            )
            return int(await tx.fetchval("SELECT last_insert_rowid()"))

    async def get(self, session_id: int) -> Session | None:
        """One session by number."""
        row = await self.db.fetchrow(
            f"SELECT {_COLUMNS} FROM session WHERE session_id = $1", session_id
        )
        return None if row is None else _session(row)

    async def upcoming(self, platform: str) -> list[Session]:
        """Scheduled sessions on one platform, soonest first."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM session WHERE status = 'scheduled' AND platform = $1 "
            "ORDER BY next_at, session_id",
            platform,
        )
        return [_session(r) for r in rows]

    async def scheduled(self) -> list[Session]:
        """Every scheduled session (for reconciliation at start)."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM session WHERE status = 'scheduled' ORDER BY session_id"
        )
        return [_session(r) for r in rows]

    async def advance(self, session_id: int, occurrence: datetime, following: datetime) -> bool:
        """Move a session from `occurrence` to its next one; False if it had moved already."""
        changed = await self.db.execute(
            "UPDATE session SET next_at = $1 WHERE session_id = $2 AND next_at = $3 "
            "AND status = 'scheduled'",
            to_text(following),
            session_id,
            to_text(occurrence),
        )
        return changed == 1

    async def end(self, session_id: int, status: Status, at: datetime) -> bool:
        """Mark a scheduled session ended or cancelled at `at`; False if it was not scheduled."""
        changed = await self.db.execute(
            "UPDATE session SET status = $1, ended_at = $2 WHERE session_id = $3 "
            "AND status = 'scheduled'",
            status.value,
            to_text(at),
            session_id,
        )
        return changed == 1

    async def set_reminded(self, session_id: int, occurrence: datetime) -> None:
        """Record that the reminder fan-out of `occurrence` finished."""
        await self.db.execute(
            "UPDATE session SET reminded_for = $1 WHERE session_id = $2",
            to_text(occurrence),
            session_id,
        )

    # -- RSVPs ---------------------------------------------------------------------------

    async def rsvp(self, session_id: int, person_id: str, now: datetime) -> bool:
        """Sign up for the series; False when already signed up."""
        changed = await self.db.execute(
            "INSERT INTO session_rsvp (session_id, person_id, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (session_id, person_id) DO NOTHING",
            session_id,
            person_id,
            to_text(now),
        )
        return changed == 1

    async def unrsvp(self, session_id: int, person_id: str) -> bool:
        """Withdraw from the series; False when not signed up."""
        changed = await self.db.execute(
            "DELETE FROM session_rsvp WHERE session_id = $1 AND person_id = $2",
            session_id,
            person_id,
        )
        return changed == 1

    async def has_rsvp(self, session_id: int, person_id: str) -> bool:
        """True when the person signed up."""
        found = await self.db.fetchval(
            "SELECT 1 FROM session_rsvp WHERE session_id = $1 AND person_id = $2",
            session_id,
            person_id,
        )
        return found is not None

    async def counts(self, platform: str) -> dict[int, int]:
        """How many signed up, per scheduled session of a platform."""
        rows = await self.db.fetch(
            "SELECT r.session_id, COUNT(*) AS n FROM session_rsvp r "
            "JOIN session s ON s.session_id = r.session_id "
            "WHERE s.status = 'scheduled' AND s.platform = $1 GROUP BY r.session_id",
            platform,
        )
        return {r["session_id"]: r["n"] for r in rows}

    async def attendees(self, session_id: int, platform: str) -> list[Attendee]:
        """Who signed up, with their account on `platform` and their language."""
        rows = await self.db.fetch(
            "SELECT r.person_id, i.platform_user_id, p.language FROM session_rsvp r "
            "JOIN identity i ON i.person_id = r.person_id AND i.platform = $2 "
            "JOIN person p ON p.person_id = r.person_id "
            "WHERE r.session_id = $1 ORDER BY r.created_at, r.person_id",
            session_id,
            platform,
        )
        return [Attendee(r["person_id"], r["platform_user_id"], r["language"]) for r in rows]

    async def claim_reminders(
        self, session_id: int, occurrence: datetime, person_ids: list[str], now: datetime
    ) -> set[str]:
        """Record reminders before they are sent (one transaction); returns the people
        newly recorded (those recorded already are left out, so never sent twice)."""
        if not person_ids:
            return set()
        at = to_text(occurrence)
        marks = ", ".join(f"${i}" for i in range(3, len(person_ids) + 3))
        # BEGIN IMMEDIATE holds the write lock: no other fan-out can record in between.
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT person_id FROM session_reminder WHERE session_id = $1 "
                f"AND occurrence = $2 AND person_id IN ({marks})",
                session_id,
                at,
                *person_ids,
            )
            recorded = {r["person_id"] for r in rows}
            claimed = [p for p in dict.fromkeys(person_ids) if p not in recorded]
            await tx.executemany(
                "INSERT INTO session_reminder (session_id, occurrence, person_id, sent_at) "
                "VALUES ($1, $2, $3, $4)",
                [(session_id, at, p, to_text(now)) for p in claimed],
            )
        return set(claimed)

    async def reminded(self, session_id: int, occurrence: datetime) -> set[str]:
        """Who was already reminded of one occurrence."""
        rows = await self.db.fetch(
            "SELECT person_id FROM session_reminder WHERE session_id = $1 AND occurrence = $2",
            session_id,
            to_text(occurrence),
        )
        return {r["person_id"] for r in rows}

    # -- personal data -------------------------------------------------------------------

    async def rsvps_of(self, person_id: str) -> list[dict[str, Any]]:
        """The sessions a person signed up for."""
        rows = await self.db.fetch(
            "SELECT s.session_id, s.title, s.next_at, s.status, r.created_at "
            "FROM session_rsvp r JOIN session s ON s.session_id = r.session_id "
            "WHERE r.person_id = $1 ORDER BY s.session_id",
            person_id,
        )
        return [dict(r) for r in rows]

    async def organised_by(self, person_id: str) -> list[Session]:
        """The sessions a person organised."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM session WHERE organiser = $1 ORDER BY session_id",
            person_id,
        )
        return [_session(r) for r in rows]

    async def erase_person(self, person_id: str) -> None:
        """Delete a person's RSVPs and reminder records; unlink them from sessions they ran."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM session_rsvp WHERE person_id = $1", person_id)
            await tx.execute("DELETE FROM session_reminder WHERE person_id = $1", person_id)
            await tx.execute("UPDATE session SET organiser = '' WHERE organiser = $1", person_id)


def _session(row: Any) -> Session:
    return Session(
        session_id=row["session_id"],
        platform=row["platform"],
        room_id=row["room_id"],
        title=row["title"],
        organiser=row["organiser"],
        zone=row["zone"],
        every=row["every"],
        first_at=from_text(row["first_at"]),
        next_at=from_text(row["next_at"]),
        length=timedelta(minutes=row["length_minutes"]),
        remind=timedelta(minutes=row["remind_minutes"]),
        reminded_for=from_text(row["reminded_for"]) if row["reminded_for"] else None,
        status=Status(row["status"]),
    )
