"""Who plays in the bracket: people on their own, or teams of people.

The bracket engine only sees entrant ids. Solo, an entrant is a person id; with a team
size above one, players are grouped into teams (`team-1`, `team-2`, ...) at the start,
and any member may report or confirm for their team.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.core.context import PersonRef
from bot.features.tournaments.repository import Player, Tournament


def form_teams(person_ids: list[str], team_size: int, rng: random.Random) -> dict[str, list[str]]:
    """Random teams of `team_size`; the players left over join the last teams one each."""
    shuffled = list(person_ids)
    rng.shuffle(shuffled)
    count = max(len(shuffled) // team_size, 1)
    teams: dict[str, list[str]] = {f"team-{i + 1}": [] for i in range(count)}
    names = list(teams)
    for index, person in enumerate(shuffled):
        teams[names[index % count]].append(person)
    return teams


@dataclass(frozen=True, slots=True)
class Entrants:
    """Maps people to bracket entrants and back, with display names."""

    tournament: Tournament
    players: dict[str, Player]  # person id -> player

    @classmethod
    def of(cls, tournament: Tournament, players: list[Player]) -> Entrants:
        return cls(tournament, {p.person_id: p for p in players})

    def entrant(self, person_id: str) -> str | None:
        """The entrant a person plays as (None when not playing)."""
        if not self.tournament.teams:
            return person_id if person_id in self.players else None
        for team, members in self.tournament.teams.items():
            if person_id in members:
                return team
        return None

    def members(self, entrant: str) -> list[str]:
        """Person ids behind an entrant."""
        return list(self.tournament.teams.get(entrant, [entrant]))

    def people(self, entrant: str) -> list[PersonRef]:
        """Platform identities behind an entrant (for mentions)."""
        found = []
        for person_id in self.members(entrant):
            player = self.players.get(person_id)
            if player is not None:
                found.append(
                    PersonRef(self.tournament.platform, player.user_id, player.display_name)
                )
        return found

    def name(self, entrant: str | None) -> str:
        """A display name: the player's, or `Team 1 (Ann, Ben)`."""
        if entrant is None:
            return "—"
        if not self.tournament.teams:
            player = self.players.get(entrant)
            return player.display_name if player is not None else "—"
        members = ", ".join(
            self.players[p].display_name for p in self.members(entrant) if p in self.players
        )
        number = entrant.removeprefix("team-")
        return f"#{number} ({members})"

    def names(self) -> dict[str, str]:
        """entrant id -> display name, for every entrant."""
        ids = list(self.tournament.teams) if self.tournament.teams else list(self.players)
        return {e: self.name(e) for e in ids}
