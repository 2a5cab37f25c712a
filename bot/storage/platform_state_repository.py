"""Per-platform sync state and processed-event ids (data class: operational)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Database
from bot.storage.timestamps import to_text, utc_now_text


class PlatformStateRepository:
    """Key/value state of one platform adapter, and its event de-duplication."""

    def __init__(self, db: Database, platform: str) -> None:
        self.db = db
        self.platform = platform

    async def get(self, key: str) -> str | None:
        """A stored value."""
        return await self.db.fetchval(
            "SELECT value FROM platform_state WHERE platform = $1 AND key = $2",
            self.platform,
            key,
        )

    async def set(self, key: str, value: str) -> None:
        """Store a value."""
        await self.db.execute(
            "INSERT INTO platform_state (platform, key, value, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (platform, key) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            self.platform,
            key,
            value,
            utc_now_text(),
        )

    async def delete(self, key: str) -> None:
        """Forget a value."""
        await self.db.execute(
            "DELETE FROM platform_state WHERE platform = $1 AND key = $2", self.platform, key
        )

    async def items(self, prefix: str) -> list[tuple[str, str]]:
        """(key, value) pairs whose key starts with `prefix`."""
        rows = await self.db.fetch(
            "SELECT key, value FROM platform_state WHERE platform = $1 AND key LIKE $2 "
            "ESCAPE '\\' ORDER BY key",
            self.platform,
            prefix.replace("%", r"\%").replace("_", r"\_") + "%",
        )
        return [(r["key"], r["value"]) for r in rows]

    async def claim_event(self, event_id: str) -> bool:
        """Record `event_id` as handled; False when it already was."""
        inserted = await self.db.execute(
            "INSERT INTO processed_event (platform, event_id, processed_at) "
            "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            self.platform,
            event_id,
            utc_now_text(),
        )
        return inserted == 1

    async def was_processed(self, event_id: str) -> bool:
        """True when `event_id` was handled before."""
        found = await self.db.fetchval(
            "SELECT 1 FROM processed_event WHERE platform = $1 AND event_id = $2",
            self.platform,
            event_id,
        )
        return found is not None

    async def forget_events_before(self, moment: datetime) -> int:
        """Drop de-duplication records older than `moment`; returns how many."""
        return await self.db.execute(
            "DELETE FROM processed_event WHERE platform = $1 AND processed_at < $2",
            self.platform,
            to_text(moment),
        )

    async def prune(self, keep: timedelta, now: datetime) -> int:
        """Drop de-duplication records older than `keep`."""
        return await self.forget_events_before(now - keep)
