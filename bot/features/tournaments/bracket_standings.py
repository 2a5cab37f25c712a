"""Standings for every format. Ranks are competition ranks: tied players share a rank and
the next rank skips (1, 2, 2, 4); within a tie players are listed in seed order.

Points are 3 per win and 1 per draw in every format; a Swiss bye counts as a win.

Elimination
    Rank by how far a player got: the champion, then players by the stage they were
    knocked out at (single: the round; double: the losers round, the grand final last),
    so e.g. both semi-final losers share 3rd. While the bracket runs, players still in
    it rank above everyone knocked out, by fewer losses then the furthest round reached.
    ``tiebreak`` is 0.
Round robin
    Points, then head-to-head points among the players on equal points, then score
    difference (scores left out count as 0), then the sum of opponents' points.
    ``tiebreak`` is the score difference.
Swiss
    Points, then Buchholz (sum of the opponents' points), then Sonneborn-Berger (the
    points of the opponents beaten plus half those of the opponents drawn).
    ``tiebreak`` is the Buchholz score.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from bot.features.tournaments.bracket_elimination import stage
from bot.features.tournaments.bracket_seeding import bracket_size
from bot.features.tournaments.model import Bracket, Format, MatchStatus, Side, Standing

WIN = 3.0
DRAW = 1.0


def standings(bracket: Bracket) -> list[Standing]:
    """Every player once, best first, with competition ranks (see the module docstring)."""
    if bracket.format is Format.ROUND_ROBIN:
        return _pool(bracket, swiss=False)
    if bracket.format is Format.SWISS:
        return _pool(bracket, swiss=True)
    return _elimination(bracket)


def _ranked(
    players: Sequence[str], key: Callable[[str], Hashable], make: Callable[[str, int], Standing]
) -> list[Standing]:
    # sorted() is stable with reverse=True, so ties stay in seed order.
    order = sorted(players, key=key, reverse=True)  # type: ignore[arg-type]
    result: list[Standing] = []
    previous: Hashable = None
    rank = 0
    for position, player in enumerate(order, start=1):
        current = key(player)
        if position == 1 or current != previous:
            rank = position
        previous = current
        result.append(make(player, rank))
    return result


def _elimination(bracket: Bracket) -> list[Standing]:
    double = bracket.format is Format.DOUBLE_ELIMINATION
    rounds = bracket_size(len(bracket.players)).bit_length() - 1
    wins = dict.fromkeys(bracket.players, 0)
    losses = dict.fromkeys(bracket.players, 0)
    out_at = dict.fromkeys(bracket.players, -1)
    reach = dict.fromkeys(bracket.players, 0)
    for match in bracket.matches.values():
        far = 10**6 if match.side is Side.GRAND_FINAL else match.round
        for player in match.players:
            reach[player] = max(reach[player], far)
        if match.status is not MatchStatus.DONE or match.winner is None:
            continue
        loser = match.loser
        assert loser is not None
        wins[match.winner] += 1
        losses[loser] += 1
        out_at[loser] = max(out_at[loser], stage(match, double, rounds))
    limit = 2 if double else 1
    finished = all(
        m.status in (MatchStatus.DONE, MatchStatus.BYE) for m in bracket.matches.values()
    )

    def key(player: str) -> tuple[int, int, int]:
        if losses[player] >= limit:
            return (0, out_at[player], 0)
        if finished:
            return (2, 0, 0)
        return (1, -losses[player], reach[player])

    def make(player: str, rank: int) -> Standing:
        return Standing(player, rank, wins[player], 0, losses[player], WIN * wins[player])

    return _ranked(bracket.players, key, make)


def _pool(bracket: Bracket, *, swiss: bool) -> list[Standing]:
    players = bracket.players
    wins = dict.fromkeys(players, 0)
    draws = dict.fromkeys(players, 0)
    losses = dict.fromkeys(players, 0)
    diff = dict.fromkeys(players, 0)
    # (opponent, points earned against them) per played match.
    results: dict[str, list[tuple[str, float]]] = {p: [] for p in players}
    for match in bracket.matches.values():
        if match.status is MatchStatus.BYE:
            if swiss and match.a is not None:
                wins[match.a] += 1
            continue
        if match.status is not MatchStatus.DONE or match.a is None or match.b is None:
            continue
        a, b = match.a, match.b
        if match.score_a is not None and match.score_b is not None:
            diff[a] += match.score_a - match.score_b
            diff[b] += match.score_b - match.score_a
        if match.winner is None:
            draws[a] += 1
            draws[b] += 1
            results[a].append((b, DRAW))
            results[b].append((a, DRAW))
        else:
            loser = b if match.winner == a else a
            wins[match.winner] += 1
            losses[loser] += 1
            results[match.winner].append((loser, WIN))
            results[loser].append((match.winner, 0.0))
    points = {p: WIN * wins[p] + DRAW * draws[p] for p in players}
    buchholz = {p: sum(points[o] for o, _ in results[p]) for p in players}

    if swiss:
        share = {WIN: 1.0, DRAW: 0.5, 0.0: 0.0}
        berger = {p: sum(points[o] * share[e] for o, e in results[p]) for p in players}

        def swiss_key(player: str) -> tuple[float, float, float]:
            return (points[player], buchholz[player], berger[player])

        def swiss_make(player: str, rank: int) -> Standing:
            return Standing(
                player, rank, wins[player], draws[player], losses[player], points[player],
                buchholz[player],
            )  # fmt: skip

        return _ranked(players, swiss_key, swiss_make)

    level: dict[float, set[str]] = {}
    for player in players:
        level.setdefault(points[player], set()).add(player)
    head = {p: sum(earned for o, earned in results[p] if o in level[points[p]]) for p in players}

    def key(player: str) -> tuple[float, float, int, float]:
        return (points[player], head[player], diff[player], buchholz[player])

    def make(player: str, rank: int) -> Standing:
        return Standing(
            player, rank, wins[player], draws[player], losses[player], points[player],
            float(diff[player]),
        )  # fmt: skip

    return _ranked(players, key, make)
