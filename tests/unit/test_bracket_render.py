"""The bracket renderer: PNG pictures and the plain-text fallback.

Brackets are built here by hand (not with the engine) so these tests pin the
renderer alone: elimination trees with byes, double elimination with drop-downs and a
grand final reset, round robin and Swiss pools, played to various points.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from bot.features.tournaments.model import (
    Bracket,
    Format,
    Match,
    MatchStatus,
    Side,
    Slot,
    Standing,
)
from bot.features.tournaments.render import RenderLabels, render_png, render_text
from bot.features.tournaments.render_canvas import (
    MAX_SIDE,
    SMALL_SIZE,
    Context,
    Glyphs,
    load_fonts,
)

PlayFn = Callable[[Match], bool]

FIRST = ["Alice", "Bob", "Chioma", "Dmitri", "Esther", "Farid", "Grace", "Hiro"]


def player_ids(n: int) -> list[str]:
    return [f"p{i:02d}" for i in range(1, n + 1)]


def names_for(players: list[str]) -> dict[str, str]:
    return {p: f"{FIRST[i % len(FIRST)]} {i + 1}" for i, p in enumerate(players)}


def seed_order(size: int) -> list[int]:
    """1-based seeds in bracket order: 1 v size, and the top seeds meet last."""
    order = [1]
    while len(order) < size:
        total = 2 * len(order) + 1
        order = [s for seed in order for s in (seed, total - seed)]
    return order


def upset(m: Match) -> bool:
    return m.index % 3 == 2  # every third match goes to the worse seed


def resolve(bracket: Bracket, play: PlayFn) -> None:
    """Move players through `winner_to`/`loser_to` until nothing changes.

    A slot whose feeder produced nobody (a bye's loser) is dead; a match with one dead
    slot is a bye, with two it is an empty bye. `play(m)` says whether a ready match
    gets a result.
    """
    seeds = {p: i for i, p in enumerate(bracket.players)}
    fed = {(s.match_id, s.position) for m in bracket.matches.values() for s in _targets(m)}
    dead = {
        (m.id, pos)
        for m in bracket.matches.values()
        for pos, player in enumerate((m.a, m.b))
        if player is None and (m.id, pos) not in fed
    }

    def put(slot: Slot | None, player: str | None) -> None:
        if slot is None:
            return
        if player is None:
            dead.add((slot.match_id, slot.position))
            return
        target = bracket.matches[slot.match_id]
        if slot.position == 0:
            target.a = player
        else:
            target.b = player

    changed = True
    while changed:
        changed = False
        for m in sorted(bracket.matches.values(), key=_order):
            if m.status in (MatchStatus.DONE, MatchStatus.BYE) or m.id == "GF2":
                continue
            have = [p is not None for p in (m.a, m.b)]
            gone = [(m.id, pos) in dead for pos in (0, 1)]
            if all(h or g for h, g in zip(have, gone, strict=True)) and not all(have):
                m.status = MatchStatus.BYE
                m.winner = m.a or m.b
                put(m.winner_to, m.winner)
                put(m.loser_to, None)
                changed = True
            elif all(have):
                if m.status is MatchStatus.WAITING:
                    m.status = MatchStatus.READY
                    changed = True
                if play(m):
                    assert m.a is not None and m.b is not None
                    better, worse = sorted((m.a, m.b), key=seeds.__getitem__)
                    m.winner = worse if upset(m) else better
                    loser = m.b if m.winner == m.a else m.a
                    win_score, lose_score = 2, m.round % 2
                    m.score_a, m.score_b = (
                        (win_score, lose_score) if m.winner == m.a else (lose_score, win_score)
                    )
                    m.status = MatchStatus.DONE
                    put(m.winner_to, m.winner)
                    put(m.loser_to, loser)
                    changed = True


def _targets(m: Match) -> list[Slot]:
    return [s for s in (m.winner_to, m.loser_to) if s is not None]


def _order(m: Match) -> tuple[int, int, int]:
    side = {Side.WINNERS: 0, Side.LOSERS: 1, Side.GRAND_FINAL: 2, Side.POOL: 0}[m.side]
    return (m.round, side, m.index)


def elimination(
    n: int, *, double: bool = False, reset: bool = True, play: PlayFn | None = None
) -> Bracket:
    """A seeded single or double elimination bracket for `n` players, played by `play`."""
    players = player_ids(n)
    size = 2
    while size < n:
        size *= 2
    k = size.bit_length() - 1
    fmt = Format.DOUBLE_ELIMINATION if double else Format.SINGLE_ELIMINATION
    bracket = Bracket(format=fmt, players=players)
    add = bracket.matches.__setitem__

    def wid(r: int, i: int) -> str:
        return f"W{r}-{i + 1}"

    def lid(r: int, i: int) -> str:
        return f"L{r}-{i + 1}"

    order = seed_order(size)
    for r in range(1, k + 1):
        for i in range(size >> r):
            m = Match(id=wid(r, i), side=Side.WINNERS, round=r, index=i)
            if r == 1:
                sa, sb = order[2 * i], order[2 * i + 1]
                m.a = players[sa - 1] if sa <= n else None
                m.b = players[sb - 1] if sb <= n else None
            if r < k:
                m.winner_to = Slot(wid(r + 1, i // 2), i % 2)
            elif double:
                m.winner_to = Slot("GF1", 0)
            add(m.id, m)
    if double:
        losers_rounds = 2 * (k - 1)
        for j in range(1, losers_rounds + 1):
            count = size >> ((j + 1) // 2 + 1)
            for i in range(count):
                m = Match(id=lid(j, i), side=Side.LOSERS, round=j, index=i)
                if j == losers_rounds:
                    m.winner_to = Slot("GF1", 1)
                elif j % 2:
                    m.winner_to = Slot(lid(j + 1, i), 0)
                else:
                    m.winner_to = Slot(lid(j + 1, i // 2), i % 2)
                add(m.id, m)
        for i in range(size >> 1):
            bracket.matches[wid(1, i)].loser_to = Slot(lid(1, i // 2), i % 2)
        for r in range(2, k + 1):
            count = size >> r
            for i in range(count):
                # Reversed so a dropped player does not meet the same opponent again.
                bracket.matches[wid(r, i)].loser_to = Slot(lid(2 * (r - 1), count - 1 - i), 1)
        _prune_losers(bracket, size)
        # As the engine: GF1 has no links; GF2 (the reset) waits, and is dropped if the
        # winners-bracket champion takes GF1.
        add("GF1", Match(id="GF1", side=Side.GRAND_FINAL, round=1, index=0))
        if reset:
            add("GF2", Match(id="GF2", side=Side.GRAND_FINAL, round=2, index=0))
    resolve(bracket, play or (lambda m: False))
    final, again = bracket.matches.get("GF1"), bracket.matches.get("GF2")
    if final is not None and again is not None and final.status is MatchStatus.DONE:
        if final.winner == final.a:
            del bracket.matches["GF2"]
        else:
            again.a, again.b, again.status = final.a, final.b, MatchStatus.READY
    return bracket


def _prune_losers(bracket: Bracket, size: int) -> None:
    """Leave out the L1/L2 matches byes would leave with one player or none, linking
    past them, as the engine does (so a losers bracket may start at L2)."""
    matches = bracket.matches
    for i in range(size >> 2):
        l1 = matches[f"L1-{i + 1}"]
        feeds = [
            matches[f"W1-{j + 1}"]
            for j in (2 * i, 2 * i + 1)
            if None not in (matches[f"W1-{j + 1}"].a, matches[f"W1-{j + 1}"].b)
        ]
        if len(feeds) == 2:
            continue
        del matches[l1.id]
        if feeds:
            feeds[0].loser_to = l1.winner_to
            continue
        l2 = matches.pop(f"L2-{i + 1}")
        for m in matches.values():
            if m.loser_to == Slot(l2.id, 1):
                m.loser_to = l2.winner_to


def round_robin(n: int, *, played_rounds: int) -> Bracket:
    """Circle-method round robin; the first `played_rounds` rounds have results."""
    players = player_ids(n)
    ring: list[str | None] = [*players, None] if n % 2 else list(players)
    bracket = Bracket(format=Format.ROUND_ROBIN, players=players)
    for r in range(1, len(ring)):
        pairs = [(ring[i], ring[-1 - i]) for i in range(len(ring) // 2)]
        index = 0
        for a, b in pairs:
            if a is None or b is None:
                continue
            m = Match(id=f"R{r}-{index + 1}", side=Side.POOL, round=r, index=index, a=a, b=b)
            m.status = MatchStatus.READY
            if r <= played_rounds:
                m.status = MatchStatus.DONE
                if (r + index) % 4 == 3:
                    m.score_a = m.score_b = 1
                else:
                    m.winner = a if (r + index) % 2 else b
                    m.score_a, m.score_b = (3, 1) if m.winner == a else (0, 2)
            bracket.matches[m.id] = m
            index += 1
        ring = [ring[0], ring[-1], *ring[1:-1]]
    return bracket


def swiss(n: int, *, rounds: int, played_rounds: int) -> Bracket:
    """A Swiss pool with simple rotating pairings; odd counts give a bye each round."""
    players = player_ids(n)
    bracket = Bracket(format=Format.SWISS, players=players, swiss_rounds=rounds)
    for r in range(1, played_rounds + 2):
        shift = players[r - 1 :] + players[: r - 1]
        half = n // 2
        for i in range(half):
            a, b = shift[i], shift[i + half]
            m = Match(id=f"R{r}-{i + 1}", side=Side.POOL, round=r, index=i, a=a, b=b)
            m.status = MatchStatus.READY
            if r <= played_rounds:
                m.status = MatchStatus.DONE
                m.winner = None if (i + r) % 5 == 0 else (a if i % 2 else b)
                m.score_a, m.score_b = (
                    (1, 1) if m.winner is None else ((2, 0) if m.winner == a else (0, 2))
                )
            bracket.matches[m.id] = m
        if n % 2:
            lone = shift[-1]
            bye = Match(id=f"R{r}-{half + 1}", side=Side.POOL, round=r, index=half, a=lone)
            bye.status, bye.winner = MatchStatus.BYE, lone
            bracket.matches[bye.id] = bye
    return bracket


def standings_of(bracket: Bracket) -> list[Standing]:
    """Standings with 1 point a win, 0.5 a draw (byes count as wins)."""
    table = {p: [0, 0, 0] for p in bracket.players}
    for m in bracket.matches.values():
        if m.status is MatchStatus.BYE and m.winner:
            table[m.winner][0] += 1
        elif m.status is MatchStatus.DONE:
            for p in m.players:
                table[p][0 if m.winner == p else (1 if m.winner is None else 2)] += 1
    ranked = sorted(table, key=lambda p: (-(table[p][0] + table[p][1] / 2), p))
    return [
        Standing(p, rank, *table[p], points=table[p][0] + table[p][1] / 2, tiebreak=rank % 3)
        for rank, p in enumerate(ranked, start=1)
    ]


def everything(m: Match) -> bool:
    return True


def until(round_: int) -> PlayFn:
    """Play winners-bracket rounds up to `round_` and the losers rounds they feed."""

    def play(m: Match) -> bool:
        if m.side is Side.WINNERS:
            return m.round <= round_
        return m.side is Side.LOSERS and m.round <= 2 * round_ - 1

    return play


CASES: dict[str, Callable[[], Bracket]] = {
    "single-2": lambda: elimination(2),
    "single-2-done": lambda: elimination(2, play=everything),
    "single-5-byes": lambda: elimination(5, play=until(1)),
    "single-8-done": lambda: elimination(8, play=everything),
    "single-64": lambda: elimination(64, play=until(3)),
    "single-37-byes": lambda: elimination(37, play=until(2)),
    "double-8": lambda: elimination(8, double=True, play=until(2)),
    "double-5-byes": lambda: elimination(5, double=True, play=until(1)),
    "double-6-done": lambda: elimination(6, double=True, play=everything),
    "double-37-byes": lambda: elimination(37, double=True, play=until(2)),
    "double-64": lambda: elimination(64, double=True, play=until(3)),
    "double-64-done": lambda: elimination(64, double=True, play=everything),
    "round-robin-5": lambda: round_robin(5, played_rounds=3),
    "round-robin-64": lambda: round_robin(64, played_rounds=20),
    "swiss-9": lambda: swiss(9, rounds=4, played_rounds=2),
}


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Bracket, dict[str, str]]:
    bracket = CASES[request.param]()
    return request.param, bracket, names_for(bracket.players)


def test_fixtures_are_well_formed() -> None:
    b = elimination(5, play=everything)
    assert sum(m.status is MatchStatus.BYE for m in b.matches.values()) == 3
    assert b.matches["W3-1"].status is MatchStatus.DONE
    d = elimination(64, double=True, play=everything)
    assert len(d.rounds(Side.LOSERS)) == 10
    assert d.matches["GF1"].status is MatchStatus.DONE
    assert len(d.matches) == 63 + 62 + 1  # seed 1 took GF1: no reset
    assert all(m.status is not MatchStatus.WAITING for m in d.matches.values())


def test_png_is_valid_readable_and_bounded(case: tuple[str, Bracket, dict[str, str]]) -> None:
    name, bracket, names = case
    standings = (
        standings_of(bracket) if bracket.format in (Format.ROUND_ROBIN, Format.SWISS) else None
    )
    image = decode(render_png(bracket, names, title=f"Cup: {name}", standings=standings))
    assert 200 <= image.width <= MAX_SIDE
    assert 50 <= image.height <= MAX_SIDE
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) >= 8  # boxes, fills, accents, antialiasing
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 150)
    assert dark > 200  # text is actually drawn


def test_png_is_deterministic() -> None:
    bracket = elimination(8, double=True, play=until(2))
    names = names_for(bracket.players)
    first = render_png(bracket, names, title="Friday cup")
    render_png(round_robin(5, played_rounds=2), names)  # warm caches with other content
    assert render_png(bracket, names, title="Friday cup") == first
    clone = Bracket.from_dict(bracket.to_dict())
    assert render_png(clone, dict(names), title="Friday cup") == first


def test_sizes_grow_with_the_bracket() -> None:
    small = decode(render_png(elimination(4), {}))
    large = decode(render_png(elimination(32), {}))
    assert large.width > small.width and large.height > small.height


def test_64_player_renders_stay_within_limits() -> None:
    for bracket in (
        elimination(64, double=True, play=everything),
        round_robin(64, played_rounds=63),
        swiss(64, rounds=6, played_rounds=5),
    ):
        standings = (
            standings_of(bracket) if bracket.format is not Format.DOUBLE_ELIMINATION else None
        )
        image = decode(render_png(bracket, names_for(bracket.players), standings=standings))
        assert max(image.size) <= MAX_SIDE


def test_no_text_below_12_px() -> None:
    fonts = load_fonts()
    sizes = [fonts.title.size, fonts.heading.size, fonts.name.size, fonts.score.size]
    assert min([*sizes, fonts.small.size]) == SMALL_SIZE >= 12


def test_text_lists_every_match_and_player(case: tuple[str, Bracket, dict[str, str]]) -> None:
    _, bracket, names = case
    text = render_text(bracket, names)
    for match_id in bracket.matches:
        assert match_id in text
    for player in bracket.players:
        assert names[player] in text


def test_text_lines() -> None:
    bracket = elimination(5, play=until(1))
    names = names_for(bracket.players)
    lines = render_text(bracket, names, title="Cup").splitlines()
    assert lines[0] == "Cup"
    assert "Round 1" in lines
    # Seeds 1 to 3 have byes; only 4 v 5 is played.
    assert "W1-1  Alice 1 (bye)" in lines
    played = next(line for line in lines if line.startswith("W1-2"))
    assert played == "W1-2  Dmitri 4 2 – 1 Esther 5 ✓Dmitri 4"
    waiting = next(line for line in lines if line.startswith("W3-1"))
    assert waiting.endswith("vs winner of W2-2")
    assert lines[lines.index("Final") + 1].startswith("W3-1")


def test_text_double_elimination_and_draws() -> None:
    text = render_text(elimination(8, double=True, play=until(1)), names_for(player_ids(8)))
    assert "Winners bracket – Round 1" in text
    assert "Losers bracket – Round 2" in text
    assert "Grand final\nGF1" in text
    assert "loser of W2-" in text
    pool = round_robin(4, played_rounds=3)
    draw = render_text(pool, names_for(pool.players), standings=standings_of(pool))
    assert "1 – 1" in draw and "= draw" in draw
    assert "Standings" in draw and " 1. " in draw


def test_labels_are_the_callers() -> None:
    labels = RenderLabels(round="Runde {n}", bye="Freilos", final="Finale", versus="gegen")
    bracket = elimination(5, play=until(1))
    text = render_text(bracket, names_for(bracket.players), labels)
    assert "Runde 1" in text and "Finale" in text and "(Freilos)" in text and "gegen" in text
    assert "Round" not in text
    render_png(bracket, names_for(bracket.players), labels=labels)


def test_long_names_are_truncated() -> None:
    bracket = elimination(4, play=everything)
    long = "Bartholomew Maximilian Featherstonehaugh-Cholmondeley the Third of Somewhere"
    names = names_for(bracket.players) | {bracket.players[0]: long}
    short = decode(render_png(bracket, names_for(bracket.players)))
    wide = decode(render_png(bracket, names))
    assert wide.size == short.size  # boxes do not grow: the name is cut
    ctx = _context(bracket, names)
    fitted = ctx.fit(long, ctx.fonts.name, 150)
    assert fitted.endswith("…") and len(fitted) < len(long)
    assert ctx.fonts.name.getlength(fitted) <= 150
    assert ctx.fit("Ann", ctx.fonts.name, 150) == "Ann"
    text = render_text(bracket, names)
    assert long[:40] in text and long not in text  # the text keeps 47 characters


def test_non_latin_names_render() -> None:
    bracket = elimination(8, double=True, play=until(1))
    names = dict(
        zip(
            bracket.players,
            [
                "Zoë Müller",
                "José",
                "Дмитрий Ёлкин",
                "محمد علي",
                "Łukasz Øster",
                "李雷",
                "A\nB",
                "",
            ],
            strict=True,
        )
    )
    image = decode(render_png(bracket, names, title="Ünïcödé cup"))
    assert image.width > 200
    text = render_text(bracket, names)
    for name in ("Zoë Müller", "José", "Дмитрий Ёлкин", "محمد علي", "李雷", "A B"):
        assert name in text
    assert "\u2068محمد علي\u2069" in text  # right-to-left name isolated
    ctx = _context(bracket, names)
    assert ctx.player(bracket.players[0]) == "Zoe Muller"
    assert ctx.player(bracket.players[2]) == "Dmitriy Yolkin"
    assert ctx.player(bracket.players[3]) == "#4"  # nothing drawable in the built-in font
    assert ctx.player(bracket.players[4]) == "Lukasz Oster"
    assert ctx.player(bracket.players[6]) == "A B"
    assert ctx.player(bracket.players[7]) == "p08"  # empty name: the id


def test_glyph_coverage_of_builtin_font() -> None:
    glyphs = Glyphs(load_fonts().name)
    assert glyphs.covers("A") and glyphs.covers(" ") and glyphs.covers("…")
    assert not glyphs.covers("é")
    assert glyphs.drawable("Ünïcödé") == "Unicode"
    assert glyphs.drawable("🙂🙂") is None


def test_empty_and_tiny_brackets() -> None:
    empty = Bracket(format=Format.SINGLE_ELIMINATION, players=["a", "b"])
    decode(render_png(empty, {}, title="Not started"))
    decode(render_png(Bracket(format=Format.ROUND_ROBIN, players=[]), {}))
    decode(render_png(Bracket(format=Format.SWISS, players=["a"]), {}, standings=[]))
    assert render_text(empty, {}) == "\n"


def _context(bracket: Bracket, names: dict[str, str]) -> Context:
    fonts = load_fonts()
    return Context(bracket, names, RenderLabels(), fonts, Glyphs(fonts.name))


def test_a_very_long_title_does_not_widen_the_image() -> None:
    bracket = elimination(4)
    plain = decode(render_png(bracket, {}, title="Cup"))
    image = decode(render_png(bracket, {}, title="Friday night cup " * 60))
    assert plain.width < image.width <= MAX_SIDE
    assert image.height == plain.height
