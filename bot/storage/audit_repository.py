"""The audit trail (data class: audit): who did what to which object, and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry."""

    seq: int
    at: datetime
    actor: str
    action: str
    object: str
    detail: dict[str, Any]


class AuditRepository:
    """Append-only: entries are only ever added, never changed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, at: datetime, actor: str, action: str, obj: str, **detail: Any) -> None:
        """Append one entry (`actor` is a pseudonymous person id or `system`)."""
        await self.db.execute(
            "INSERT INTO audit_event (at, actor, action, object, detail_json) "
            "VALUES ($1, $2, $3, $4, $5)",
            to_text(at),
            actor,
            action,
            obj,
            json.dumps(detail, sort_keys=True, default=str),
        )

    async def for_object(self, obj: str) -> list[AuditEvent]:
        """Every entry about one object, oldest first."""
        rows = await self.db.fetch(
            "SELECT seq, at, actor, action, object, detail_json FROM audit_event "
            "WHERE object = $1 ORDER BY seq",
            obj,
        )
        return [
            AuditEvent(
                r["seq"], from_text(r["at"]), r["actor"], r["action"], r["object"],
                json.loads(r["detail_json"]),
            )
            for r in rows
        ]  # fmt: skip
