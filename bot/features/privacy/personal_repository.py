"""SQL for the foundation's personal data: person, identities, confirmations, platform state.

Used by `mydata export` / `mydata erase` (through `FoundationData`) and by the identity
retention purge. Platform state keys that name a person: the Matrix direct-room map
(`dm_rooms`), button controls (`buttons:<event>`, whose `user` may be the person) and
timeouts (`mute:<user>`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text


@dataclass(frozen=True, slots=True)
class Timeout:
    """A timeout still recorded for one of the person's accounts."""

    platform: str
    until: datetime


class PersonalRepository:
    """Reads and erases what the foundation tables hold about one person."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- export ----------------------------------------------------------------------------

    async def person(self, person_id: str) -> dict[str, Any] | None:
        """The person row, JSON-ready."""
        row = await self.db.fetchrow(
            "SELECT person_id, language, created_at, last_seen_at, notice_at FROM person "
            "WHERE person_id = $1",
            person_id,
        )
        return None if row is None else dict(row)

    async def identities(self, person_id: str) -> list[dict[str, Any]]:
        """The person's platform accounts."""
        rows = await self.db.fetch(
            "SELECT platform, platform_user_id, created_at FROM identity WHERE person_id = $1 "
            "ORDER BY platform, platform_user_id",
            person_id,
        )
        return [
            {"platform": r["platform"], "user_id": r["platform_user_id"], "since": r["created_at"]}
            for r in rows
        ]

    async def confirmations(self, person_id: str) -> list[dict[str, Any]]:
        """Commands waiting for the person's confirmation (arguments left out: they may
        name other people)."""
        rows = await self.db.fetch(
            "SELECT command, expires_at FROM pending_confirmation WHERE person_id = $1 "
            "ORDER BY expires_at",
            person_id,
        )
        return [dict(r) for r in rows]

    async def own_actions(self, person_id: str) -> list[dict[str, Any]]:
        """Audit entries of what the person did (time and action; never other people's)."""
        rows = await self.db.fetch(
            "SELECT at, action FROM audit_event WHERE actor = $1 ORDER BY at", person_id
        )
        return [dict(r) for r in rows]

    async def direct_rooms(self, identities: list[tuple[str, str]]) -> list[dict[str, str]]:
        """The direct rooms Haven remembers with the person's accounts."""
        found = []
        for platform, user_id in identities:
            rooms = await self._dm_map(platform)
            if user_id in rooms:
                found.append({"platform": platform, "room_id": rooms[user_id]})
        return found

    async def timeouts(self, identities: list[tuple[str, str]]) -> list[Timeout]:
        """Timeouts recorded for the person's accounts (Matrix keeps them to lift them)."""
        found = []
        for platform, user_id in identities:
            value = await self._state(platform, f"mute:{user_id}")
            if value is not None:
                found.append(Timeout(platform, from_text(json.loads(value)["until"])))
        return found

    async def audit_mentions(self, person_id: str) -> datetime | None:
        """The time of the newest audit entry naming the person (as actor or in the entry)."""
        pattern = f"%{person_id}%"
        latest = await self.db.fetchval(
            "SELECT MAX(at) FROM audit_event WHERE actor = $1 OR object LIKE $2 "
            "OR detail_json LIKE $2",
            person_id,
            pattern,
        )
        return None if latest is None else from_text(latest)

    # -- erase -----------------------------------------------------------------------------

    async def erase(
        self, person_id: str, identities: list[tuple[str, str]], *, keep: bool
    ) -> None:
        """Remove the person's foundation data; with `keep`, only the person row and its
        identities stay (held), stripped of everything else."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM pending_confirmation WHERE person_id = $1", person_id)
            for platform, user_id in identities:
                rooms_text = await tx.fetchval(
                    "SELECT value FROM platform_state WHERE platform = $1 AND key = 'dm_rooms'",
                    platform,
                )
                rooms = json.loads(rooms_text) if rooms_text else {}
                if rooms.pop(user_id, None) is not None:
                    await tx.execute(
                        "UPDATE platform_state SET value = $1 WHERE platform = $2 "
                        "AND key = 'dm_rooms'",
                        json.dumps(rooms),
                        platform,
                    )
                for row in await tx.fetch(
                    "SELECT key, value FROM platform_state WHERE platform = $1 "
                    "AND key LIKE 'buttons:%'",
                    platform,
                ):
                    if json.loads(row["value"]).get("user") == user_id:
                        await tx.execute(
                            "DELETE FROM platform_state WHERE platform = $1 AND key = $2",
                            platform,
                            row["key"],
                        )
            if keep:
                await tx.execute(
                    "UPDATE person SET language = NULL, notice_at = NULL WHERE person_id = $1",
                    person_id,
                )
            else:  # identities and confirmations go with it (ON DELETE CASCADE)
                await tx.execute("DELETE FROM person WHERE person_id = $1", person_id)

    # -- retention -------------------------------------------------------------------------

    async def stamp_state(self, now: datetime) -> int:
        """Give state entries written before timestamps existed the time `now`."""
        return await self.db.execute(
            "UPDATE platform_state SET updated_at = $1 WHERE updated_at IS NULL", to_text(now)
        )

    async def purge_buttons(self, cutoff: datetime) -> int:
        """Drop button controls (Matrix reactions) written before `cutoff`."""
        return await self.db.execute(
            "DELETE FROM platform_state WHERE key LIKE 'buttons:%' AND updated_at < $1",
            to_text(cutoff),
        )

    # -- helpers ---------------------------------------------------------------------------

    async def _state(self, platform: str, key: str) -> str | None:
        return await self.db.fetchval(
            "SELECT value FROM platform_state WHERE platform = $1 AND key = $2", platform, key
        )

    async def _dm_map(self, platform: str) -> dict[str, str]:
        value = await self._state(platform, "dm_rooms")
        return json.loads(value) if value else {}
