"""The tournament bracket engine: seeding, generation, results, standings.

Pure logic on the shared data model (`model.py`): no I/O, no platform code, and the only
randomness is the `random.Random` given to `seed`. Everything else is deterministic, so
a stored `Bracket` plus the same calls always gives the same bracket.

Formats and how they are laid out:

* single / double elimination: `bracket_elimination` (byes, losers-bracket layout,
  grand final and its reset ``GF2``);
* round robin / Swiss: `bracket_pools` (circle method, Swiss pairing, byes as BYE
  matches);
* standings and tie-breaks: `bracket_standings`;
* seeding and the standard bracket order: `bracket_seeding`.

Counting matches: a match is *played* when its status is DONE and it has two players.
BYE matches are never played; the only ones in elimination are in W1. A double
elimination has 2n - 2 played matches, or 2n - 1 when the grand final is reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.features.tournaments.bracket_elimination import (
    GRAND_FINAL,
    RESET,
    build_double,
    build_single,
    place,
    reset_match,
)
from bot.features.tournaments.bracket_pools import build_round_robin, pair_swiss, round_matches
from bot.features.tournaments.bracket_seeding import (
    bracket_size,
    check_players,
    first_round_conflicts,
    normalise_forbidden,
    seed,
)
from bot.features.tournaments.bracket_standings import standings
from bot.features.tournaments.model import Bracket, Format, Match, MatchStatus, Side

__all__ = [
    "champion",
    "correct",
    "default_swiss_rounds",
    "first_round_conflicts",
    "generate",
    "is_finished",
    "matches_of",
    "max_swiss_rounds",
    "next_round",
    "ready_matches",
    "report",
    "seed",
    "standings",
]

ELIMINATION = frozenset({Format.SINGLE_ELIMINATION, Format.DOUBLE_ELIMINATION})
_SIDE_ORDER = {Side.WINNERS: 0, Side.LOSERS: 1, Side.GRAND_FINAL: 2, Side.POOL: 3}
_SETTLED = (MatchStatus.DONE, MatchStatus.BYE)


def default_swiss_rounds(count: int) -> int:
    """ceil(log2(count)): enough rounds for a single unbeaten player to remain."""
    return max(1, (count - 1).bit_length())


def max_swiss_rounds(count: int) -> int:
    """The most Swiss rounds `count` players can have without rematches (a full round robin)."""
    return count - 1 if count % 2 == 0 else count


def generate(
    format: Format,
    players: Sequence[str],
    *,
    swiss_rounds: int | None = None,
    forbidden: Iterable[tuple[str, str]] = (),
) -> Bracket:
    """A new bracket for `players` in seed order (seed 1 first; see `seed`).

    Elimination brackets and round robins are generated whole; a Swiss tournament gets
    its first round only (then `next_round`). `swiss_rounds` is for Swiss only (default
    `default_swiss_rounds`, at most `max_swiss_rounds`). `forbidden` pairs are stored
    on the bracket (those naming someone else are dropped) and steer Swiss pairings;
    elimination seeding avoids them in `seed`; a round robin cannot avoid them.
    Raises `ValueError` for fewer than two players, duplicates or bad `swiss_rounds`.
    """
    format = Format(format)
    order = list(players)
    check_players(order, minimum=2)
    if swiss_rounds is not None and format is not Format.SWISS:
        raise ValueError("swiss_rounds is only for Swiss tournaments")
    bracket = Bracket(
        format=format, players=order, forbidden=normalise_forbidden(order, forbidden)
    )
    if format is Format.SINGLE_ELIMINATION:
        bracket.matches = build_single(order)
    elif format is Format.DOUBLE_ELIMINATION:
        bracket.matches = build_double(order)
    elif format is Format.ROUND_ROBIN:
        bracket.matches = build_round_robin(order)
    else:
        rounds = default_swiss_rounds(len(order)) if swiss_rounds is None else swiss_rounds
        limit = max_swiss_rounds(len(order))
        if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= limit:
            raise ValueError(
                f"{len(order)} players can play 1 to {limit} Swiss rounds, not {rounds!r}"
            )
        bracket.swiss_rounds = rounds
        _pair_next(bracket)
    return bracket


def next_round(bracket: Bracket) -> list[Match]:
    """Pair the next Swiss round and add it to `bracket`; returns its matches.

    Raises `ValueError` if this is not a Swiss bracket, the current round is not over,
    all rounds are paired, or no pairing without a rematch exists.
    """
    if bracket.format is not Format.SWISS:
        raise ValueError("only Swiss tournaments are paired round by round")
    current = _last_round(bracket)
    open_match = next((m for m in bracket.matches.values() if m.status not in _SETTLED), None)
    if open_match is not None:
        raise ValueError(f"round {current} is not over: match {open_match.id} has no result")
    if current >= bracket.swiss_rounds:
        raise ValueError(f"all {bracket.swiss_rounds} rounds have been paired")
    return _pair_next(bracket)


def report(
    bracket: Bracket,
    match_id: str,
    winner: str | None,
    score_a: int | None = None,
    score_b: int | None = None,
) -> None:
    """Record the result of a READY match and move its players on.

    `winner` None is a draw (round robin and Swiss only). Scores are optional, both or
    neither, non-negative, and must agree with the result. The winner (and in double
    elimination the loser) goes to the next match; a match becomes READY once both its
    players are known. Raises `ValueError` for an unknown match, a match that is not
    READY (waiting, already decided, a bye), a winner who is not in the match, a draw
    in elimination or inconsistent scores.
    """
    match = _get(bracket, match_id)
    if match.status is not MatchStatus.READY:
        raise ValueError(_not_ready(match))
    _check_result(bracket, match, winner, score_a, score_b)
    _record(bracket, match, winner, score_a, score_b)


def correct(
    bracket: Bracket,
    match_id: str,
    winner: str | None,
    score_a: int | None = None,
    score_b: int | None = None,
) -> None:
    """Replace the result of a decided match (a youth worker settling a dispute).

    Allowed only while no match depending on it has been played: in elimination the
    matches its winner and loser went to (and GF2 for GF1), in Swiss any later round
    (pairings already made stand), in a round robin nothing. Players already moved on
    are swapped accordingly. Same checks as `report`, and `ValueError` if the match has
    no result yet or a dependent match has been played.
    """
    match = _get(bracket, match_id)
    if match.status is MatchStatus.BYE:
        raise ValueError(f"match {match.id} is a bye: there is no result to correct")
    if match.status is not MatchStatus.DONE:
        raise ValueError(f"match {match.id} has no result yet: report it instead")
    _check_result(bracket, match, winner, score_a, score_b)
    for later in _dependents(bracket, match):
        if later.status is MatchStatus.DONE:
            raise ValueError(
                f"match {match.id} cannot be corrected: match {later.id}, which follows"
                " from it, has already been played"
            )
    _record(bracket, match, winner, score_a, score_b)


def is_finished(bracket: Bracket) -> bool:
    """Whether every match is decided (and, in Swiss, every round has been paired)."""
    if any(m.status not in _SETTLED for m in bracket.matches.values()):
        return False
    if bracket.format is Format.SWISS:
        return _last_round(bracket) >= bracket.swiss_rounds
    return True


def champion(bracket: Bracket) -> str | None:
    """The winner of a finished tournament; None while it runs or if first place is tied."""
    if not is_finished(bracket):
        return None
    if bracket.format is Format.SINGLE_ELIMINATION:
        rounds = bracket_size(len(bracket.players)).bit_length() - 1
        return bracket.matches[f"W{rounds}-1"].winner
    if bracket.format is Format.DOUBLE_ELIMINATION:
        final = bracket.matches.get(RESET) or bracket.matches[GRAND_FINAL]
        return final.winner
    table = standings(bracket)
    if len(table) > 1 and table[1].rank == 1:
        return None
    return table[0].player


def ready_matches(bracket: Bracket) -> list[Match]:
    """Matches that can be played now, by side (winners first, pool last), round and index."""
    ready = [m for m in bracket.matches.values() if m.status is MatchStatus.READY]
    ready.sort(key=_order)
    return ready


def matches_of(bracket: Bracket, player: str) -> list[Match]:
    """Every match `player` is in so far (byes included), in the order of `ready_matches`.

    Raises `ValueError` if `player` is not in the tournament.
    """
    if player not in bracket.players:
        raise ValueError(f"{player!r} is not a player of this tournament")
    mine = [m for m in bracket.matches.values() if m.a == player or m.b == player]
    mine.sort(key=_order)
    return mine


def _order(match: Match) -> tuple[int, int, int]:
    return (_SIDE_ORDER[match.side], match.round, match.index)


def _get(bracket: Bracket, match_id: str) -> Match:
    match = bracket.matches.get(match_id)
    if match is None:
        raise ValueError(f"there is no match {match_id!r} in this tournament")
    return match


def _not_ready(match: Match) -> str:
    if match.status is MatchStatus.DONE:
        return f"match {match.id} already has a result (a youth worker can correct it)"
    if match.status is MatchStatus.BYE:
        return f"match {match.id} is a bye: there is nothing to play"
    missing = "its players" if not match.players else "an opponent"
    return f"match {match.id} is not ready yet: it is waiting for {missing}"


def _check_result(
    bracket: Bracket,
    match: Match,
    winner: str | None,
    score_a: int | None,
    score_b: int | None,
) -> None:
    if winner is None:
        if bracket.format in ELIMINATION:
            raise ValueError(f"match {match.id}: elimination matches cannot end in a draw")
    elif winner not in match.players:
        raise ValueError(f"{winner!r} is not a player of match {match.id}")
    if score_a is None and score_b is None:
        return
    if score_a is None or score_b is None:
        raise ValueError(f"match {match.id}: give both scores or neither")
    for score in (score_a, score_b):
        if isinstance(score, bool) or not isinstance(score, int) or score < 0:
            raise ValueError(f"match {match.id}: scores are whole numbers from 0, not {score!r}")
    if winner is None and score_a != score_b:
        raise ValueError(f"match {match.id}: a draw needs equal scores")
    if winner is not None and winner == match.a and score_a < score_b:
        raise ValueError(f"match {match.id}: the winner cannot have the lower score")
    if winner is not None and winner == match.b and score_b < score_a:
        raise ValueError(f"match {match.id}: the winner cannot have the lower score")


def _record(
    bracket: Bracket,
    match: Match,
    winner: str | None,
    score_a: int | None,
    score_b: int | None,
) -> None:
    match.status = MatchStatus.DONE
    match.winner = winner
    match.score_a = score_a
    match.score_b = score_b
    if match.side is Side.POOL:
        return
    if match.id == GRAND_FINAL:
        _settle_grand_final(bracket, match)
        return
    # On a correction this overwrites the slots the previous result filled.
    if match.winner_to is not None:
        place(bracket.matches, match.winner_to, winner)
    if match.loser_to is not None:
        place(bracket.matches, match.loser_to, match.loser)


def _settle_grand_final(bracket: Bracket, final: Match) -> None:
    if final.winner == final.a:
        # The winners-bracket champion is unbeaten: no reset.
        bracket.matches.pop(RESET, None)
        return
    reset = bracket.matches.get(RESET)
    if reset is None:
        reset = bracket.matches[RESET] = reset_match()
    reset.a, reset.b = final.a, final.b
    reset.status = MatchStatus.READY


def _dependents(bracket: Bracket, match: Match) -> list[Match]:
    if bracket.format is Format.ROUND_ROBIN:
        return []
    if bracket.format is Format.SWISS:
        return [m for m in bracket.matches.values() if m.round > match.round]
    if match.id == GRAND_FINAL:
        reset = bracket.matches.get(RESET)
        return [reset] if reset is not None else []
    return [
        bracket.matches[slot.match_id]
        for slot in (match.winner_to, match.loser_to)
        if slot is not None
    ]


def _last_round(bracket: Bracket) -> int:
    return max((m.round for m in bracket.matches.values()), default=0)


def _pair_next(bracket: Bracket) -> list[Match]:
    table = standings(bracket)
    ranked = [s.player for s in table]
    points = {s.player: s.points for s in table}
    played: set[frozenset[str]] = set()
    had_bye: set[str] = set()
    for match in bracket.matches.values():
        if match.a is not None and match.b is not None:
            played.add(frozenset((match.a, match.b)))
        elif match.status is MatchStatus.BYE and match.a is not None:
            had_bye.add(match.a)
    forbidden = {frozenset(pair) for pair in bracket.forbidden}
    pairs, bye = pair_swiss(ranked, points, played, forbidden, had_bye)
    new = round_matches(_last_round(bracket) + 1, pairs, bye)
    for match in new:
        bracket.matches[match.id] = match
    return new
