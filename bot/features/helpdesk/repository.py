"""All help-desk and outreach SQL (data classes helpdesk_transcripts and outreach)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.features.helpdesk.model import Available, Checkin, HelpRequest, Line, Status
from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text

_REQUEST_COLUMNS = (
    "request_id, platform, person_id, user_id, display_name, origin_room_id, topic, "
    "first_message, source, status, worker_person_id, worker_user_id, room_id, created_at, "
    "claimed_at, closed_at, outcome, escalated_at, concern_ref"
)


def _time(value: str | None) -> datetime | None:
    return None if value is None else from_text(value)


def _request(row: Any) -> HelpRequest:
    return HelpRequest(
        row["request_id"], row["platform"], row["person_id"], row["user_id"],
        row["display_name"], row["origin_room_id"], row["topic"], row["first_message"],
        row["source"], Status(row["status"]), row["worker_person_id"], row["worker_user_id"],
        row["room_id"], from_text(row["created_at"]), _time(row["claimed_at"]),
        _time(row["closed_at"]), row["outcome"], _time(row["escalated_at"]), row["concern_ref"],
    )  # fmt: skip


def _checkin(row: Any) -> Checkin:
    return Checkin(
        row["checkin_id"], row["platform"], row["origin_room_id"], row["worker_person_id"],
        row["worker_user_id"], row["member_person_id"], row["member_user_id"],
        from_text(row["sent_at"]), row["answer"], _time(row["answered_at"]), row["request_id"],
    )  # fmt: skip


class HelpdeskRepository:
    """Help requests, their transcripts and handover notes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        platform: str,
        person_id: str,
        user_id: str,
        display_name: str,
        origin_room_id: str,
        topic: str,
        first_message: str,
        source: str,
        now: datetime,
    ) -> int:
        """Store a new queued request; returns its id."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO help_request (platform, person_id, user_id, display_name, "
                "origin_room_id, topic, first_message, source, status, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                platform, person_id, user_id, display_name, origin_room_id, topic,
                first_message, source, Status.QUEUED.value, to_text(now),
            )  # fmt: skip
            return int(await tx.fetchval("SELECT last_insert_rowid()"))

    async def get(self, request_id: int) -> HelpRequest | None:
        """A request by id."""
        row = await self.db.fetchrow(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE request_id = $1", request_id
        )
        return None if row is None else _request(row)

    async def active_for(self, person_id: str) -> HelpRequest | None:
        """The person's queued or open request, if any."""
        row = await self.db.fetchrow(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE person_id = $1 "
            "AND status IN ('queued', 'open') ORDER BY request_id LIMIT 1",
            person_id,
        )
        return None if row is None else _request(row)

    async def queued(self, platform: str | None = None) -> list[HelpRequest]:
        """Waiting requests, oldest first (of one platform, or all)."""
        rows = await self.db.fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE status = 'queued' "
            "AND ($1 IS NULL OR platform = $1) ORDER BY created_at, request_id",
            platform,
        )
        return [_request(r) for r in rows]

    async def open_requests(self) -> list[HelpRequest]:
        """Requests with an open help room."""
        rows = await self.db.fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE status = 'open' "
            "ORDER BY request_id"
        )
        return [_request(r) for r in rows]

    async def open_load(self) -> dict[str, int]:
        """Open requests per youth worker (person id)."""
        rows = await self.db.fetch(
            "SELECT worker_person_id, COUNT(*) AS n FROM help_request WHERE status = 'open' "
            "GROUP BY worker_person_id"
        )
        return {r["worker_person_id"]: r["n"] for r in rows}

    async def rooms(self) -> list[tuple[str, str]]:
        """(platform, room id) of every help room still on record."""
        rows = await self.db.fetch(
            "SELECT platform, room_id FROM help_request WHERE room_id IS NOT NULL"
        )
        return [(r["platform"], r["room_id"]) for r in rows]

    async def by_room(self, platform: str, room_id: str) -> HelpRequest | None:
        """The open request whose help room is `room_id`."""
        row = await self.db.fetchrow(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE platform = $1 AND room_id = $2 "
            "AND status = 'open'",
            platform,
            room_id,
        )
        return None if row is None else _request(row)

    async def assign(
        self,
        request_id: int,
        worker_person_id: str,
        worker_user_id: str,
        room_id: str,
        now: datetime,
    ) -> bool:
        """Mark a queued request open with its worker and room; False if no longer queued."""
        changed = await self.db.execute(
            "UPDATE help_request SET status = 'open', worker_person_id = $2, "
            "worker_user_id = $3, room_id = $4, claimed_at = $5 "
            "WHERE request_id = $1 AND status = 'queued'",
            request_id, worker_person_id, worker_user_id, room_id, to_text(now),
        )  # fmt: skip
        return changed == 1

    async def hand_over(
        self,
        request_id: int,
        from_person_id: str,
        to_person_id: str,
        to_user_id: str,
        note: str,
        now: datetime,
    ) -> None:
        """Give an open request to another worker, with a private note."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE help_request SET worker_person_id = $2, worker_user_id = $3 "
                "WHERE request_id = $1",
                request_id, to_person_id, to_user_id,
            )  # fmt: skip
            await tx.execute(
                "INSERT INTO help_note (request_id, from_person_id, to_person_id, note, at) "
                "VALUES ($1, $2, $3, $4, $5)",
                request_id, from_person_id, to_person_id, note, to_text(now),
            )  # fmt: skip

    async def close(self, request_id: int, outcome: str, now: datetime) -> None:
        """Close a request with its outcome."""
        await self.db.execute(
            "UPDATE help_request SET status = 'closed', outcome = $2, closed_at = $3 "
            "WHERE request_id = $1",
            request_id,
            outcome,
            to_text(now),
        )

    async def mark_escalated(self, request_id: int, concern_ref: str, now: datetime) -> None:
        """Remember that the request was turned into a concern."""
        await self.db.execute(
            "UPDATE help_request SET escalated_at = $2, concern_ref = $3 WHERE request_id = $1",
            request_id,
            to_text(now),
            concern_ref,
        )

    async def add_line(
        self,
        request_id: int,
        message_id: str,
        author_person_id: str,
        by_member: bool,
        body: str,
        link: str | None,
        at: datetime,
    ) -> None:
        """Store one transcript line (a redelivered message is stored once)."""
        await self.db.execute(
            "INSERT INTO help_message (request_id, message_id, author_person_id, by_member, "
            "body, link, at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (request_id, message_id) DO NOTHING",
            request_id, message_id, author_person_id, int(by_member), body, link, to_text(at),
        )  # fmt: skip

    async def transcript(self, request_id: int) -> list[Line]:
        """Every stored line of a request, oldest first."""
        rows = await self.db.fetch(
            "SELECT message_id, author_person_id, by_member, body, link, at FROM help_message "
            "WHERE request_id = $1 ORDER BY at, rowid",
            request_id,
        )
        return [
            Line(r["message_id"], r["author_person_id"], bool(r["by_member"]), r["body"],
                 r["link"], from_text(r["at"]))
            for r in rows
        ]  # fmt: skip

    async def notes(self, request_id: int) -> list[dict[str, Any]]:
        """Handover notes of a request (workers only)."""
        rows = await self.db.fetch(
            "SELECT from_person_id, to_person_id, note, at FROM help_note WHERE request_id = $1 "
            "ORDER BY note_id",
            request_id,
        )
        return [dict(r) for r in rows]

    async def of_person(self, person_id: str) -> list[HelpRequest]:
        """Every request a person made."""
        rows = await self.db.fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE person_id = $1 "
            "ORDER BY request_id",
            person_id,
        )
        return [_request(r) for r in rows]

    async def lines_by(self, request_id: int, person_id: str) -> list[Line]:
        """What one person wrote in a request's room."""
        return [
            line
            for line in await self.transcript(request_id)
            if line.author_person_id == person_id
        ]

    async def delete(self, request_id: int) -> None:
        """Delete a request with its transcript and notes (cascade)."""
        await self.db.execute("DELETE FROM help_request WHERE request_id = $1", request_id)

    async def expired(self, cutoff: datetime) -> list[HelpRequest]:
        """Closed requests whose closing is older than `cutoff`."""
        rows = await self.db.fetch(
            f"SELECT {_REQUEST_COLUMNS} FROM help_request WHERE status = 'closed' "
            "AND closed_at < $1 ORDER BY request_id",
            to_text(cutoff),
        )
        return [_request(r) for r in rows]


