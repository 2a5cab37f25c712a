"""Team forming for team tournaments."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot.features.tournaments.entrants import form_teams


@given(st.integers(min_value=2, max_value=64), st.integers(min_value=2, max_value=5))
def test_everyone_is_in_exactly_one_team(players: int, size: int) -> None:
    people = [f"p{i}" for i in range(players)]
    teams = form_teams(people, size, random.Random(players * 31 + size))
    members = [p for team in teams.values() for p in team]
    assert sorted(members) == sorted(people)
    assert len(teams) == max(players // size, 1)
    sizes = [len(t) for t in teams.values()]
    assert max(sizes) - min(sizes) <= 1  # leftovers are spread one per team


def test_team_ids_are_stable_names() -> None:
    teams = form_teams(["a", "b", "c", "d"], 2, random.Random(1))
    assert list(teams) == ["team-1", "team-2"]
