"""The one query the audit commands need besides the audit trail: who an account is."""

from __future__ import annotations

from bot.storage.database import Database


class AuditPeopleRepository:
    """Read-only look-ups of pseudonymous person ids (never creates a person)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def person_for(self, platform: str, user_id: str) -> str | None:
        """The person id behind a platform account, if Haven has seen it."""
        return await self.db.fetchval(
            "SELECT person_id FROM identity WHERE platform = $1 AND platform_user_id = $2",
            platform,
            user_id,
        )
