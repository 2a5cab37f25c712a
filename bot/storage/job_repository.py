"""Persisted scheduled jobs (data class: operational)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text, utc_now_text


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job waiting to run (or run, when `done_at` is set)."""

    job_id: str
    kind: str
    run_at: datetime
    payload: dict[str, Any]


class JobRepository:
    """Jobs are written before they are scheduled, and marked done after they ran."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, job_id: str, kind: str, run_at: datetime, payload: dict[str, Any]) -> None:
        """Store (or move) a pending job."""
        await self.db.execute(
            "INSERT INTO scheduled_job (job_id, kind, run_at, payload_json, created_at, done_at) "
            "VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (job_id) DO UPDATE SET "
            "kind = excluded.kind, run_at = excluded.run_at, "
            "payload_json = excluded.payload_json, done_at = NULL",
            job_id,
            kind,
            to_text(run_at),
            json.dumps(payload),
            utc_now_text(),
        )

    async def pending(self) -> list[StoredJob]:
        """Every job not yet done, soonest first."""
        rows = await self.db.fetch(
            "SELECT job_id, kind, run_at, payload_json FROM scheduled_job "
            "WHERE done_at IS NULL ORDER BY run_at, job_id"
        )
        return [_job(r) for r in rows]

    async def pending_ids(self, prefix: str) -> set[str]:
        """Ids of pending jobs whose id starts with `prefix` (cheaper than `pending`)."""
        rows = await self.db.fetch(
            "SELECT job_id FROM scheduled_job "
            "WHERE done_at IS NULL AND substr(job_id, 1, $1) = $2",
            len(prefix),
            prefix,
        )
        return {r["job_id"] for r in rows}

    async def count_pending(self) -> int:
        """How many jobs are not yet done."""
        return int(
            await self.db.fetchval("SELECT COUNT(*) FROM scheduled_job WHERE done_at IS NULL")
        )

    async def next_run_at(self, kinds: Iterable[str]) -> datetime | None:
        """The soonest pending run time among jobs of `kinds` (None: nothing pending)."""
        names = list(kinds)
        if not names:
            return None
        marks = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        value = await self.db.fetchval(
            f"SELECT MIN(run_at) FROM scheduled_job WHERE done_at IS NULL AND kind IN ({marks})",
            *names,
        )
        return None if value is None else from_text(value)

    async def get_pending(self, job_id: str) -> StoredJob | None:
        """One pending job by id."""
        row = await self.db.fetchrow(
            "SELECT job_id, kind, run_at, payload_json FROM scheduled_job "
            "WHERE job_id = $1 AND done_at IS NULL",
            job_id,
        )
        return None if row is None else _job(row)

    async def due(self, now: datetime) -> list[StoredJob]:
        """Pending jobs whose time has come."""
        rows = await self.db.fetch(
            "SELECT job_id, kind, run_at, payload_json FROM scheduled_job "
            "WHERE done_at IS NULL AND run_at <= $1 ORDER BY run_at, job_id",
            to_text(now),
        )
        return [_job(r) for r in rows]

    async def mark_done(self, job_id: str, now: datetime) -> bool:
        """Mark a job done; False when it was done already (so it never runs twice)."""
        changed = await self.db.execute(
            "UPDATE scheduled_job SET done_at = $1 WHERE job_id = $2 AND done_at IS NULL",
            to_text(now),
            job_id,
        )
        return changed == 1

    async def cancel(self, job_id: str) -> None:
        """Forget a pending job."""
        await self.db.execute(
            "DELETE FROM scheduled_job WHERE job_id = $1 AND done_at IS NULL", job_id
        )

    async def cancel_prefix(self, prefix: str) -> int:
        """Forget pending jobs whose id starts with `prefix`."""
        return await self.db.execute(
            "DELETE FROM scheduled_job WHERE done_at IS NULL AND substr(job_id, 1, $1) = $2",
            len(prefix),
            prefix,
        )


def _job(row: Any) -> StoredJob:
    return StoredJob(
        row["job_id"], row["kind"], from_text(row["run_at"]), json.loads(row["payload_json"])
    )
