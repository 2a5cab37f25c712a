"""SQL for a person's tournament data: what `mydata export` shows and erasure anonymises."""

from __future__ import annotations

from typing import Any

from bot.storage.database import Database


class TournamentPersonalRepository:
    """Reads and anonymises one person's rows in the tournament tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def participation(self, person_id: str) -> list[dict[str, Any]]:
        """The person's sign-ups, each with its tournament (bracket and teams as JSON text)."""
        rows = await self.db.fetch(
            "SELECT t.tournament_id, t.platform, t.name, t.game, t.format, t.status, "
            "t.starts_at, t.finished_at, t.bracket_json, t.teams_json, p.display_name, "
            "p.state, p.seed, p.joined_at FROM tournament_player p "
            "JOIN tournament t ON t.tournament_id = p.tournament_id "
            "WHERE p.person_id = $1 ORDER BY t.tournament_id",
            person_id,
        )
        return [dict(r) for r in rows]

    async def reports(self, person_id: str) -> list[dict[str, Any]]:
        """Match reports the person made."""
        rows = await self.db.fetch(
            "SELECT tournament_id, match_id, score_a, score_b, state, reported_at "
            "FROM tournament_report WHERE reporter = $1 ORDER BY tournament_id, match_id",
            person_id,
        )
        return [dict(r) for r in rows]

    async def organised(self, person_id: str) -> list[dict[str, Any]]:
        """Tournaments the person organised."""
        rows = await self.db.fetch(
            "SELECT tournament_id, name, game, status, created_at FROM tournament "
            "WHERE organiser = $1 ORDER BY tournament_id",
            person_id,
        )
        return [dict(r) for r in rows]

    async def tournaments_naming(self, person_id: str) -> list[int]:
        """Every tournament with a row or a bracket entry that names the person."""
        quoted = f'%"{person_id}"%'
        rows = await self.db.fetch(
            "SELECT tournament_id FROM tournament WHERE organiser = $1 "
            "OR bracket_json LIKE $2 OR teams_json LIKE $2 "
            "UNION SELECT tournament_id FROM tournament_player WHERE person_id = $1 "
            "UNION SELECT tournament_id FROM tournament_forbidden_pair "
            "WHERE person_a = $1 OR person_b = $1 "
            "UNION SELECT tournament_id FROM tournament_report "
            "WHERE reporter = $1 OR winner = $1",
            person_id,
            quoted,
        )
        return sorted(r["tournament_id"] for r in rows)

    async def anonymise(
        self, tournament_id: int, person_id: str, alias: str, display_name: str
    ) -> None:
        """Replace the person by `alias` in one tournament, so others' results stay whole."""
        old, new = f'"{person_id}"', f'"{alias}"'
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE tournament_player SET person_id = $1, user_id = '', display_name = $2 "
                "WHERE tournament_id = $3 AND person_id = $4",
                alias,
                display_name,
                tournament_id,
                person_id,
            )
            await tx.execute(
                "UPDATE tournament SET organiser = $1, organiser_user_id = '' "
                "WHERE tournament_id = $2 AND organiser = $3",
                alias,
                tournament_id,
                person_id,
            )
            await tx.execute(
                "UPDATE tournament SET bracket_json = REPLACE(bracket_json, $1, $2), "
                "teams_json = REPLACE(teams_json, $1, $2) WHERE tournament_id = $3",
                old,
                new,
                tournament_id,
            )
            for column in ("person_a", "person_b"):
                await tx.execute(
                    f"UPDATE tournament_forbidden_pair SET {column} = $1 "
                    f"WHERE tournament_id = $2 AND {column} = $3",
                    alias,
                    tournament_id,
                    person_id,
                )
            for column in ("reporter", "winner"):
                await tx.execute(
                    f"UPDATE tournament_report SET {column} = $1 "
                    f"WHERE tournament_id = $2 AND {column} = $3",
                    alias,
                    tournament_id,
                    person_id,
                )
