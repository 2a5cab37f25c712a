"""All SQL of the safety feature: concerns, the protected reports, false positives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.features.safety.model import Concern, ConcernView, NewReport, Status
from bot.storage.database import Database, Transaction
from bot.storage.timestamps import from_text, to_text

_COLUMNS = (
    "c.concern_id, c.source, c.categories, c.severity, c.status, c.platform, c.room_id, "
    "c.message_id, c.link, c.excerpt, c.subject_person_id, c.created_at, c.escalation_step, "
    "c.handled_by, c.handled_at, c.dismiss_reason, c.card_platform, c.card_room_id, "
    "c.card_message_id, c.thread_room_id, c.matched, "
    "(SELECT COUNT(*) FROM concern_report r WHERE r.concern_id = c.concern_id) AS reports"
)
_LIVE = ("open", "acknowledged")

# Reviewed concerns with no room of their own left to close, not held by an open case
# (the case files' tables; the safety purge hook handles concerns that still have a room).
PURGEABLE = (
    "status IN ('dismissed', 'case') AND thread_room_id IS NULL AND concern_id NOT IN "
    "(SELECT k.concern_id FROM case_concern k JOIN case_file f ON f.case_id = k.case_id "
    "WHERE f.state <> 'closed')"
)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


def _concern(row: Any) -> Concern:
    view = ConcernView(
        concern_id=row["concern_id"],
        source=row["source"],
        categories=_split(row["categories"]),
        severity=row["severity"],
        status=row["status"],
        platform=row["platform"],
        room_id=row["room_id"],
        message_id=row["message_id"],
        link=row["link"],
        excerpt=row["excerpt"],
        subject_person_id=row["subject_person_id"],
        created_at=from_text(row["created_at"]),
    )
    return Concern(
        view=view,
        escalation_step=row["escalation_step"],
        handled_by=row["handled_by"],
        handled_at=from_text(row["handled_at"]) if row["handled_at"] else None,
        dismiss_reason=row["dismiss_reason"],
        card_platform=row["card_platform"],
        card_room_id=row["card_room_id"],
        card_message_id=row["card_message_id"],
        thread_room_id=row["thread_room_id"],
        report_count=row["reports"],
        matched=_split(row["matched"]),
    )


class SafetyRepository:
    """Concerns and reports in SQLite (data class: concern_messages)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        source: str,
        categories: Iterable[str],
        severity: str,
        platform: str | None,
        room_id: str | None,
        message_id: str | None,
        link: str | None,
        excerpt: str,
        subject_person_id: str | None,
        now: datetime,
        report: NewReport | None = None,
        score: float | None = None,
        matched: Iterable[str] = (),
    ) -> tuple[int, bool]:
        """Store a concern (and its report) in one transaction: (concern id, is it new).

        A second report of a message that already has a live concern joins that concern,
        and a report whose `origin_key` was seen before changes nothing.
        """
        async with self.db.transaction() as tx:
            if report is not None and report.origin_key is not None:
                seen = await tx.fetchval(
                    "SELECT concern_id FROM concern_report WHERE origin_key = $1",
                    report.origin_key,
                )
                if seen is not None:
                    return int(seen), False
            existing = None
            if message_id is not None:
                existing = await tx.fetchval(
                    "SELECT concern_id FROM concern WHERE platform = $1 AND message_id = $2 "
                    "AND status IN ('open', 'acknowledged') ORDER BY concern_id LIMIT 1",
                    platform,
                    message_id,
                )
            if existing is not None:
                concern_id, created = int(existing), False
            else:
                await tx.execute(
                    "INSERT INTO concern (source, categories, severity, status, platform, "
                    "room_id, message_id, link, excerpt, subject_person_id, created_at, "
                    "updated_at, detector_score, matched) VALUES ($1, $2, $3, 'open', $4, $5, "
                    "$6, $7, $8, $9, $10, $10, $11, $12)",
                    source,
                    ",".join(categories),
                    severity,
                    platform,
                    room_id,
                    message_id,
                    link,
                    excerpt,
                    subject_person_id,
                    to_text(now),
                    score,
                    ",".join(matched),
                )
                concern_id = int(await tx.fetchval("SELECT last_insert_rowid()"))
                created = True
            if report is not None:
                await self._add_report(tx, concern_id, report, now)
            return concern_id, created

    @staticmethod
    async def _add_report(
        tx: Transaction, concern_id: int, report: NewReport, now: datetime
    ) -> None:
        await tx.execute(
            "INSERT INTO concern_report (concern_id, reporter_person_id, reason, origin, "
            "origin_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            concern_id,
            report.reporter_person_id,
            report.reason,
            report.origin,
            report.origin_key,
            to_text(now),
        )

    async def get(self, concern_id: int) -> Concern | None:
        """One concern with its review bookkeeping."""
        row = await self.db.fetchrow(
            f"SELECT {_COLUMNS} FROM concern c WHERE c.concern_id = $1", concern_id
        )
        return None if row is None else _concern(row)

    async def listing(self, statuses: Iterable[str], limit: int = 25) -> list[Concern]:
        """Concerns in some states, most severe and oldest first."""
        wanted = list(statuses)
        marks = ", ".join(f"${i + 2}" for i in range(len(wanted)))
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM concern c WHERE c.status IN ({marks}) "
            "ORDER BY CASE c.severity WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, "
            "c.concern_id LIMIT $1",
            limit,
            *wanted,
        )
        return [_concern(r) for r in rows]

    async def without_card(self) -> list[Concern]:
        """Live concerns whose card was never posted (e.g. a crash right after storing)."""
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM concern c WHERE c.card_message_id IS NULL "
            "AND c.status IN ('open', 'acknowledged') ORDER BY c.concern_id"
        )
        return [_concern(r) for r in rows]

    async def set_card(
        self, concern_id: int, platform: str, room_id: str, message_id: str
    ) -> None:
        """Remember where a concern's card was posted."""
        await self.db.execute(
            "UPDATE concern SET card_platform = $2, card_room_id = $3, card_message_id = $4 "
            "WHERE concern_id = $1",
            concern_id,
            platform,
            room_id,
            message_id,
        )

    async def set_thread(self, concern_id: int, room_id: str) -> None:
        """Remember the concern's own thread or room."""
        await self.db.execute(
            "UPDATE concern SET thread_room_id = $2 WHERE concern_id = $1", concern_id, room_id
        )

    async def change_status(
        self,
        concern_id: int,
        allowed_from: Iterable[Status],
        to: Status,
        by: str,
        now: datetime,
        reason: str | None = None,
        note: str | None = None,
    ) -> bool:
        """Move a concern to `to` if it is in one of `allowed_from` (False: it was not)."""
        states = [s.value for s in allowed_from]
        marks = ", ".join(f"${i + 7}" for i in range(len(states)))
        changed = await self.db.execute(
            "UPDATE concern SET status = $2, handled_by = $3, handled_at = $4, updated_at = $4, "
            f"dismiss_reason = COALESCE($5, dismiss_reason), dismiss_note = $6 "
            f"WHERE concern_id = $1 AND status IN ({marks})",
            concern_id,
            to.value,
            by,
            to_text(now),
            reason,
            note,
            *states,
        )
        return changed == 1

    async def set_severity(self, concern_id: int, severity: str, now: datetime) -> None:
        """Raise (or set) a concern's severity."""
        await self.db.execute(
            "UPDATE concern SET severity = $2, updated_at = $3 WHERE concern_id = $1",
            concern_id,
            severity,
            to_text(now),
        )

    async def set_step(self, concern_id: int, step: int) -> None:
        """Remember how far escalation went (0: primary, 1: backup, 2: coordinators)."""
        await self.db.execute(
            "UPDATE concern SET escalation_step = $2 WHERE concern_id = $1", concern_id, step
        )

    async def record_false_positive(self, concern: Concern, now: datetime) -> None:
        """Keep a dismissed detector verdict for the detector's evaluation set."""
        await self.db.execute(
            "INSERT INTO concern_false_positive (concern_id, categories, matched, excerpt, "
            "dismissed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (concern_id) DO NOTHING",
            concern.concern_id,
            ",".join(concern.view.categories),
            ",".join(concern.matched),
            concern.view.excerpt,
            to_text(now),
        )

    async def false_positives(self) -> list[dict[str, Any]]:
        """Every dismissed false positive (categories, matched terms, excerpt)."""
        rows = await self.db.fetch(
            "SELECT concern_id, categories, matched, excerpt, dismissed_at "
            "FROM concern_false_positive ORDER BY concern_id"
        )
        return [dict(r) for r in rows]

    async def reporters(self, concern_id: int) -> list[tuple[str | None, str | None, datetime]]:
        """(reporter person id, reason, when) of a concern: protected, audited by callers."""
        rows = await self.db.fetch(
            "SELECT reporter_person_id, reason, created_at FROM concern_report "
            "WHERE concern_id = $1 ORDER BY report_id",
            concern_id,
        )
        return [(r["reporter_person_id"], r["reason"], from_text(r["created_at"])) for r in rows]

    async def reports_by(self, person_id: str) -> list[dict[str, Any]]:
        """A member's own reports: their reason and date only (not the handling)."""
        rows = await self.db.fetch(
            "SELECT report_id, reason, created_at FROM concern_report "
            "WHERE reporter_person_id = $1 ORDER BY report_id",
            person_id,
        )
        return [
            {"report": r["report_id"], "reason": r["reason"], "reported_at": r["created_at"]}
            for r in rows
        ]

    async def forget_reporter(self, person_id: str, keep_concerns: set[int]) -> int:
        """Erase a reporter's reports, except those tied to `keep_concerns` (open cases)."""
        held = sorted(keep_concerns)
        marks = ", ".join(f"${i + 2}" for i in range(len(held))) or "NULL"
        return await self.db.execute(
            "DELETE FROM concern_report WHERE reporter_person_id = $1 "
            f"AND concern_id NOT IN ({marks})",
            person_id,
            *held,
        )

    async def concerns_about(self, person_id: str) -> list[int]:
        """Ids of concerns whose subject is the person."""
        rows = await self.db.fetch(
            "SELECT concern_id FROM concern WHERE subject_person_id = $1 ORDER BY concern_id",
            person_id,
        )
        return [r["concern_id"] for r in rows]

    async def delete_concerns(self, concern_ids: Iterable[int]) -> int:
        """Delete concerns (their reports and false-positive rows go with them)."""
        ids = list(concern_ids)
        if not ids:
            return 0
        marks = ", ".join(f"${i + 1}" for i in range(len(ids)))
        return await self.db.execute(f"DELETE FROM concern WHERE concern_id IN ({marks})", *ids)

    async def expired(self, cutoff: datetime) -> list[int]:
        """Ids of concerns last changed before `cutoff`."""
        rows = await self.db.fetch(
            "SELECT concern_id FROM concern WHERE updated_at < $1 ORDER BY concern_id",
            to_text(cutoff),
        )
        return [r["concern_id"] for r in rows]

    async def count(self) -> int:
        """How many concerns exist."""
        return int(await self.db.fetchval("SELECT COUNT(*) FROM concern"))
