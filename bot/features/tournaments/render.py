"""Bracket pictures and their plain-text equivalent.

`render_png` draws the current state of a `Bracket` as a PNG: elimination formats as a
left-to-right tree (double elimination: winners bracket above the losers bracket, grand
final(s) at the right), round robin as a results grid and Swiss as columns of rounds,
each with the standings beside it when given. `render_text` says the same in plain
text for channels without images and for screen readers.

All words come from the caller through `RenderLabels`, already translated. The image
uses Pillow's built-in font so it renders identically on any machine; that font covers
Latin letters only, so accents are stripped (é -> e), Cyrillic is transliterated and a
name with nothing drawable shows as its seed ("#5"). Pass `font_path` (e.g. a Noto or
DejaVu TTF) to draw other scripts as they are.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.features.tournaments.model import Bracket, Format, Match, MatchStatus, Side, Standing
from bot.features.tournaments.render_canvas import Context, Glyphs, clean_text, load_fonts
from bot.features.tournaments.render_pool import render_round_robin, render_swiss
from bot.features.tournaments.render_tree import render_elimination

__all__ = ["RenderLabels", "render_png", "render_text"]


@dataclass(frozen=True, slots=True)
class RenderLabels:
    """Every word the renderers print, already translated by the caller.

    `round` takes `{n}`; `loser_of` and `winner_of` take `{match}` (a match id).
    """

    winners_bracket: str = "Winners bracket"
    losers_bracket: str = "Losers bracket"
    grand_final: str = "Grand final"
    grand_final_reset: str = "Grand final (reset)"
    final: str = "Final"
    round: str = "Round {n}"
    bye: str = "bye"
    unknown: str = "—"
    winner_of: str = "winner of {match}"
    loser_of: str = "loser of {match}"
    versus: str = "vs"
    draw: str = "draw"
    standings: str = "Standings"
    rank: str = "#"
    player: str = "Player"
    wins: str = "W"
    draws: str = "D"
    losses: str = "L"
    points: str = "Pts"
    tiebreak: str = "TB"


# Pillow's FreeType faces are shared between renders and are not thread-safe; callers
# may render from a thread pool (asyncio.to_thread), so renders take turns.
_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _glyphs(font_path: str | None) -> Glyphs:
    return Glyphs(load_fonts(font_path).name)


def render_png(
    bracket: Bracket,
    names: Mapping[str, str],
    *,
    title: str = "",
    labels: RenderLabels | None = None,
    standings: Sequence[Standing] | None = None,
    font_path: str | None = None,
) -> bytes:
    """A PNG picture of the bracket as it stands.

    `names` maps player ids to display names (an id missing from it is shown as is).
    `standings` adds a standings table (round robin and Swiss). Sides stay under
    4000 px for up to 64 players; larger brackets are scaled down to fit. The output
    is byte-for-byte the same for the same input.
    """
    with _LOCK:
        fonts = load_fonts(font_path)
        ctx = Context(
            bracket=bracket,
            names=names,
            labels=labels or RenderLabels(),
            fonts=fonts,
            glyphs=_glyphs(font_path),
        )
        table = list(standings or ())
        if bracket.format is Format.ROUND_ROBIN:
            painter = render_round_robin(ctx, title, table)
        elif bracket.format is Format.SWISS:
            painter = render_swiss(ctx, title, table)
        else:
            painter = render_elimination(ctx, title)
        return painter.png()


_TEXT_NAME_MAX = 48


def _text_name(names: Mapping[str, str], player: str) -> str:
    name = clean_text(names.get(player) or player) or player
    if len(name) > _TEXT_NAME_MAX:
        name = name[: _TEXT_NAME_MAX - 1].rstrip() + "…"
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in name):
        # Isolate right-to-left names so they cannot reorder the rest of the line.
        name = f"\u2068{name}\u2069"
    return name


def _groups(bracket: Bracket, labels: RenderLabels) -> list[tuple[str, list[Match]]]:
    if bracket.format in (Format.ROUND_ROBIN, Format.SWISS):
        return [(labels.round.format(n=ms[0].round), ms) for ms in bracket.rounds(Side.POOL)]
    double = bracket.format is Format.DOUBLE_ELIMINATION or bool(bracket.rounds(Side.LOSERS))
    groups: list[tuple[str, list[Match]]] = []
    winners = bracket.rounds(Side.WINNERS)
    for k, ms in enumerate(winners):
        head = labels.round.format(n=ms[0].round)
        if double:
            head = f"{labels.winners_bracket} – {head}"
        elif k == len(winners) - 1 and len(ms) == 1:
            head = labels.final
        groups.append((head, ms))
    for ms in bracket.rounds(Side.LOSERS):
        groups.append((f"{labels.losers_bracket} – {labels.round.format(n=ms[0].round)}", ms))
    for ms in bracket.rounds(Side.GRAND_FINAL):
        groups.append((labels.grand_final if ms[0].round <= 1 else labels.grand_final_reset, ms))
    # Anything on a side this format does not normally use is still listed.
    listed = {m.id for _, ms in groups for m in ms}
    rest = [m for m in bracket.matches.values() if m.id not in listed]
    for side in Side:
        ms = sorted((m for m in rest if m.side is side), key=lambda m: (m.round, m.index))
        if ms:
            groups.append((str(side), ms))
    return groups


def render_text(
    bracket: Bracket,
    names: Mapping[str, str],
    labels: RenderLabels | None = None,
    *,
    title: str = "",
    standings: Sequence[Standing] | None = None,
) -> str:
    """The bracket as plain text: one line per match, grouped by round, e.g.

    ``W1-3  Alice 2 – 1 Bob ✓Alice``. Unplayed matches read ``W2-1  Alice vs winner of
    W1-2``, byes ``W1-4  Dana (bye)``. Names are never cut short below 48 characters.
    """
    labels = labels or RenderLabels()
    feeds: dict[tuple[str, int], tuple[str, str]] = {}
    for m in bracket.matches.values():
        for kind, slot in (("winner", m.winner_to), ("loser", m.loser_to)):
            if slot is not None:
                feeds[(slot.match_id, slot.position)] = (m.id, kind)

    def who(m: Match, pos: int) -> str:
        player = m.a if pos == 0 else m.b
        if player is not None:
            return _text_name(names, player)
        feed = feeds.get((m.id, pos))
        if feed is None:
            return labels.unknown
        template = labels.winner_of if feed[1] == "winner" else labels.loser_of
        return template.format(match=feed[0])

    groups = _groups(bracket, labels)
    id_w = max((len(m.id) for _, ms in groups for m in ms), default=0)
    lines: list[str] = [title] if title else []
    for head, ms in groups:
        if lines:
            lines.append("")
        lines.append(head)
        name_w = min(24, max(len(who(m, 0)) for m in ms))
        for m in ms:
            lines.append(f"{m.id:<{id_w}}  {_match_text(m, who, name_w, labels, names)}")
    if standings:
        lines += ["", labels.standings]
        name_w = min(24, max(len(_text_name(names, s.player)) for s in standings))
        for s in standings:
            name = _text_name(names, s.player)
            tail = f"{labels.points} {s.points:g}"
            if s.tiebreak:
                tail += f"  {labels.tiebreak} {s.tiebreak:g}"
            lines.append(
                f"{s.rank:>2}. {name:<{name_w}}  {labels.wins} {s.wins}  {labels.draws} "
                f"{s.draws}  {labels.losses} {s.losses}  {tail}"
            )
    return "\n".join(lines) + "\n"


def _match_text(
    m: Match,
    who: Callable[[Match, int], str],
    name_w: int,
    labels: RenderLabels,
    names: Mapping[str, str],
) -> str:
    a, b = who(m, 0), who(m, 1)
    if m.status is MatchStatus.BYE:
        present = [_text_name(names, p) for p in m.players]
        return f"{present[0] if present else ''} ({labels.bye})".strip()
    if m.status is not MatchStatus.DONE:
        return f"{a:<{name_w}} {labels.versus} {b}"
    if m.score_a is not None and m.score_b is not None:
        line = f"{a:<{name_w}} {m.score_a} – {m.score_b} {b}"
    else:
        line = f"{a:<{name_w}} – {b}"
    if m.winner is None:
        return f"{line} = {labels.draw}"
    return f"{line} ✓{_text_name(names, m.winner)}"
