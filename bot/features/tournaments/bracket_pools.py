"""Round robin and Swiss: rounds of matches on side POOL, ids ``R<r>-<i>``.

Byes. With an odd number of players one player sits out each round. That is a BYE
match (``a`` = the player, ``b`` = None, ``winner`` = the player), the last of its
round, in both formats, so "you sit out this round" is a match like any other for the
bot and renderers. A round-robin bye scores nothing (everyone gets exactly one); a
Swiss bye scores as a win (see standings). Byes are never counted as played matches.

Swiss pairing (Dutch-style, simplified). Players are ranked by the standings (points,
then tie-breaks, then seed). The best unpaired player meets the player half a score
group below (1 v 5, 2 v 6, … in a group of 8), else the nearest other in the group,
else the best of the groups below; a backtracking search keeps this order. Rematches
are never allowed; forbidden pairs are avoided if any pairing without them exists; the
bye goes to the lowest-ranked player without a bye, if the others can then be paired.
If the search runs out of budget, a maximum matching (Edmonds' blossom algorithm) from
a greedy start finds a pairing whenever one exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.features.tournaments.model import Match, MatchStatus, Side

# Nodes of the pairing search before falling back to the matching algorithm.
SEARCH_BUDGET = 4000
# Bye candidates tried with the search before the matching algorithm decides.
BYE_CANDIDATES = 3

Pair = tuple[str, str]


class _OutOfBudget(Exception):
    pass


def round_matches(number: int, pairs: Sequence[Pair], bye: str | None) -> list[Match]:
    """The matches of pool round `number`: one per pair, then the bye if any."""
    matches = [
        Match(
            id=f"R{number}-{i + 1}",
            side=Side.POOL,
            round=number,
            index=i,
            a=a,
            b=b,
            status=MatchStatus.READY,
        )
        for i, (a, b) in enumerate(pairs)
    ]
    if bye is not None:
        i = len(matches)
        matches.append(
            Match(
                id=f"R{number}-{i + 1}",
                side=Side.POOL,
                round=number,
                index=i,
                a=bye,
                status=MatchStatus.BYE,
                winner=bye,
            )
        )
    return matches


def build_round_robin(players: Sequence[str]) -> dict[str, Match]:
    """Every round of a round robin (circle method): everyone meets everyone once."""
    line: list[str | None] = list(players)
    if len(line) % 2:
        line.append(None)
    count = len(line)
    matches: dict[str, Match] = {}
    for r in range(count - 1):
        pairs: list[Pair] = []
        bye: str | None = None
        for i in range(count // 2):
            a, b = line[i], line[count - 1 - i]
            if i == 0 and r % 2:
                # The fixed player would otherwise always be slot a.
                a, b = b, a
            if a is None or b is None:
                bye = a if b is None else b
            else:
                pairs.append((a, b))
        for match in round_matches(r + 1, pairs, bye):
            matches[match.id] = match
        line = [line[0], line[-1], *line[1:-1]]
    return matches


def pair_swiss(
    ranked: Sequence[str],
    points: Mapping[str, float],
    played: set[frozenset[str]],
    forbidden: set[frozenset[str]],
    had_bye: set[str],
) -> tuple[list[Pair], str | None]:
    """Pair one Swiss round: pairs (better-ranked player first) and the bye, if any.

    Raises `ValueError` when no pairing without a rematch exists.
    """

    def fresh(a: str, b: str) -> bool:
        return frozenset((a, b)) not in played

    def clean(a: str, b: str) -> bool:
        key = frozenset((a, b))
        return key not in played and key not in forbidden

    def is_forbidden(a: str, b: str) -> bool:
        return frozenset((a, b)) in forbidden

    no_bye_yet = [p for p in reversed(ranked) if p not in had_bye]
    everyone = list(reversed(ranked))
    # Why this order: a forbidden pair is a safeguarding matter, a second bye only unfair.
    attempts: list[tuple[Callable[[str, str], bool], list[str]]] = [
        (clean, no_bye_yet),
        (clean, everyone),
        (fresh, no_bye_yet),
        (fresh, everyone),
    ]
    for allowed, bye_pool in attempts:
        if len(ranked) % 2 == 0:
            pairs = _pair_even(list(ranked), points, allowed, is_forbidden)
            if pairs is not None:
                return pairs, None
            continue
        if bye_pool is everyone and bye_pool == no_bye_yet:
            continue
        result = _pair_odd(list(ranked), points, allowed, is_forbidden, bye_pool)
        if result is not None:
            return result
    raise ValueError("no pairing without a rematch is possible for this round")


def _pair_even(
    ranked: list[str],
    points: Mapping[str, float],
    allowed: Callable[[str, str], bool],
    avoid: Callable[[str, str], bool],
) -> list[Pair] | None:
    try:
        return _search(ranked, points, allowed, avoid)
    except _OutOfBudget:
        return _matching(ranked, allowed, avoid, bye_pool=None)


def _pair_odd(
    ranked: list[str],
    points: Mapping[str, float],
    allowed: Callable[[str, str], bool],
    avoid: Callable[[str, str], bool],
    bye_pool: list[str],
) -> tuple[list[Pair], str] | None:
    for bye in bye_pool[:BYE_CANDIDATES]:
        rest = [p for p in ranked if p != bye]
        try:
            pairs = _search(rest, points, allowed, avoid)
        except _OutOfBudget:
            break
        if pairs is not None:
            return pairs, bye
    else:
        if len(bye_pool) <= BYE_CANDIDATES:
            return None
    result = _matching(ranked, allowed, avoid, bye_pool=bye_pool)
    if result is None:
        return None
    paired = {p for pair in result for p in pair}
    return result, next(p for p in ranked if p not in paired)


def _candidates(remaining: list[str], points: Mapping[str, float]) -> list[str]:
    top = points[remaining[0]]
    end = 1
    while end < len(remaining) and points[remaining[end]] == top:
        end += 1
    half = end // 2
    if not half:
        return remaining[1:]
    return remaining[half:end] + remaining[half - 1 : 0 : -1] + remaining[end:]


def _search(
    ranked: list[str],
    points: Mapping[str, float],
    allowed: Callable[[str, str], bool],
    avoid: Callable[[str, str], bool],
) -> list[Pair] | None:
    pairs: list[Pair] = []
    nodes = 0

    def solve(remaining: list[str]) -> bool:
        nonlocal nodes
        if not remaining:
            return True
        nodes += 1
        if nodes > SEARCH_BUDGET:
            raise _OutOfBudget
        top = remaining[0]
        candidates = [c for c in _candidates(remaining, points) if allowed(top, c)]
        # Pairs to avoid (when allowed at all) come last.
        candidates.sort(key=lambda c: avoid(top, c))
        for other in candidates:
            pairs.append((top, other))
            if solve([p for p in remaining[1:] if p != other]):
                return True
            pairs.pop()
        return False

    return pairs if solve(ranked) else None


def _matching(
    ranked: list[str],
    allowed: Callable[[str, str], bool],
    avoid: Callable[[str, str], bool],
    bye_pool: list[str] | None,
) -> list[Pair] | None:
    """A perfect matching of `ranked` (plus a phantom bye partner if `bye_pool`), or None."""
    count = len(ranked)
    phantom = count if bye_pool is not None else -1
    size = count + (1 if bye_pool is not None else 0)
    adj: list[list[int]] = [[] for _ in range(size)]
    for i in range(count):
        for j in range(i + 1, count):
            if allowed(ranked[i], ranked[j]):
                adj[i].append(j)
                adj[j].append(i)
    if bye_pool is not None:
        index = {p: i for i, p in enumerate(ranked)}
        for player in bye_pool:
            adj[index[player]].append(phantom)
            adj[phantom].append(index[player])
    mate = [-1] * size
    # Greedy start in rank order: the algorithm then only repairs what is left.
    if bye_pool:
        first = ranked.index(bye_pool[0])
        mate[first], mate[phantom] = phantom, first
    for i in range(count):
        if mate[i] != -1:
            continue
        options = [j for j in adj[i] if j > i and mate[j] == -1 and j != phantom]
        options.sort(key=lambda j: avoid(ranked[i], ranked[j]))
        if options:
            mate[i], mate[options[0]] = options[0], i
    maximum_matching(adj, mate)
    if any(m == -1 for m in mate):
        return None
    return [(ranked[i], ranked[j]) for i, j in enumerate(mate) if i < j and j != phantom]


def maximum_matching(adj: list[list[int]], mate: list[int]) -> list[int]:
    """Edmonds' blossom algorithm: grow `mate` (-1 = unmatched) to a maximum matching.

    `adj` is a symmetric adjacency list of a general graph. Works in place; returns `mate`.
    """
    size = len(adj)
    for root in range(size):
        if mate[root] != -1:
            continue
        parent = [-1] * size
        base = list(range(size))
        used = [False] * size
        used[root] = True
        queue = [root]
        head = 0
        found = -1
        while head < len(queue) and found == -1:
            v = queue[head]
            head += 1
            for to in adj[v]:
                if base[v] == base[to] or mate[v] == to:
                    continue
                if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
                    current = _common_base(v, to, base, parent, mate)
                    blossom = [False] * size
                    _mark_path(v, current, to, base, parent, mate, blossom)
                    _mark_path(to, current, v, base, parent, mate, blossom)
                    for i in range(size):
                        if blossom[base[i]]:
                            base[i] = current
                            if not used[i]:
                                used[i] = True
                                queue.append(i)
                elif parent[to] == -1:
                    parent[to] = v
                    if mate[to] == -1:
                        found = to
                        break
                    used[mate[to]] = True
                    queue.append(mate[to])
        v = found
        while v != -1:
            pv = parent[v]
            ppv = mate[pv]
            mate[v], mate[pv] = pv, v
            v = ppv
    return mate


def _common_base(a: int, b: int, base: list[int], parent: list[int], mate: list[int]) -> int:
    seen = [False] * len(base)
    while True:
        a = base[a]
        seen[a] = True
        if mate[a] == -1:
            break
        a = parent[mate[a]]
    while True:
        b = base[b]
        if seen[b]:
            return b
        b = parent[mate[b]]


def _mark_path(
    v: int,
    b: int,
    child: int,
    base: list[int],
    parent: list[int],
    mate: list[int],
    blossom: list[bool],
) -> None:
    while base[v] != b:
        blossom[base[v]] = blossom[base[mate[v]]] = True
        parent[v] = child
        child = mate[v]
        v = parent[mate[v]]
