"""People and their platform identities (data class: identity)."""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.core.ports import Person
from bot.storage.database import Database
from bot.storage.timestamps import to_text, utc_now_text


class PeopleRepository:
    """Maps (platform, platform user id) to a pseudonymous person id."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Identities never move between people, so a hit is safe to keep; the language
        # is refreshed by set_language, the only writer.
        self._cache: dict[tuple[str, str], Person] = {}

    async def ensure_person(self, platform: str, user_id: str) -> Person:
        """The person behind this identity, created (written) on first sight."""
        cached = self._cache.get((platform, user_id))
        if cached is not None:
            return cached
        person = await self._load_or_create(platform, user_id)
        self._cache[(platform, user_id)] = person
        return person

    async def _load_or_create(self, platform: str, user_id: str) -> Person:
        row = await self.db.fetchrow(
            "SELECT p.person_id, p.language FROM identity i JOIN person p "
            "ON p.person_id = i.person_id WHERE i.platform = $1 AND i.platform_user_id = $2",
            platform,
            user_id,
        )
        if row is not None:
            return Person(row["person_id"], row["language"])
        person_id = "p_" + secrets.token_hex(8)
        now = utc_now_text()
        async with self.db.transaction() as tx:
            existing = await tx.fetchval(
                "SELECT person_id FROM identity WHERE platform = $1 AND platform_user_id = $2",
                platform,
                user_id,
            )
            if existing is not None:
                language = await tx.fetchval(
                    "SELECT language FROM person WHERE person_id = $1", existing
                )
                return Person(existing, language)
            await tx.execute(
                "INSERT INTO person (person_id, language, created_at) VALUES ($1, NULL, $2)",
                person_id,
                now,
            )
            await tx.execute(
                "INSERT INTO identity (platform, platform_user_id, person_id, created_at) "
                "VALUES ($1, $2, $3, $4)",
                platform,
                user_id,
                person_id,
                now,
            )
        return Person(person_id, None)

    async def set_language(self, person_id: str, language: str | None) -> None:
        """Store the person's language choice (None: the default)."""
        await self.db.execute(
            "UPDATE person SET language = $1 WHERE person_id = $2", language, person_id
        )
        for key, person in list(self._cache.items()):
            if person.person_id == person_id:
                self._cache[key] = Person(person_id, language)

    def forget_cached(self, person_id: str) -> None:
        """Drop cached entries of a person (call after erasing or merging them)."""
        for key in [k for k, p in self._cache.items() if p.person_id == person_id]:
            del self._cache[key]

    async def get(self, person_id: str) -> Person | None:
        """A person by id."""
        row = await self.db.fetchrow(
            "SELECT person_id, language FROM person WHERE person_id = $1", person_id
        )
        return None if row is None else Person(row["person_id"], row["language"])

    async def identities(self, person_id: str) -> list[tuple[str, str]]:
        """(platform, platform user id) pairs of one person."""
        rows = await self.db.fetch(
            "SELECT platform, platform_user_id FROM identity WHERE person_id = $1 "
            "ORDER BY platform",
            person_id,
        )
        return [(r["platform"], r["platform_user_id"]) for r in rows]

    async def touch(self, person_id: str, now: datetime) -> None:
        """Record that the person used Haven at `now` (identity retention runs from it)."""
        await self.db.execute(
            "UPDATE person SET last_seen_at = $1 WHERE person_id = $2", to_text(now), person_id
        )

    async def claim_notice(self, person_id: str, now: datetime) -> bool:
        """Mark the privacy notice as shown; True only for the first caller, ever."""
        changed = await self.db.execute(
            "UPDATE person SET notice_at = $1 WHERE person_id = $2 AND notice_at IS NULL",
            to_text(now),
            person_id,
        )
        return changed == 1

    async def release_notice(self, person_id: str) -> None:
        """Undo `claim_notice` (the notice could not be delivered)."""
        await self.db.execute("UPDATE person SET notice_at = NULL WHERE person_id = $1", person_id)

    async def inactive_since(self, cutoff: datetime) -> list[str]:
        """Ids of people not seen since before `cutoff` (never seen: since creation)."""
        rows = await self.db.fetch(
            "SELECT person_id FROM person WHERE COALESCE(last_seen_at, created_at) < $1 "
            "ORDER BY person_id",
            to_text(cutoff),
        )
        return [r["person_id"] for r in rows]