class OutreachRepository:
    """Check-ins, opt-outs and who is shown as available."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_checkin(
        self,
        *,
        platform: str,
        origin_room_id: str,
        worker_person_id: str,
        worker_user_id: str,
        member_person_id: str,
        member_user_id: str,
        now: datetime,
    ) -> int:
        """Store an offered check-in; returns its id."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outreach_checkin (platform, origin_room_id, worker_person_id, "
                "worker_user_id, member_person_id, member_user_id, sent_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                platform, origin_room_id, worker_person_id, worker_user_id, member_person_id,
                member_user_id, to_text(now),
            )  # fmt: skip
            return int(await tx.fetchval("SELECT last_insert_rowid()"))

    async def checkin(self, checkin_id: int) -> Checkin | None:
        """A check-in by id."""
        row = await self.db.fetchrow(
            "SELECT * FROM outreach_checkin WHERE checkin_id = $1", checkin_id
        )
        return None if row is None else _checkin(row)

    async def last_checkin(self, member_person_id: str) -> Checkin | None:
        """The member's most recent check-in."""
        row = await self.db.fetchrow(
            "SELECT * FROM outreach_checkin WHERE member_person_id = $1 "
            "ORDER BY sent_at DESC, checkin_id DESC LIMIT 1",
            member_person_id,
        )
        return None if row is None else _checkin(row)

    async def last_decline(self, member_person_id: str) -> Checkin | None:
        """The member's most recent declined check-in."""
        row = await self.db.fetchrow(
            "SELECT * FROM outreach_checkin WHERE member_person_id = $1 AND answer = 'declined' "
            "ORDER BY answered_at DESC LIMIT 1",
            member_person_id,
        )
        return None if row is None else _checkin(row)

    async def answer(
        self, checkin_id: int, answer: str, now: datetime, request_id: int | None = None
    ) -> bool:
        """Record the member's answer once; False if it was already answered."""
        changed = await self.db.execute(
            "UPDATE outreach_checkin SET answer = $2, answered_at = $3, request_id = $4 "
            "WHERE checkin_id = $1 AND answer IS NULL",
            checkin_id,
            answer,
            to_text(now),
            request_id,
        )
        return changed == 1

    async def set_request(self, checkin_id: int, request_id: int) -> None:
        """Link an accepted check-in to the help request it opened."""
        await self.db.execute(
            "UPDATE outreach_checkin SET request_id = $2 WHERE checkin_id = $1",
            checkin_id,
            request_id,
        )

    async def opted_out(self, person_id: str) -> bool:
        """True when the member asked for no check-ins."""
        found = await self.db.fetchval(
            "SELECT 1 FROM outreach_optout WHERE person_id = $1", person_id
        )
        return found is not None

    async def set_opt_out(self, person_id: str, out: bool, now: datetime) -> None:
        """Opt out (stored) or back in (the row goes)."""
        if out:
            await self.db.execute(
                "INSERT INTO outreach_optout (person_id, at) VALUES ($1, $2) "
                "ON CONFLICT (person_id) DO UPDATE SET at = excluded.at",
                person_id,
                to_text(now),
            )
        else:
            await self.db.execute("DELETE FROM outreach_optout WHERE person_id = $1", person_id)

    async def set_available(
        self, person_id: str, platform: str, user_id: str, first_name: str, now: datetime
    ) -> None:
        """Show a worker as available on a platform."""
        await self.db.execute(
            "INSERT INTO outreach_available (person_id, platform, user_id, first_name, since) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, platform) DO UPDATE SET "
            "user_id = excluded.user_id, first_name = excluded.first_name, since = excluded.since",
            person_id, platform, user_id, first_name, to_text(now),
        )  # fmt: skip

    async def set_unavailable(self, person_id: str, platform: str) -> int:
        """Stop showing a worker as available; returns rows removed."""
        return await self.db.execute(
            "DELETE FROM outreach_available WHERE person_id = $1 AND platform = $2",
            person_id,
            platform,
        )

    async def available(self, platform: str) -> list[Available]:
        """Workers shown as available on a platform, longest first."""
        rows = await self.db.fetch(
            "SELECT person_id, platform, user_id, first_name, since FROM outreach_available "
            "WHERE platform = $1 ORDER BY since",
            platform,
        )
        return [
            Available(r["person_id"], r["platform"], r["user_id"], r["first_name"],
                      from_text(r["since"]))
            for r in rows
        ]  # fmt: skip

    async def checkins_of(self, member_person_id: str) -> list[Checkin]:
        """Every check-in offered to a member."""
        rows = await self.db.fetch(
            "SELECT * FROM outreach_checkin WHERE member_person_id = $1 ORDER BY checkin_id",
            member_person_id,
        )
        return [_checkin(r) for r in rows]

    async def erase_member(self, person_id: str) -> int:
        """Delete a person's check-ins (as member), opt-out and availability."""
        async with self.db.transaction() as tx:
            count = await tx.execute(
                "DELETE FROM outreach_checkin WHERE member_person_id = $1", person_id
            )
            count += await tx.execute(
                "DELETE FROM outreach_optout WHERE person_id = $1", person_id
            )
            count += await tx.execute(
                "DELETE FROM outreach_available WHERE person_id = $1", person_id
            )
        return count
