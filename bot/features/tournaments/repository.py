"""Tournament storage: the only place with the feature's SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.features.tournaments.model import Bracket, Format
from bot.storage.database import Database, Transaction
from bot.storage.timestamps import from_text, to_text


class Status(StrEnum):
    """Life of a tournament."""

    OPEN = "open"  # sign-ups
    CHECKIN = "checkin"  # check-in window open
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class PlayerState(StrEnum):
    """A sign-up's state."""

    JOINED = "joined"
    WAITING = "waiting"  # on the waiting list
    CHECKED_IN = "checked_in"
    DROPPED = "dropped"  # no-show at check-in close


class ReportState(StrEnum):
    """A match report's state."""

    PENDING = "pending"  # waiting for the opponent
    DISPUTED = "disputed"  # a youth worker settles it


@dataclass(frozen=True, slots=True)
class Tournament:
    """One tournament row."""

    tournament_id: int
    platform: str
    room_id: str
    name: str
    game: str
    format: Format
    max_players: int
    team_size: int
    swiss_rounds: int
    starts_at: datetime
    checkin_minutes: int
    status: Status
    organiser: str
    organiser_user_id: str
    bracket: Bracket | None
    debrief_room_id: str | None
    teams: dict[str, list[str]]  # team entrant id -> person ids; empty when playing solo


@dataclass(frozen=True, slots=True)
class Player:
    """One sign-up."""

    person_id: str
    user_id: str
    display_name: str
    state: PlayerState
    seed: int | None


@dataclass(frozen=True, slots=True)
class Report:
    """A result reported by a player, awaiting the opponent."""

    match_id: str
    reporter: str
    winner: str | None
    score_a: int
    score_b: int
    state: ReportState


_T_COLUMNS = (
    "tournament_id, platform, room_id, name, game, format, max_players, team_size, "
    "swiss_rounds, starts_at, checkin_minutes, status, organiser, organiser_user_id, "
    "bracket_json, debrief_room_id, teams_json"
)


def _tournament(row: Any) -> Tournament:
    bracket = Bracket.from_dict(json.loads(row["bracket_json"])) if row["bracket_json"] else None
    return Tournament(
        tournament_id=row["tournament_id"],
        platform=row["platform"],
        room_id=row["room_id"],
        name=row["name"],
        game=row["game"],
        format=Format(row["format"]),
        max_players=row["max_players"],
        team_size=row["team_size"],
        swiss_rounds=row["swiss_rounds"],
        starts_at=from_text(row["starts_at"]),
        checkin_minutes=row["checkin_minutes"],
        status=Status(row["status"]),
        organiser=row["organiser"],
        organiser_user_id=row["organiser_user_id"],
        bracket=bracket,
        debrief_room_id=row["debrief_room_id"],
        teams=json.loads(row["teams_json"]) if row["teams_json"] else {},
    )


