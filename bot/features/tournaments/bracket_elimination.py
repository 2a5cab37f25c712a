"""Single- and double-elimination brackets: layout, byes and the losers bracket.

Winners bracket
    ``W<r>-<i>``: size = next power of two, `standard_order` lines, so byes (size - n of
    them) go to the top seeds, one per round-one match, never two in one match. A bye
    match has status BYE, ``a`` = the player, ``b`` = None, ``winner`` = the player, who
    is already placed in round two.

Losers bracket (double elimination), for a winners bracket of k rounds, 2k - 2 rounds
    * ``L1``: the losers of W1 in pairs (W1-1 and W1-2 losers meet in L1-1, …).
    * even rounds ``L2j`` ("drop-in" rounds): the L(2j-1) survivors (slot a) meet the
      losers of W(j+1) (slot b).
    * odd rounds ``L2j+1`` (j >= 1, "consolidation" rounds): the L2j survivors in pairs.
    * The L(2k-2) survivor meets the winners-bracket champion in the grand final.

    The order in which W(j+1) losers drop into L2j is chosen per round among the usual
    orderings (reverse, half shift, reverse half shift, pair flip, natural): the first
    that minimises the drop-ins who could meet someone from their own winners-bracket
    sub-bracket, i.e. someone they may already have played. L2 is always reversed, so
    with 8 or more slots nobody meets a player from their own W2 quarter there.

Byes in the losers bracket
    A round-one bye has no loser, so some L1 (and then L2) matches would get only one
    player, or none. Those matches are not created: the link that would have fed them
    (``loser_to`` of the W1 match, or of the W2 match whose drop-in slot would be alone)
    points past them to where the lone player goes next. So every match that exists is
    played (the grand-final reset aside), byes exist only in W1, and such an
    auto-advance is explicit in the links (a ``loser_to`` into L2 or L3 instead of L1 or
    L2) and counts as no match at all. Round numbers stay structural, so a losers
    bracket may start at L2.

Grand final
    ``GF1``: winners-bracket champion (a) v losers-bracket champion (b); it has no
    ``winner_to`` / ``loser_to``: the engine handles it. ``GF2`` (the bracket reset)
    exists from the start, WAITING. If b wins GF1, GF2 gets the same a and b and becomes
    READY; if a wins GF1, GF2 is removed from the bracket (it is never played, so it
    is not left as a match to render or count).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.features.tournaments.bracket_seeding import bracket_size, standard_order
from bot.features.tournaments.model import Match, MatchStatus, Side, Slot

GRAND_FINAL = "GF1"
RESET = "GF2"


def place(matches: dict[str, Match], slot: Slot, player: str | None) -> None:
    """Put `player` (None: empty it) in `slot`; the match is READY iff both players are known."""
    target = matches[slot.match_id]
    if slot.position == 0:
        target.a = player
    else:
        target.b = player
    if target.status in (MatchStatus.WAITING, MatchStatus.READY):
        both = target.a is not None and target.b is not None
        target.status = MatchStatus.READY if both else MatchStatus.WAITING


def reset_match() -> Match:
    """A fresh, empty GF2."""
    return Match(id=RESET, side=Side.GRAND_FINAL, round=2, index=0)


def build_single(players: Sequence[str]) -> dict[str, Match]:
    """All matches of a single-elimination bracket for `players` in seed order."""
    matches, _ = _winners(players)
    return matches


def build_double(players: Sequence[str]) -> dict[str, Match]:
    """All matches of a double-elimination bracket for `players` in seed order."""
    winners, rounds = _winners(players)
    size = bracket_size(len(players))
    k = len(rounds)
    final = rounds[-1][0]
    final.winner_to = Slot(GRAND_FINAL, 0)
    losers: dict[str, Match] = {}
    if k == 1:
        final.loser_to = Slot(GRAND_FINAL, 1)
    else:
        losers = _losers(rounds, size)
    matches = winners
    matches.update(losers)
    matches[GRAND_FINAL] = Match(id=GRAND_FINAL, side=Side.GRAND_FINAL, round=1, index=0)
    matches[RESET] = reset_match()
    return matches


def _winners(players: Sequence[str]) -> tuple[dict[str, Match], list[list[Match]]]:
    count = len(players)
    size = bracket_size(count)
    k = size.bit_length() - 1
    matches: dict[str, Match] = {}
    rounds: list[list[Match]] = []
    for r in range(1, k + 1):
        row: list[Match] = []
        for i in range(size >> r):
            match = Match(id=f"W{r}-{i + 1}", side=Side.WINNERS, round=r, index=i)
            if r < k:
                match.winner_to = Slot(f"W{r + 1}-{i // 2 + 1}", i % 2)
            row.append(match)
            matches[match.id] = match
        rounds.append(row)
    line = standard_order(size)
    for i, match in enumerate(rounds[0]):
        match.a = players[line[2 * i]]
        seed_b = line[2 * i + 1]
        if seed_b < count:
            match.b = players[seed_b]
            match.status = MatchStatus.READY
        else:
            match.status = MatchStatus.BYE
            match.winner = match.a
            assert match.winner_to is not None  # a bye needs at least 3 players, so k >= 2
            place(matches, match.winner_to, match.a)
    return matches, rounds


def _losers(rounds: list[list[Match]], size: int) -> dict[str, Match]:
    k = len(rounds)
    last = 2 * k - 2
    orders = drop_orders(size)
    layout: list[list[Match]] = []
    for lr in range(1, last + 1):
        count = size >> ((lr + 1) // 2 + 1)
        row: list[Match] = []
        for i in range(count):
            match = Match(id=f"L{lr}-{i + 1}", side=Side.LOSERS, round=lr, index=i)
            if lr == last:
                match.winner_to = Slot(GRAND_FINAL, 1)
            elif lr % 2:
                match.winner_to = Slot(f"L{lr + 1}-{i + 1}", 0)
            else:
                match.winner_to = Slot(f"L{lr + 1}-{i // 2 + 1}", i % 2)
            row.append(match)
        layout.append(row)
    for i, match in enumerate(rounds[0]):
        if match.status is not MatchStatus.BYE:
            match.loser_to = Slot(layout[0][i // 2].id, i % 2)
    for r in range(2, k + 1):
        drop_round = layout[2 * r - 3]
        for j, source in enumerate(orders[r]):
            rounds[r - 1][source].loser_to = Slot(drop_round[j].id, 1)

    skipped: set[str] = set()
    for i, l1 in enumerate(layout[0]):
        feeds = [m for m in rounds[0][2 * i : 2 * i + 2] if m.status is not MatchStatus.BYE]
        if len(feeds) == 2:
            continue
        skipped.add(l1.id)
        if feeds:
            feeds[0].loser_to = l1.winner_to
            continue
        # Both W1 matches were byes: the L2 match keeps only its drop-in.
        l2 = layout[1][i]
        skipped.add(l2.id)
        rounds[1][orders[2][i]].loser_to = l2.winner_to
    return {m.id: m for row in layout for m in row if m.id not in skipped}


def _orderings(count: int) -> Iterator[list[int]]:
    half = count // 2
    yield [count - 1 - j for j in range(count)]
    if count >= 2:
        yield [(j + half) % count for j in range(count)]
        yield [(count - 1 - j + half) % count for j in range(count)]
        yield [j ^ 1 for j in range(count)]
        yield list(range(count))


def drop_orders(size: int) -> dict[int, list[int]]:
    """For each winners round r >= 2, which W r match drops into each L(2r-2) match.

    ``drop_orders(size)[r][j] = i`` means the loser of W r-(i+1) goes to L(2r-2)-(j+1).
    """
    k = size.bit_length() - 1
    # origins[j]: the W r matches (sub-brackets) the L-side player of drop-in match j may
    # come from. A drop-in from one of those may already have played them.
    origins = [{j} for j in range(size >> 2)]
    orders: dict[int, list[int]] = {}
    for r in range(2, k + 1):
        count = size >> r
        best: list[int] = []
        best_overlap = count + 1
        for perm in _orderings(count):
            overlap = sum(1 for j in range(count) if perm[j] in origins[j])
            if overlap < best_overlap:
                best, best_overlap = perm, overlap
                if not overlap:
                    break
        orders[r] = best
        if r < k:
            merged = [origins[j] | {best[j]} for j in range(count)]
            origins = [
                {b >> 1 for b in merged[2 * i] | merged[2 * i + 1]} for i in range(count // 2)
            ]
    return orders


def stage(match: Match, double: bool, winners_rounds: int) -> int:
    """How late a match is on the elimination path: a loss here places a player by this.

    Single elimination: the round. Double elimination: the losers round, the grand final
    after all of them; winners-bracket matches eliminate nobody (-1).
    """
    if not double:
        return match.round
    if match.side is Side.LOSERS:
        return match.round
    if match.side is Side.GRAND_FINAL:
        return 2 * winners_rounds - 1
    return -1
