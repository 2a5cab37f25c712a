"""Retention purge SQL: which table holds which data class, and its time column."""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database
from bot.storage.retention import Retained
from bot.storage.timestamps import to_text

# The foundation's own tables; features register theirs on `app.retained`. The audit
# (`audit_event`) is purged by the audit feature's hook, which keeps the chain verifiable.
RETAINED: tuple[Retained, ...] = (
    Retained("pending_confirmation", "operational", "expires_at"),
    Retained("processed_event", "operational", "processed_at"),
    Retained("scheduled_job", "operational", "done_at", "done_at IS NOT NULL"),
)


class RetentionRepository:
    """Deletes what passed its retention; returns counts only."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def purge(self, retained: Retained, cutoff: datetime) -> int:
        """Delete rows of one table older than `cutoff`."""
        # Table and column names come from the fixed RETAINED list, never from input.
        return await self.db.execute(
            f"DELETE FROM {retained.table} WHERE {retained.time_column} < $1 AND {retained.only}",
            to_text(cutoff),
        )

    async def expired_tournaments(self, cutoff: datetime) -> list[tuple[int, str, str | None]]:
        """(id, platform, debrief room) of ended tournaments older than `cutoff`."""
        rows = await self.db.fetch(
            "SELECT tournament_id, platform, debrief_room_id FROM tournament "
            "WHERE status IN ('finished', 'cancelled') "
            "AND COALESCE(finished_at, created_at) < $1 ORDER BY tournament_id",
            to_text(cutoff),
        )
        return [(r["tournament_id"], r["platform"], r["debrief_room_id"]) for r in rows]

    async def delete_tournament(self, tournament_id: int) -> None:
        """Delete a tournament with its players, reports and pairings (cascade)."""
        await self.db.execute("DELETE FROM tournament WHERE tournament_id = $1", tournament_id)
