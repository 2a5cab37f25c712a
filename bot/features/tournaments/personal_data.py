"""The tournaments' `PersonalDataSource`: a person's sign-ups, matches and reports.

Export shows only the person's own part: their sign-up, team id, their matches with
the score and result, their reports. Opponents and team mates are left out entirely
(no ids, no names). Erasure anonymises instead of deleting, so the other players'
brackets and standings stay whole: in every tournament the person is replaced by a
fresh alias (a different one per tournament, so nothing links them back) and their
platform account and name are removed. Tournament results are not case data, so a
legal hold does not stop this.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from bot.core.personal_data import KeptData
from bot.features.tournaments.personal_repository import TournamentPersonalRepository

ERASED_NAME = "—"


class TournamentData:
    """What the tournaments feature holds about one person."""

    name = "tournaments"

    def __init__(self, repo: TournamentPersonalRepository) -> None:
        self.repo = repo

    async def export(self, person_id: str) -> dict[str, Any]:
        """Sign-ups with own matches, own reports, tournaments organised."""
        played = []
        for row in await self.repo.participation(person_id):
            teams: dict[str, list[str]] = json.loads(row["teams_json"] or "{}")
            team = next((t for t, members in teams.items() if person_id in members), None)
            entrant = team or person_id
            bracket = json.loads(row["bracket_json"]) if row["bracket_json"] else None
            played.append(
                {
                    "tournament_id": row["tournament_id"],
                    "platform": row["platform"],
                    "name": row["name"],
                    "game": row["game"],
                    "format": row["format"],
                    "status": row["status"],
                    "starts_at": row["starts_at"],
                    "finished_at": row["finished_at"],
                    "your_name": row["display_name"],
                    "your_state": row["state"],
                    "your_seed": row["seed"],
                    "joined_at": row["joined_at"],
                    "your_team": team,
                    "your_matches": _own_matches(bracket, entrant),
                }
            )
        return {
            "played": played,
            "your_reports": await self.repo.reports(person_id),
            "organised": await self.repo.organised(person_id),
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Anonymise the person in every tournament; nothing is kept about them."""
        for tournament_id in await self.repo.tournaments_naming(person_id):
            alias = "anon_" + secrets.token_hex(8)
            await self.repo.anonymise(tournament_id, person_id, alias, ERASED_NAME)
        return []


def _own_matches(bracket: dict[str, Any] | None, entrant: str) -> list[dict[str, Any]]:
    """The entrant's matches, seen from their side, without the opponent."""
    if bracket is None:
        return []
    found = []
    for match in bracket.get("matches", []):
        if entrant not in (match.get("a"), match.get("b")):
            continue
        mine, theirs = (
            ("score_a", "score_b") if match.get("a") == entrant else ("score_b", "score_a")
        )
        if match.get("status") == "bye":
            result = "bye"
        elif match.get("status") != "done":
            result = "to_play"
        elif match.get("winner") is None:
            result = "draw"
        else:
            result = "won" if match.get("winner") == entrant else "lost"
        found.append(
            {
                "match": match.get("id"),
                "side": match.get("side"),
                "round": match.get("round"),
                "result": result,
                "your_score": match.get(mine),
                "opponent_score": match.get(theirs),
            }
        )
    return found
