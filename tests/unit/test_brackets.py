"""The bracket engine: layouts, results, corrections, standings, and whole tournaments played
with random results (hypothesis) in every format."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.features.tournaments import brackets
from bot.features.tournaments.bracket_elimination import drop_orders
from bot.features.tournaments.bracket_pools import maximum_matching
from bot.features.tournaments.bracket_seeding import bracket_size, standard_order
from bot.features.tournaments.model import Bracket, Format, Match, MatchStatus, Side

ELIMINATION = (Format.SINGLE_ELIMINATION, Format.DOUBLE_ELIMINATION)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def names(count: int) -> list[str]:
    return [f"p{i + 1}" for i in range(count)]


def played(bracket: Bracket) -> list[Match]:
    return [
        m
        for m in bracket.matches.values()
        if m.status is MatchStatus.DONE and m.a is not None and m.b is not None
    ]


def byes(bracket: Bracket) -> list[Match]:
    return [m for m in bracket.matches.values() if m.status is MatchStatus.BYE]


def assert_round_trip(bracket: Bracket) -> None:
    assert Bracket.from_dict(bracket.to_dict()) == bracket


SERIALISE_BUDGET = 5_000  # matches serialised per example, at most


def size_when_done(bracket: Bracket) -> int:
    if bracket.format is Format.SWISS:
        return (len(bracket.players) + 1) // 2 * bracket.swiss_rounds
    return len(bracket.matches)


def result(match: Match, rng: random.Random, draws: bool) -> tuple[str | None, int, int]:
    """A random result with scores that agree with it."""
    if draws and rng.random() < 0.2:
        goals = rng.randint(0, 3)
        return None, goals, goals
    low, high = sorted((rng.randint(0, 5), rng.randint(0, 5)))
    if low == high:
        high += 1
    if rng.random() < 0.5:
        return match.a, high, low
    return match.b, low, high


class Game:
    """Plays a bracket to the end with random results, checking as it goes."""

    def __init__(
        self, bracket: Bracket, rng: random.Random, *, every_report: bool = False
    ) -> None:
        self.bracket = bracket
        self.rng = rng
        self.met: set[frozenset[str]] = set()
        self.swiss_rounds: list[tuple[list[str], set[str], Match | None, set[frozenset[str]]]] = []
        total = size_when_done(bracket)
        # Round trips after every report for small brackets, a few for big ones: to_dict
        # costs ~50 µs a match, and a 256-player round robin has 32,640.
        trips = total if every_report else min(6, SERIALISE_BUDGET // total - 2)
        self.every = max(1, total // trips) if trips > 0 else 0
        self.reports = 0

    def play(self) -> None:
        bracket = self.bracket
        draws = bracket.format not in ELIMINATION
        size = bracket_size(len(bracket.players))
        while True:
            ready = brackets.ready_matches(bracket)
            if not ready:
                if brackets.is_finished(bracket):
                    return
                assert bracket.format is Format.SWISS, "stuck with nothing to play"
                self.pair_swiss()
                continue
            self.rng.shuffle(ready)
            for match in ready:
                assert match.a is not None and match.b is not None
                pair = frozenset((match.a, match.b))
                if bracket.format is Format.SWISS:
                    assert pair not in self.met, f"Swiss rematch in {match.id}"
                if match.side is Side.LOSERS and (
                    (match.round == 2 and size >= 8) or (match.round == 4 and size >= 32)
                ):
                    assert pair not in self.met, f"avoidable rematch in {match.id}"
                self.met.add(pair)
                winner, score_a, score_b = result(match, self.rng, draws)
                brackets.report(bracket, match.id, winner, score_a, score_b)
                self.reports += 1
                if self.every and self.reports % self.every == 0:
                    assert_round_trip(bracket)

    def pair_swiss(self) -> None:
        table = brackets.standings(self.bracket)
        had_bye = {m.a for m in byes(self.bracket) if m.a is not None}
        met = set(self.met)
        new = brackets.next_round(self.bracket)
        bye = next((m for m in new if m.status is MatchStatus.BYE), None)
        self.swiss_rounds.append(([s.player for s in table], had_bye, bye, met))


def check_layout(bracket: Bracket) -> None:
    """Structure right after `generate`."""
    players = bracket.players
    n = len(players)
    if bracket.format in ELIMINATION:
        first = [m for m in bracket.matches.values() if m.side is Side.WINNERS and m.round == 1]
        assert len(byes(bracket)) == bracket_size(n) - n
    else:
        first = [m for m in bracket.matches.values() if m.round == 1]
        assert len(byes(bracket)) == (n % 2) * (1 if bracket.format is Format.SWISS else n)
    placed = Counter(p for m in first for p in m.players)
    assert placed == Counter(players), "every player exactly once in round one"
    for match in byes(bracket):
        assert match.winner == match.a and match.b is None
        if bracket.format in ELIMINATION:
            assert (match.side, match.round) == (Side.WINNERS, 1), "byes only in W1"
    for match in bracket.matches.values():
        assert match.id.upper() == match.id
        if match.status is MatchStatus.READY:
            assert match.a is not None and match.b is not None
    if bracket.format in ELIMINATION:
        check_links(bracket)


def check_links(bracket: Bracket) -> None:
    """Every empty slot is fed by exactly one link; no link leads nowhere."""
    fed: Counter[tuple[str, int]] = Counter()
    for match in bracket.matches.values():
        for slot in (match.winner_to, match.loser_to):
            if slot is not None:
                assert slot.match_id in bracket.matches
                fed[(slot.match_id, slot.position)] += 1
    assert all(count == 1 for count in fed.values())
    for match in bracket.matches.values():
        if match.id == "GF2" or match.status is MatchStatus.BYE:
            continue
        for position, player in enumerate((match.a, match.b)):
            if player is None:
                assert fed[(match.id, position)] == 1, f"{match.id} slot {position} never filled"


def check_finished(bracket: Bracket, game: Game) -> None:
    n = len(bracket.players)
    assert brackets.is_finished(bracket)
    assert not brackets.ready_matches(bracket)
    assert all(m.status in (MatchStatus.DONE, MatchStatus.BYE) for m in bracket.matches.values())
    count = len(played(bracket))
    if bracket.format is Format.SINGLE_ELIMINATION:
        assert count == n - 1
    elif bracket.format is Format.DOUBLE_ELIMINATION:
        assert count == (2 * n - 1 if "GF2" in bracket.matches else 2 * n - 2)
    elif bracket.format is Format.ROUND_ROBIN:
        assert count == n * (n - 1) // 2
        assert len({frozenset(m.players) for m in played(bracket)}) == count
    else:
        assert count == bracket.swiss_rounds * (n // 2)
        assert len({frozenset(m.players) for m in played(bracket)}) == count, "no rematch"
    for match in byes(bracket):
        if bracket.format in ELIMINATION:
            assert (match.side, match.round) == (Side.WINNERS, 1)
    table = brackets.standings(bracket)
    assert sorted(s.player for s in table) == sorted(bracket.players)
    ranks = [s.rank for s in table]
    assert ranks[0] == 1 and all(1 <= r <= n for r in ranks)
    for position, standing in enumerate(table, start=1):
        if position > 1 and standing.rank != table[position - 2].rank:
            assert standing.rank == position, "competition ranking"
    assert ranks == sorted(ranks)
    winner = brackets.champion(bracket)
    if bracket.format in ELIMINATION:
        assert winner is not None and table[0].player == winner
        assert ranks.count(1) == 1 and ranks.count(2) == 1
        losses = Counter(m.loser for m in played(bracket))
        limit = 1 if bracket.format is Format.SINGLE_ELIMINATION else 2
        assert all(losses[p] == limit for p in bracket.players if p != winner)
        assert losses[winner] < limit
    elif winner is not None:
        assert table[0].player == winner and ranks.count(1) == 1
    if bracket.format is Format.SWISS:
        check_swiss_byes(bracket, game)


def check_swiss_byes(bracket: Bracket, game: Game) -> None:
    got = Counter(m.a for m in byes(bracket))
    assert all(count == 1 for count in got.values()), "nobody gets two byes"
    banned = {frozenset(pair) for pair in bracket.forbidden}
    for ranking, had_bye, bye, met in game.swiss_rounds:
        assert (bye is None) == (len(ranking) % 2 == 0)
        if bye is None:
            continue
        lowest = next(p for p in reversed(ranking) if p not in had_bye)
        if bye.a != lowest:
            # Only when the others could not be paired without a rematch or forbidden pair.
            assert banned and len(ranking) <= 12
            assert not pairable([p for p in ranking if p != lowest], met | banned)


# -- whole tournaments -----------------------------------------------------------------


@PROPERTY
@given(
    fmt=st.sampled_from(list(Format)),
    count=st.integers(min_value=2, max_value=256),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_whole_tournaments(fmt: Format, count: int, seed: int) -> None:
    rng = random.Random(seed)
    order = brackets.seed(names(count), rng=rng)
    bracket = brackets.generate(fmt, order)
    check_layout(bracket)
    small = 2 * size_when_done(bracket) <= SERIALISE_BUDGET
    if small:
        assert_round_trip(bracket)
    game = Game(bracket, rng)
    game.play()
    check_finished(bracket, game)
    if small:
        assert_round_trip(bracket)


@PROPERTY
@given(
    fmt=st.sampled_from(list(Format)),
    count=st.integers(min_value=2, max_value=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_round_trip_after_every_report(fmt: Format, count: int, seed: int) -> None:
    rng = random.Random(seed)
    bracket = brackets.generate(fmt, brackets.seed(names(count), rng=rng))
    game = Game(bracket, rng, every_report=True)
    game.play()
    check_finished(bracket, game)


@settings(max_examples=30, deadline=None)
@given(
    count=st.integers(min_value=2, max_value=12),
    rounds=st.integers(min_value=1, max_value=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_swiss_long_runs_never_rematch(count: int, rounds: int, seed: int) -> None:
    """Up to a full round robin of rounds: pair without rematches, or refuse only when no
    rematch-free round exists at all."""
    rounds = min(rounds, brackets.max_swiss_rounds(count))
    rng = random.Random(seed)
    bracket = brackets.generate(Format.SWISS, names(count), swiss_rounds=rounds)
    while not brackets.is_finished(bracket):
        for match in brackets.ready_matches(bracket):
            winner, score_a, score_b = result(match, rng, draws=True)
            brackets.report(bracket, match.id, winner, score_a, score_b)
        if brackets.is_finished(bracket):
            break
        try:
            brackets.next_round(bracket)
        except ValueError:
            assert not rematch_free_round_exists(bracket)
            return
        pairs = [frozenset(m.players) for m in played(bracket)]
        assert len(pairs) == len(set(pairs))
    pairs = [frozenset(m.players) for m in bracket.matches.values() if m.b is not None]
    assert len(pairs) == len(set(pairs))


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=4, max_value=64),
    seed=st.integers(min_value=0, max_value=2**32),
    data=st.data(),
)
def test_swiss_avoids_few_forbidden_pairs(count: int, seed: int, data: st.DataObject) -> None:
    players = names(count)
    pairs = data.draw(
        st.lists(
            st.tuples(st.sampled_from(players), st.sampled_from(players)),
            max_size=count // 4,
        )
    )
    rng = random.Random(seed)
    bracket = brackets.generate(Format.SWISS, brackets.seed(players, rng=rng), forbidden=pairs)
    game = Game(bracket, rng)
    game.play()
    check_finished(bracket, game)
    banned = {frozenset(pair) for pair in pairs if pair[0] != pair[1]}
    assert not [m.id for m in played(bracket) if frozenset(m.players) in banned]


def pairable(players: list[str], banned: set[frozenset[str]]) -> bool:
    """Brute force: can `players` all be paired avoiding `banned` pairs?"""
    if not players:
        return True
    first, rest = players[0], players[1:]
    return any(
        frozenset((first, other)) not in banned
        and pairable([p for p in rest if p != other], banned)
        for other in rest
    )


def rematch_free_round_exists(bracket: Bracket) -> bool:
    met = {frozenset(m.players) for m in bracket.matches.values() if m.b is not None}
    players = bracket.players
    if len(players) % 2 == 0:
        return pairable(list(players), met)
    return any(pairable([p for p in players if p != bye], met) for bye in players)


def test_same_seed_same_tournament() -> None:
    def run(seed: int) -> Bracket:
        rng = random.Random(seed)
        bracket = brackets.generate(Format.DOUBLE_ELIMINATION, brackets.seed(names(13), rng=rng))
        Game(bracket, rng, every_report=True).play()
        return bracket

    assert run(7) == run(7)
    assert run(7) != run(8)


# -- seeding ---------------------------------------------------------------------------


def test_standard_order_keeps_top_seeds_apart() -> None:
    assert standard_order(8) == [0, 7, 3, 4, 1, 6, 2, 5]
    assert standard_order(2) == [0, 1]
    for size in (4, 16, 64):
        line = standard_order(size)
        assert sorted(line) == list(range(size))
        assert all(line[2 * i] + line[2 * i + 1] == size - 1 for i in range(size // 2))
        # Seeds 1 and 2 are in different halves, 1-4 in different quarters.
        assert line.index(1) >= size // 2
        assert len({line.index(s) // (size // 4) for s in range(4)}) == 4


def test_random_seed_is_a_deterministic_permutation() -> None:
    players = names(20)
    first = brackets.seed(players, rng=random.Random(3))
    assert sorted(first) == sorted(players)
    assert first == brackets.seed(players, rng=random.Random(3))
    assert first != brackets.seed(players, rng=random.Random(4))


def test_manual_seed_is_kept() -> None:
    players = names(5)
    manual = ["p3", "p1", "p5", "p2", "p4"]
    forbidden = [("p3", "p4")]  # would meet in round one... the worker's order still wins
    assert brackets.seed(players, rng=random.Random(0), manual=manual, forbidden=forbidden) == (
        manual
    )


@pytest.mark.parametrize(
    "manual",
    [["p1", "p2"], ["p1", "p2", "p3", "p9"], ["p1", "p2", "p2"], ["p1", "p2", "p3", "p3"]],
)
def test_manual_seed_must_be_a_permutation(manual: list[str]) -> None:
    with pytest.raises(ValueError, match=r"every player exactly once|listed twice"):
        brackets.seed(names(3), rng=random.Random(0), manual=manual)


def test_seed_refuses_duplicate_players() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        brackets.seed(["a", "b", "a"], rng=random.Random(0))


def test_forbidden_pairs_avoided_in_round_one() -> None:
    players = names(8)
    forbidden = [("p1", "p2"), ("p3", "p4")]
    for seed in range(200):
        order = brackets.seed(players, rng=random.Random(seed), forbidden=forbidden)
        assert sorted(order) == sorted(players)
        assert brackets.first_round_conflicts(order, forbidden) == []
        bracket = brackets.generate(Format.SINGLE_ELIMINATION, order, forbidden=forbidden)
        for match in bracket.rounds(Side.WINNERS)[0]:
            assert {match.a, match.b} not in ({"p1", "p2"}, {"p3", "p4"})


@settings(max_examples=50, deadline=None)
@given(
    count=st.integers(min_value=4, max_value=128),
    seed=st.integers(min_value=0, max_value=2**32),
    data=st.data(),
)
def test_few_forbidden_pairs_are_always_avoided(
    count: int, seed: int, data: st.DataObject
) -> None:
    players = names(count)
    pairs = data.draw(
        st.lists(
            st.tuples(st.sampled_from(players), st.sampled_from(players)),
            max_size=count // 4,
        )
    )
    order = brackets.seed(players, rng=random.Random(seed), forbidden=pairs)
    assert sorted(order) == sorted(players)
    assert brackets.first_round_conflicts(order, pairs) == []


def test_unavoidable_forbidden_pair_falls_back() -> None:
    order = brackets.seed(["a", "b"], rng=random.Random(1), forbidden=[("a", "b")])
    assert sorted(order) == ["a", "b"]
    assert brackets.first_round_conflicts(order, [("a", "b")]) == [tuple(order)]


def test_forbidden_pairs_outside_the_tournament_are_dropped() -> None:
    bracket = brackets.generate(
        Format.SWISS, names(4), forbidden=[("p1", "zz"), ("p2", "p2"), ("p1", "p3"), ("p3", "p1")]
    )
    assert bracket.forbidden == [("p1", "p3")]


# -- generation ------------------------------------------------------------------------


def ids(bracket: Bracket, side: Side, round_: int) -> list[tuple[str | None, str | None]]:
    return [(m.a, m.b) for m in bracket.rounds(side)[round_ - 1]]


def test_single_elimination_layout() -> None:
    bracket = brackets.generate(Format.SINGLE_ELIMINATION, names(8))
    assert ids(bracket, Side.WINNERS, 1) == [
        ("p1", "p8"),
        ("p4", "p5"),
        ("p2", "p7"),
        ("p3", "p6"),
    ]
    assert [m.id for m in bracket.rounds(Side.WINNERS)[1]] == ["W2-1", "W2-2"]
    w1 = bracket.matches["W1-3"]
    assert (w1.winner_to.match_id, w1.winner_to.position) == ("W2-2", 0)  # type: ignore[union-attr]
    assert bracket.matches["W3-1"].winner_to is None
    assert len(bracket.matches) == 7
    assert all(m.loser_to is None for m in bracket.matches.values())


def test_byes_go_to_top_seeds_and_advance() -> None:
    bracket = brackets.generate(Format.SINGLE_ELIMINATION, names(5))
    bye_ids = sorted(m.a for m in byes(bracket))  # type: ignore[type-var]
    assert bye_ids == ["p1", "p2", "p3"]
    for match in byes(bracket):
        assert match.status is MatchStatus.BYE and match.winner == match.a
    assert ids(bracket, Side.WINNERS, 2) == [("p1", None), ("p2", "p3")]
    assert [m.id for m in brackets.ready_matches(bracket)] == ["W1-2", "W2-2"]
    brackets.report(bracket, "W1-2", "p5")
    assert bracket.matches["W2-1"].status is MatchStatus.READY
    assert bracket.matches["W2-1"].b == "p5"


def test_double_elimination_layout_for_eight() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, names(8))
    slot = {m.id: (m.loser_to.match_id, m.loser_to.position) for m in bracket.matches.values()
            if m.loser_to is not None}  # fmt: skip
    assert slot["W1-1"] == ("L1-1", 0) and slot["W1-2"] == ("L1-1", 1)
    assert slot["W1-3"] == ("L1-2", 0) and slot["W1-4"] == ("L1-2", 1)
    # Drop-ins reversed: the W2-1 loser avoids the survivor of its own quarter.
    assert slot["W2-1"] == ("L2-2", 1) and slot["W2-2"] == ("L2-1", 1)
    assert slot["W3-1"] == ("L4-1", 1)
    assert [len(r) for r in bracket.rounds(Side.LOSERS)] == [2, 2, 1, 1]
    assert bracket.matches["L4-1"].winner_to.match_id == "GF1"  # type: ignore[union-attr]
    assert bracket.matches["W3-1"].winner_to.match_id == "GF1"  # type: ignore[union-attr]
    assert bracket.matches["GF2"].status is MatchStatus.WAITING


def test_drop_orders_avoid_own_sub_bracket() -> None:
    assert drop_orders(8)[2] == [1, 0]
    assert drop_orders(16)[2] == [3, 2, 1, 0]
    assert drop_orders(32)[3] == [2, 3, 0, 1]  # half shift: reversed would meet again


def test_double_elimination_byes_skip_empty_losers_matches() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, names(5))
    # W1: p1 bye, p4-p5, p2 bye, p3 bye. L1-1 would hold only the W1-2 loser and L1-2
    # nobody, so L2-2 would hold only its drop-in (the W2-1 loser): none of them exist.
    assert {"L1-1", "L1-2", "L2-2"}.isdisjoint(bracket.matches)
    assert "L2-1" in bracket.matches
    links = {m.id: m.loser_to for m in bracket.matches.values() if m.loser_to is not None}
    assert (links["W1-2"].match_id, links["W1-2"].position) == ("L2-1", 0)
    assert (links["W2-2"].match_id, links["W2-2"].position) == ("L2-1", 1)
    assert (links["W2-1"].match_id, links["W2-1"].position) == ("L3-1", 1)
    check_links(bracket)
    assert all(m.side is Side.WINNERS and m.round == 1 for m in byes(bracket))


def test_double_elimination_three_players() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, ["a", "b", "c"])
    assert sorted(bracket.matches) == ["GF1", "GF2", "L2-1", "W1-1", "W1-2", "W2-1"]
    brackets.report(bracket, "W1-2", "c")  # b drops straight into L2
    assert bracket.matches["L2-1"].a == "b"
    brackets.report(bracket, "W2-1", "a")
    assert bracket.matches["L2-1"].b == "c"
    brackets.report(bracket, "L2-1", "b")
    assert (bracket.matches["GF1"].a, bracket.matches["GF1"].b) == ("a", "b")


def test_grand_final_without_reset() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, ["a", "b"])
    brackets.report(bracket, "W1-1", "a")
    assert (bracket.matches["GF1"].a, bracket.matches["GF1"].b) == ("a", "b")
    assert not brackets.is_finished(bracket)
    brackets.report(bracket, "GF1", "a")
    assert "GF2" not in bracket.matches
    assert brackets.is_finished(bracket) and brackets.champion(bracket) == "a"
    assert [(s.player, s.rank) for s in brackets.standings(bracket)] == [("a", 1), ("b", 2)]


def test_grand_final_reset() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, ["a", "b"])
    brackets.report(bracket, "W1-1", "a")
    brackets.report(bracket, "GF1", "b")
    reset = bracket.matches["GF2"]
    assert (reset.a, reset.b, reset.status) == ("a", "b", MatchStatus.READY)
    assert not brackets.is_finished(bracket) and brackets.champion(bracket) is None
    brackets.report(bracket, "GF2", "b")
    assert brackets.champion(bracket) == "b"
    assert len(played(bracket)) == 3


def test_correcting_the_grand_final_adds_or_removes_the_reset() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, ["a", "b"])
    brackets.report(bracket, "W1-1", "a")
    brackets.report(bracket, "GF1", "b")
    brackets.correct(bracket, "GF1", "a")
    assert "GF2" not in bracket.matches and brackets.champion(bracket) == "a"
    brackets.correct(bracket, "GF1", "b", 1, 2)
    assert bracket.matches["GF2"].status is MatchStatus.READY
    brackets.report(bracket, "GF2", "a")
    with pytest.raises(ValueError, match=r"GF2.*already been played"):
        brackets.correct(bracket, "GF1", "a")


def test_round_robin_layout() -> None:
    bracket = brackets.generate(Format.ROUND_ROBIN, names(5))
    rounds = bracket.rounds(Side.POOL)
    assert len(rounds) == 5
    pairs = [frozenset(m.players) for m in bracket.matches.values() if m.b is not None]
    assert len(pairs) == len(set(pairs)) == 10
    for row in rounds:
        assert Counter(p for m in row for p in m.players) == Counter(bracket.players)
        assert [m.status for m in row].count(MatchStatus.BYE) == 1
        assert row[-1].status is MatchStatus.BYE and row[-1].id == f"R{row[-1].round}-3"
    assert sorted(m.a for m in byes(bracket)) == bracket.players  # type: ignore[type-var]
    even = brackets.generate(Format.ROUND_ROBIN, names(6))
    assert not byes(even) and len(even.matches) == 15


def test_swiss_first_round_and_rounds() -> None:
    bracket = brackets.generate(Format.SWISS, names(8))
    assert bracket.swiss_rounds == 3
    assert ids(bracket, Side.POOL, 1) == [("p1", "p5"), ("p2", "p6"), ("p3", "p7"), ("p4", "p8")]
    odd = brackets.generate(Format.SWISS, names(7))
    assert odd.swiss_rounds == 3 and byes(odd)[0].a == "p7"
    assert brackets.generate(Format.SWISS, names(2)).swiss_rounds == 1
    assert brackets.generate(Format.SWISS, names(9), swiss_rounds=5).swiss_rounds == 5


@pytest.mark.parametrize("rounds", [0, 8, -1, True, 2.5])
def test_swiss_rounds_are_checked(rounds: object) -> None:
    with pytest.raises(ValueError, match="Swiss rounds"):
        brackets.generate(Format.SWISS, names(8), swiss_rounds=rounds)  # type: ignore[arg-type]


def test_generate_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        brackets.generate(Format.SINGLE_ELIMINATION, ["solo"])
    with pytest.raises(ValueError, match="listed twice"):
        brackets.generate(Format.ROUND_ROBIN, ["a", "b", "a"])
    with pytest.raises(ValueError, match="only for Swiss"):
        brackets.generate(Format.ROUND_ROBIN, ["a", "b"], swiss_rounds=1)
    with pytest.raises(ValueError, match="non-empty"):
        brackets.generate(Format.ROUND_ROBIN, ["a", ""])


def test_swiss_pairs_by_score_and_avoids_forbidden() -> None:
    forbidden = [("p1", "p5"), ("p2", "p3")]
    bracket = brackets.generate(Format.SWISS, names(8), forbidden=forbidden)
    first = {frozenset(m.players) for m in bracket.matches.values()}
    assert not first & {frozenset(p) for p in forbidden}
    for match in list(bracket.matches.values()):
        brackets.report(bracket, match.id, match.a)  # better seed wins
    winners = {m.a for m in bracket.matches.values()}
    second = brackets.next_round(bracket)
    assert [m.id for m in second] == ["R2-1", "R2-2", "R2-3", "R2-4"]
    for match in second:
        assert (match.a in winners) == (match.b in winners), "same score group"
        assert frozenset(match.players) not in first
        assert frozenset(match.players) not in {frozenset(p) for p in forbidden}


def test_swiss_bye_goes_to_lowest_ranked_without_a_bye() -> None:
    bracket = brackets.generate(Format.SWISS, names(5), swiss_rounds=3)
    assert byes(bracket)[0].a == "p5"
    for match in brackets.ready_matches(bracket):
        brackets.report(bracket, match.id, match.b)  # p3 beats p1, p4 beats p2
    table = [s.player for s in brackets.standings(bracket)]
    second = brackets.next_round(bracket)
    bye = second[-1]
    assert bye.status is MatchStatus.BYE
    # Last on 0 points: p1 and p2 (equal tie-breaks, p1 ahead by seed).
    assert bye.a == "p2" and table[-1] == "p2"
    for match in brackets.ready_matches(bracket):
        brackets.report(bracket, match.id, match.a)
    table = [s.player for s in brackets.standings(bracket)]
    third = brackets.next_round(bracket)
    # p1 lost twice: last, and has had no bye yet.
    assert table[-1] == "p1" and third[-1].a == "p1"


def test_next_round_errors() -> None:
    bracket = brackets.generate(Format.SWISS, names(4))
    with pytest.raises(ValueError, match="round 1 is not over"):
        brackets.next_round(bracket)
    for _ in range(2):
        for match in brackets.ready_matches(bracket):
            brackets.report(bracket, match.id, match.a)
        if not brackets.is_finished(bracket):
            brackets.next_round(bracket)
    assert brackets.is_finished(bracket)
    with pytest.raises(ValueError, match="all 2 rounds"):
        brackets.next_round(bracket)
    with pytest.raises(ValueError, match="only Swiss"):
        brackets.next_round(brackets.generate(Format.ROUND_ROBIN, names(4)))


# -- reporting -------------------------------------------------------------------------


def test_report_errors() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, names(6))
    with pytest.raises(ValueError, match="no match 'W9-9'"):
        brackets.report(bracket, "W9-9", "p1")
    with pytest.raises(ValueError, match="W1-1 is a bye"):
        brackets.report(bracket, "W1-1", "p1")
    with pytest.raises(ValueError, match="W3-1 is not ready yet: it is waiting for its players"):
        brackets.report(bracket, "W3-1", "p1")
    with pytest.raises(ValueError, match="waiting for an opponent"):
        brackets.report(bracket, "W2-1", "p1")
    with pytest.raises(ValueError, match="'p1' is not a player of match W1-2"):
        brackets.report(bracket, "W1-2", "p1")
    with pytest.raises(ValueError, match="cannot end in a draw"):
        brackets.report(bracket, "W1-2", None)
    with pytest.raises(ValueError, match="both scores or neither"):
        brackets.report(bracket, "W1-2", "p4", 3)
    with pytest.raises(ValueError, match="lower score"):
        brackets.report(bracket, "W1-2", "p4", 1, 3)
    with pytest.raises(ValueError, match="whole numbers"):
        brackets.report(bracket, "W1-2", "p4", -1, 0)
    brackets.report(bracket, "W1-2", "p4", 3, 1)
    with pytest.raises(ValueError, match="W1-2 already has a result"):
        brackets.report(bracket, "W1-2", "p4")
    assert bracket.matches["W1-2"].status is MatchStatus.DONE


def test_draws_in_pools() -> None:
    bracket = brackets.generate(Format.ROUND_ROBIN, ["a", "b"])
    with pytest.raises(ValueError, match="draw needs equal scores"):
        brackets.report(bracket, "R1-1", None, 1, 2)
    brackets.report(bracket, "R1-1", None, 2, 2)
    assert bracket.matches["R1-1"].winner is None
    assert [(s.rank, s.points, s.draws) for s in brackets.standings(bracket)] == [
        (1, 1.0, 1),
        (1, 1.0, 1),
    ]
    assert brackets.is_finished(bracket) and brackets.champion(bracket) is None


def test_ready_matches_and_matches_of() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, names(4))
    assert [m.id for m in brackets.ready_matches(bracket)] == ["W1-1", "W1-2"]
    brackets.report(bracket, "W1-1", "p4")
    brackets.report(bracket, "W1-2", "p2")
    assert [m.id for m in brackets.ready_matches(bracket)] == ["W2-1", "L1-1"]
    assert [m.id for m in brackets.matches_of(bracket, "p1")] == ["W1-1", "L1-1"]
    with pytest.raises(ValueError, match="not a player"):
        brackets.matches_of(bracket, "nobody")


# -- corrections -----------------------------------------------------------------------


def test_correct_moves_players_until_the_next_match_is_played() -> None:
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, names(4))
    brackets.report(bracket, "W1-1", "p1")
    brackets.report(bracket, "W1-2", "p2")
    assert (bracket.matches["W2-1"].a, bracket.matches["L1-1"].a) == ("p1", "p4")
    brackets.correct(bracket, "W1-1", "p4", 1, 2)
    assert (bracket.matches["W2-1"].a, bracket.matches["L1-1"].a) == ("p4", "p1")
    assert bracket.matches["W1-1"].score_b == 2
    assert bracket.matches["W2-1"].status is MatchStatus.READY
    brackets.correct(bracket, "W1-2", "p3")
    assert (bracket.matches["W2-1"].b, bracket.matches["L1-1"].b) == ("p3", "p2")
    brackets.report(bracket, "L1-1", "p1")
    with pytest.raises(ValueError, match="W1-1 cannot be corrected: match L1-1"):
        brackets.correct(bracket, "W1-1", "p1")
    with pytest.raises(ValueError, match="already been played"):
        brackets.correct(bracket, "W1-1", "p4", 0, 3)  # even a score-only change


def test_correct_errors() -> None:
    bracket = brackets.generate(Format.SINGLE_ELIMINATION, names(3))
    with pytest.raises(ValueError, match="W1-2 has no result yet"):
        brackets.correct(bracket, "W1-2", "p2")
    with pytest.raises(ValueError, match="W1-1 is a bye"):
        brackets.correct(bracket, "W1-1", "p1")
    brackets.report(bracket, "W1-2", "p2")
    with pytest.raises(ValueError, match="not a player"):
        brackets.correct(bracket, "W1-2", "p1")
    with pytest.raises(ValueError, match="cannot end in a draw"):
        brackets.correct(bracket, "W1-2", None)
    brackets.report(bracket, "W2-1", "p1")
    with pytest.raises(ValueError, match="W2-1, which follows"):
        brackets.correct(bracket, "W1-2", "p3")


def test_correct_in_pools() -> None:
    rr = brackets.generate(Format.ROUND_ROBIN, names(4))
    for match in list(rr.matches.values()):
        brackets.report(rr, match.id, match.a)
    brackets.correct(rr, "R1-1", None, 0, 0)  # a round robin has no dependent matches
    assert rr.matches["R1-1"].winner is None

    swiss = brackets.generate(Format.SWISS, names(4))
    for match in brackets.ready_matches(swiss):
        brackets.report(swiss, match.id, match.a)
    brackets.next_round(swiss)
    brackets.correct(swiss, "R1-1", None)  # round 2 is paired but not played
    brackets.report(swiss, "R2-1", swiss.matches["R2-1"].a)
    with pytest.raises(ValueError, match="R2-1"):
        brackets.correct(swiss, "R1-2", None)


# -- standings -------------------------------------------------------------------------


def play_pool(
    bracket: Bracket, results: dict[frozenset[str], tuple[str | None, int, int]]
) -> None:
    """Report `results` keyed by the pair; scores are (winner's or a's, other's)."""
    for match in list(bracket.matches.values()):
        if match.status is not MatchStatus.READY:
            continue
        winner, first, second = results[frozenset(match.players)]
        if winner in (match.a, None):
            brackets.report(bracket, match.id, winner, first, second)
        else:
            brackets.report(bracket, match.id, winner, second, first)


def test_round_robin_tie_breaks() -> None:
    bracket = brackets.generate(Format.ROUND_ROBIN, ["a", "b", "c", "d"])
    play_pool(
        bracket,
        {
            frozenset("ab"): ("a", 1, 0),  # a and b both finish on 6: a won their match
            frozenset("ac"): ("c", 5, 0),
            frozenset("ad"): ("a", 1, 0),
            frozenset("bc"): ("b", 6, 0),
            frozenset("bd"): ("b", 6, 0),
            frozenset("cd"): ("d", 1, 0),  # c and d on 3: head to head d, c has more goals
        },
    )
    table = brackets.standings(bracket)
    assert [(s.player, s.rank, s.points) for s in table] == [
        ("a", 1, 6.0),
        ("b", 2, 6.0),
        ("d", 3, 3.0),
        ("c", 4, 3.0),
    ]
    assert table[1].tiebreak == 11.0  # b's score difference
    assert brackets.champion(bracket) == "a"


def test_round_robin_cycle_goes_to_score_difference_then_ties() -> None:
    bracket = brackets.generate(Format.ROUND_ROBIN, ["a", "b", "c"])
    play_pool(
        bracket,
        {frozenset("ab"): ("a", 1, 0), frozenset("bc"): ("b", 1, 0), frozenset("ac"): ("c", 1, 0)},
    )
    assert [(s.player, s.rank) for s in brackets.standings(bracket)] == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
    ]
    assert brackets.champion(bracket) is None
    bracket = brackets.generate(Format.ROUND_ROBIN, ["a", "b", "c"])
    play_pool(
        bracket,
        {frozenset("ab"): ("a", 2, 0), frozenset("bc"): ("b", 1, 0), frozenset("ac"): ("c", 1, 0)},
    )
    assert [s.player for s in brackets.standings(bracket)] == ["a", "c", "b"]  # +1, 0, -1


