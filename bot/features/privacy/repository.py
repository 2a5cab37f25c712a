"""Retention purge SQL: which table holds which data class, and its time column."""

from __future__ import annotations

import asyncio
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

    async def purge(self, retained: Retained, cutoff: datetime, batch: int = 50_000) -> int:
        """Delete rows of one table older than `cutoff`, `batch` rows per transaction.

        One DELETE of a million rows holds the write lock for seconds (bench/privacy_bench.py),
        so each round deletes up to the time of the `batch`-th oldest expired row.
        """
        # Table and column names come from the fixed RETAINED list, never from input.
        table, column, only = retained.table, retained.time_column, retained.only
        expired = f"{column} < $1 AND {only}"
        removed = 0
        while True:
            bound = await self.db.fetchval(
                f"SELECT {column} FROM {table} WHERE {expired} ORDER BY {column} "
                "LIMIT 1 OFFSET $2",
                to_text(cutoff),
                batch,
            )
            if bound is None:  # at most `batch` expired rows left
                return removed + await self.db.execute(
                    f"DELETE FROM {table} WHERE {expired}", to_text(cutoff)
                )
            count = await self.db.execute(f"DELETE FROM {table} WHERE {expired}", bound)
            if count == 0:  # more than `batch` rows share the bound's time
                count = await self.db.execute(
                    f"DELETE FROM {table} WHERE {column} <= $1 AND {only}", bound
                )
            removed += count
            await asyncio.sleep(0)  # let waiting commands in between batches

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