class TournamentRepository:
    """Tournaments, players, forbidden pairs and pending reports."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        platform: str,
        room_id: str,
        name: str,
        game: str,
        format: Format,
        max_players: int,
        team_size: int,
        swiss_rounds: int,
        starts_at: datetime,
        checkin_minutes: int,
        organiser: str,
        organiser_user_id: str,
        now: datetime,
    ) -> int:
        """Store a new open tournament; returns its id."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO tournament (platform, room_id, name, game, format, max_players, "
                "team_size, swiss_rounds, starts_at, checkin_minutes, status, organiser, "
                "organiser_user_id, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                platform,
                room_id,
                name,
                game,
                format.value,
                max_players,
                team_size,
                swiss_rounds,
                to_text(starts_at),
                checkin_minutes,
                Status.OPEN.value,
                organiser,
                organiser_user_id,
                to_text(now),
            )
            return int(await tx.fetchval("SELECT last_insert_rowid()"))

    async def get(self, tournament_id: int) -> Tournament | None:
        """One tournament."""
        row = await self.db.fetchrow(
            f"SELECT {_T_COLUMNS} FROM tournament WHERE tournament_id = $1", tournament_id
        )
        return None if row is None else _tournament(row)

    async def list_active(self, platform: str) -> list[Tournament]:
        """Tournaments not finished or cancelled on one platform, soonest first."""
        rows = await self.db.fetch(
            f"SELECT {_T_COLUMNS} FROM tournament WHERE platform = $1 AND status IN "
            "('open', 'checkin', 'running') ORDER BY starts_at, tournament_id",
            platform,
        )
        return [_tournament(r) for r in rows]

    async def all_unfinished(self) -> list[Tournament]:
        """Every tournament still open, in check-in or running (for reconciliation)."""
        rows = await self.db.fetch(
            f"SELECT {_T_COLUMNS} FROM tournament WHERE status IN "
            "('open', 'checkin', 'running') ORDER BY tournament_id"
        )
        return [_tournament(r) for r in rows]

    async def set_status(
        self, tournament_id: int, status: Status, now: datetime | None = None
    ) -> None:
        """Move a tournament to `status` (finished ones get a finish time)."""
        finished = to_text(now) if now is not None and status is Status.FINISHED else None
        await self.db.execute(
            "UPDATE tournament SET status = $1, finished_at = COALESCE($2, finished_at) "
            "WHERE tournament_id = $3",
            status.value,
            finished,
            tournament_id,
        )

    async def save_bracket(
        self, tournament_id: int, bracket: Bracket, status: Status | None = None
    ) -> None:
        """Store the bracket (and optionally a new status) atomically."""
        async with self.db.transaction() as tx:
            await self._save_bracket(tx, tournament_id, bracket, status)

    @staticmethod
    async def _save_bracket(
        tx: Transaction, tournament_id: int, bracket: Bracket, status: Status | None
    ) -> None:
        await tx.execute(
            "UPDATE tournament SET bracket_json = $1, status = COALESCE($2, status) "
            "WHERE tournament_id = $3",
            json.dumps(bracket.to_dict()),
            status.value if status is not None else None,
            tournament_id,
        )

    async def save_start(
        self, tournament_id: int, bracket: Bracket, teams: dict[str, list[str]]
    ) -> None:
        """Store the first bracket and the teams, and mark the tournament running."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE tournament SET teams_json = $1 WHERE tournament_id = $2",
                json.dumps(teams) if teams else None,
                tournament_id,
            )
            await self._save_bracket(tx, tournament_id, bracket, Status.RUNNING)

    async def set_debrief_room(self, tournament_id: int, room_id: str) -> None:
        """Remember the debrief room."""
        await self.db.execute(
            "UPDATE tournament SET debrief_room_id = $1 WHERE tournament_id = $2",
            room_id,
            tournament_id,
        )

    # -- players -------------------------------------------------------------------------

    async def players(self, tournament_id: int) -> list[Player]:
        """Every sign-up in join order."""
        rows = await self.db.fetch(
            "SELECT person_id, user_id, display_name, state, seed FROM tournament_player "
            "WHERE tournament_id = $1 ORDER BY joined_at, person_id",
            tournament_id,
        )
        return [
            Player(r["person_id"], r["user_id"], r["display_name"], PlayerState(r["state"]),
                   r["seed"])
            for r in rows
        ]  # fmt: skip

    async def add_player(
        self,
        tournament_id: int,
        person_id: str,
        user_id: str,
        display_name: str,
        state: PlayerState,
        now: datetime,
    ) -> bool:
        """Sign a person up; False when they already were."""
        added = await self.db.execute(
            "INSERT INTO tournament_player (tournament_id, person_id, user_id, display_name, "
            "state, joined_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            tournament_id,
            person_id,
            user_id,
            display_name,
            state.value,
            to_text(now),
        )
        return added == 1

    async def remove_player(self, tournament_id: int, person_id: str) -> None:
        """Take a sign-up away."""
        await self.db.execute(
            "DELETE FROM tournament_player WHERE tournament_id = $1 AND person_id = $2",
            tournament_id,
            person_id,
        )

    async def set_player_state(
        self, tournament_id: int, person_id: str, state: PlayerState
    ) -> None:
        """Change one sign-up's state."""
        await self.db.execute(
            "UPDATE tournament_player SET state = $1 WHERE tournament_id = $2 AND person_id = $3",
            state.value,
            tournament_id,
            person_id,
        )

    async def set_seed(self, tournament_id: int, person_id: str, seed: int | None) -> None:
        """A manual seed position (None: random)."""
        await self.db.execute(
            "UPDATE tournament_player SET seed = $1 WHERE tournament_id = $2 AND person_id = $3",
            seed,
            tournament_id,
            person_id,
        )

    async def drop_unchecked(self, tournament_id: int) -> int:
        """At check-in close: everyone joined but not checked in is dropped."""
        return await self.db.execute(
            "UPDATE tournament_player SET state = 'dropped' WHERE tournament_id = $1 "
            "AND state = 'joined'",
            tournament_id,
        )

    # -- forbidden pairings --------------------------------------------------------------

    async def forbid(self, tournament_id: int, a: str, b: str) -> None:
        """Two people who must not be paired where it can be avoided."""
        first, second = sorted((a, b))
        await self.db.execute(
            "INSERT INTO tournament_forbidden_pair (tournament_id, person_a, person_b) "
            "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            tournament_id,
            first,
            second,
        )

    async def forbidden(self, tournament_id: int) -> list[tuple[str, str]]:
        """The forbidden pairs of a tournament."""
        rows = await self.db.fetch(
            "SELECT person_a, person_b FROM tournament_forbidden_pair WHERE tournament_id = $1 "
            "ORDER BY person_a, person_b",
            tournament_id,
        )
        return [(r["person_a"], r["person_b"]) for r in rows]

    # -- reports -------------------------------------------------------------------------

    async def report(self, tournament_id: int) -> list[Report]:
        """Pending and disputed reports."""
        rows = await self.db.fetch(
            "SELECT match_id, reporter, winner, score_a, score_b, state FROM tournament_report "
            "WHERE tournament_id = $1 ORDER BY match_id",
            tournament_id,
        )
        return [
            Report(r["match_id"], r["reporter"], r["winner"], r["score_a"], r["score_b"],
                   ReportState(r["state"]))
            for r in rows
        ]  # fmt: skip

    async def get_report(self, tournament_id: int, match_id: str) -> Report | None:
        """The open report of one match."""
        for report in await self.report(tournament_id):
            if report.match_id == match_id:
                return report
        return None

    async def put_report(
        self,
        tournament_id: int,
        match_id: str,
        reporter: str,
        winner: str | None,
        score_a: int,
        score_b: int,
        now: datetime,
    ) -> bool:
        """Store a player's report; False when the match already has one."""
        added = await self.db.execute(
            "INSERT INTO tournament_report (tournament_id, match_id, reporter, winner, score_a, "
            "score_b, state, reported_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) "
            "ON CONFLICT DO NOTHING",
            tournament_id,
            match_id,
            reporter,
            winner,
            score_a,
            score_b,
            to_text(now),
        )
        return added == 1

    async def set_report_state(
        self, tournament_id: int, match_id: str, state: ReportState
    ) -> None:
        """Mark a report disputed (or back to pending)."""
        await self.db.execute(
            "UPDATE tournament_report SET state = $1 WHERE tournament_id = $2 AND match_id = $3",
            state.value,
            tournament_id,
            match_id,
        )

    async def apply_result(
        self, tournament_id: int, match_id: str, bracket: Bracket, status: Status | None
    ) -> None:
        """Save the advanced bracket and close the match's report in one transaction."""
        async with self.db.transaction() as tx:
            await self._save_bracket(tx, tournament_id, bracket, status)
            await tx.execute(
                "DELETE FROM tournament_report WHERE tournament_id = $1 AND match_id = $2",
                tournament_id,
                match_id,
            )