def test_swiss_buchholz_and_sonneborn_berger() -> None:
    bracket = brackets.generate(Format.SWISS, ["a", "b", "c", "d"], swiss_rounds=2)
    # Round 1: a-c, b-d.
    brackets.report(bracket, "R1-1", "a")
    brackets.report(bracket, "R1-2", None)
    second = brackets.next_round(bracket)
    assert [set(m.players) for m in second] == [{"a", "b"}, {"d", "c"}]
    brackets.report(bracket, "R2-1", "b")
    brackets.report(bracket, "R2-2", "c")
    table = {s.player: s for s in brackets.standings(bracket)}
    # Points: a 3, b 4, c 3, d 1.
    assert [table[p].points for p in "abcd"] == [3.0, 4.0, 3.0, 1.0]
    assert table["a"].tiebreak == 3 + 4  # Buchholz: c and b
    assert table["c"].tiebreak == 3 + 1  # a and d
    assert [s.player for s in brackets.standings(bracket)] == ["b", "a", "c", "d"]
    assert brackets.champion(bracket) == "b"


def test_swiss_sonneborn_berger_breaks_equal_buchholz() -> None:
    bracket = Bracket(format=Format.SWISS, players=["a", "b", "x", "y"], swiss_rounds=3)
    rows = [
        ("R1-1", "a", "x", "a"),
        ("R1-2", "b", "y", "b"),
        ("R2-1", "a", "y", None),
        ("R2-2", "b", "x", None),
        ("R3-1", "x", "y", "x"),
    ]
    for mid, a, b, winner in rows:
        bracket.matches[mid] = Match(
            id=mid, side=Side.POOL, round=int(mid[1]), index=int(mid[3]) - 1, a=a, b=b,
            status=MatchStatus.DONE, winner=winner,
        )  # fmt: skip
    # a and b: 4 points, Buchholz 4 + 1 = 5 each; a beat the stronger x (SB 4.5 against 3).
    table = brackets.standings(bracket)
    assert [(s.player, s.rank, s.points, s.tiebreak) for s in table] == [
        ("x", 1, 4.0, 9.0),
        ("a", 2, 4.0, 5.0),
        ("b", 3, 4.0, 5.0),
        ("y", 4, 1.0, 12.0),
    ]


