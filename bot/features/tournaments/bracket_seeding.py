"""Seeding: the order players enter a bracket in, and the standard bracket layout.

Seeds are 0-based in code (seed 1 is index 0). `standard_order` places seeds on the
bracket's lines so that round one pairs 1 v N, 2 v N-1, … and the top seeds can only
meet in the last rounds. Pure functions; randomness only from the `random.Random` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

# Random restarts of the conflict repair, then the best order found is kept.
SEED_RESTARTS = 12


def check_players(players: Sequence[str], *, minimum: int = 0) -> None:
    """Raise `ValueError` unless `players` are distinct non-empty strings, at least `minimum`."""
    for player in players:
        if not isinstance(player, str) or not player:
            raise ValueError(f"player ids must be non-empty strings, got {player!r}")
    seen: set[str] = set()
    for player in players:
        if player in seen:
            raise ValueError(f"player {player!r} is listed twice")
        seen.add(player)
    if len(players) < minimum:
        raise ValueError(f"a tournament needs at least {minimum} players, got {len(players)}")


def bracket_size(count: int) -> int:
    """The smallest power of two holding `count` players (at least 2)."""
    return 1 << max(1, (count - 1).bit_length())


def standard_order(size: int) -> list[int]:
    """0-based seeds in bracket line order for a bracket of `size` (a power of two).

    Lines ``2i`` and ``2i + 1`` meet in round one. For 8: seeds 1 8 4 5 2 7 3 6, so
    1 and 2 can meet only in the final, 1 and 4 not before the semi-final. The better
    seed is always on the even line.
    """
    order = [0]
    while len(order) < size:
        mirror = 2 * len(order) - 1
        order = [x for seed in order for x in (seed, mirror - seed)]
    return order


def first_round_partners(count: int) -> list[int]:
    """For each seed, the seed it meets in round one of an elimination bracket, or -1 (bye)."""
    size = bracket_size(count)
    line = standard_order(size)
    partner = [-1] * count
    for i in range(0, size, 2):
        a, b = line[i], line[i + 1]
        if b < count:
            partner[a] = b
            partner[b] = a
    return partner


def normalise_forbidden(
    players: Sequence[str], forbidden: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The forbidden pairs that concern these players, without duplicates or self-pairs.

    Pairs naming someone not in the tournament are dropped rather than refused: the
    youth worker's list of conflicts is usually wider than one tournament.
    """
    present = set(players)
    seen: set[frozenset[str]] = set()
    pairs: list[tuple[str, str]] = []
    for raw in forbidden:
        first, second = raw
        key = frozenset((first, second))
        if first == second or first not in present or second not in present or key in seen:
            continue
        seen.add(key)
        pairs.append((first, second))
    return pairs


def first_round_conflicts(
    order: Sequence[str], forbidden: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Forbidden pairs that would meet in round one of an elimination bracket seeded `order`.

    Useful to warn a youth worker about a manual seeding, which `seed` never reorders.
    """
    banned = {frozenset(pair) for pair in normalise_forbidden(order, forbidden)}
    partner = first_round_partners(len(order))
    return [
        (order[i], order[j])
        for i, j in enumerate(partner)
        if i < j and frozenset((order[i], order[j])) in banned
    ]


def seed(
    players: Sequence[str],
    *,
    rng: random.Random,
    manual: Sequence[str] | None = None,
    forbidden: Iterable[tuple[str, str]] = (),
) -> list[str]:
    """The seed order (seed 1 first) for `generate`.

    Without `manual`, the order is random (from `rng` only). With `forbidden` pairs, a
    random order is then repaired by swaps so that no forbidden pair meets in round one
    of an elimination bracket, as far as possible: a bounded number of restarts, keeping
    the order with the fewest such pairs. `manual` is the youth worker's own order; it
    must be a permutation of `players` and is returned as given, never reordered (use
    `first_round_conflicts` to warn about it).
    """
    check_players(players)
    if manual is not None:
        order = list(manual)
        if len(order) != len(players) or set(order) != set(players):
            raise ValueError("the manual seeding must list every player exactly once")
        check_players(order)
        return order
    order = list(players)
    rng.shuffle(order)
    banned = {frozenset(pair) for pair in normalise_forbidden(order, forbidden)}
    if not banned:
        return order
    return _avoid_conflicts(order, banned, rng)


def _avoid_conflicts(
    order: list[str], banned: set[frozenset[str]], rng: random.Random
) -> list[str]:
    partner = first_round_partners(len(order))
    count = len(order)

    def bad(i: int, line: list[str]) -> int:
        j = partner[i]
        return int(j >= 0 and frozenset((line[i], line[j])) in banned)

    best = order[:]
    best_count = sum(bad(i, order) for i in range(count) if i < partner[i])
    current = order[:]
    for _ in range(SEED_RESTARTS):
        improved = True
        while improved:
            conflicted = [i for i in range(count) if i < partner[i] and bad(i, current)]
            if not conflicted:
                return current
            improved = False
            rng.shuffle(conflicted)
            for i in conflicted:
                # Move one of the pair elsewhere: the first swap that lowers the count.
                victim = i if rng.random() < 0.5 else partner[i]
                others = list(range(count))
                rng.shuffle(others)
                for r in others:
                    if r in (victim, partner[victim]):
                        continue
                    before = bad(victim, current) + bad(r, current)
                    current[victim], current[r] = current[r], current[victim]
                    after = bad(victim, current) + bad(r, current)
                    if after < before:
                        improved = True
                        break
                    current[victim], current[r] = current[r], current[victim]
                if improved:
                    break
        remaining = sum(bad(i, current) for i in range(count) if i < partner[i])
        if remaining < best_count:
            best, best_count = current[:], remaining
        current = order[:]
        rng.shuffle(current)
    return best
