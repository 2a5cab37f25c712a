"""Pending confirmations of destructive commands (data class: operational)."""

from __future__ import annotations

import json

from bot.core.ports import PendingConfirmation
from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text


class ConfirmationRepository:
    """Stores confirmations so that a restart between ask and confirm loses nothing."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, pending: PendingConfirmation) -> None:
        """Store (or replace) a pending confirmation."""
        await self.db.execute(
            "INSERT INTO pending_confirmation (code, person_id, command, args_json, "
            "room_platform, room_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (person_id, code) DO UPDATE SET command = excluded.command, "
            "args_json = excluded.args_json, expires_at = excluded.expires_at",
            pending.code,
            pending.person_id,
            pending.command,
            json.dumps(pending.args),
            pending.room_platform,
            pending.room_id,
            to_text(pending.expires_at),
        )

    async def take(self, code: str, person_id: str) -> PendingConfirmation | None:
        """Remove and return one pending confirmation of `person_id`."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT code, person_id, command, args_json, room_platform, room_id, expires_at "
                "FROM pending_confirmation WHERE code = $1 AND person_id = $2",
                code,
                person_id,
            )
            if not rows:
                return None
            await tx.execute(
                "DELETE FROM pending_confirmation WHERE code = $1 AND person_id = $2",
                code,
                person_id,
            )
        row = rows[0]
        return PendingConfirmation(
            code=row["code"],
            person_id=row["person_id"],
            command=row["command"],
            args=json.loads(row["args_json"]),
            room_platform=row["room_platform"],
            room_id=row["room_id"],
            expires_at=from_text(row["expires_at"]),
        )