def test_elimination_standings_by_round() -> None:
    bracket = brackets.generate(Format.SINGLE_ELIMINATION, names(8))
    for match_id, winner in [("W1-1", "p1"), ("W1-2", "p4"), ("W1-3", "p2"), ("W1-4", "p3")]:
        brackets.report(bracket, match_id, winner)
    mid = brackets.standings(bracket)
    assert {s.player for s in mid if s.rank == 1} == {"p1", "p2", "p3", "p4"}
    assert {s.rank for s in mid if s.player in {"p5", "p6", "p7", "p8"}} == {5}
    for match_id, winner in [("W2-1", "p1"), ("W2-2", "p2"), ("W3-1", "p2")]:
        brackets.report(bracket, match_id, winner)
    table = brackets.standings(bracket)
    assert [(s.player, s.rank) for s in table[:4]] == [("p2", 1), ("p1", 2), ("p3", 3), ("p4", 3)]
    assert table[0].wins == 3 and table[0].points == 9.0 and table[-1].rank == 5


# -- the pairing fallback --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=9),
    density=st.floats(min_value=0.1, max_value=0.9),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_blossom_finds_a_maximum_matching(size: int, density: float, seed: int) -> None:
    rng = random.Random(seed)
    edges = [e for e in itertools.combinations(range(size), 2) if rng.random() < density]
    adj: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    mate = maximum_matching(adj, [-1] * size)
    pairs = {(i, j) for i, j in enumerate(mate) if j != -1 and i < j}
    assert all(mate[j] == i for i, j in pairs)
    assert pairs <= set(edges)

    def best(rest: list[int]) -> int:
        if len(rest) < 2:
            return 0
        first, others = rest[0], rest[1:]
        options = [best(others)]
        for other in others:
            if other in adj[first]:
                options.append(1 + best([x for x in others if x != other]))
        return max(options)

    assert len(pairs) == best(list(range(size)))
