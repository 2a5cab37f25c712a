"""Single and double elimination as a left-to-right tree of rounds with connector lines."""

from __future__ import annotations

from dataclasses import dataclass

from bot.features.tournaments.model import Format, Match, Side
from bot.features.tournaments.render_canvas import (
    ACCENT,
    CONNECTOR,
    FINALS,
    LOSERS,
    PAGE,
    RGB,
    TEXT,
    TITLE_H,
    BoxGeometry,
    Context,
    Painter,
    box_geometry,
    draw_heading,
    draw_match,
    draw_title,
    title_width,
)

MARGIN = 24
COL_GAP = 44  # room for the connector elbows between columns
BOX_GAP = 10  # vertical space between boxes of one round
SECTION_H = 34  # section heading ("Winners bracket")
ROUND_H = 26  # round headings above the columns
SECTION_GAP = 30
FINAL_LABEL_H = 22  # "Grand final" above its box


@dataclass(slots=True)
class _Placed:
    match: Match
    x: int
    y: int  # top


def _columns_x(col: int, geo: BoxGeometry) -> int:
    return MARGIN + col * (geo.width + COL_GAP)


def _structural_count(side: Side, number: int, winners_rounds: int) -> int:
    """How many matches a round has in a full power-of-two bracket.

    The engine leaves out losers-bracket matches that byes would leave empty and keeps
    round numbers and indices structural, so spacing by index needs the full count.
    """
    size = 1 << winners_rounds
    if side is Side.WINNERS:
        return size >> number
    if side is Side.LOSERS:
        return size >> ((number + 1) // 2 + 1)
    return 1


def _centres(
    rounds: list[list[Match]], ctx: Context, pitch: int, winners_rounds: int
) -> dict[str, float]:
    """Vertical centres of one side's boxes, relative to the top of its tree.

    A match sits midway between the two matches of its side that feed it, as in a
    printed bracket, or level with its only feeder when the round does not shrink (a
    drop-in round of the losers bracket). Other matches (round 1, matches fed across
    from the winners bracket) are spread evenly by index. Boxes never overlap.
    """
    counts = [
        max(_structural_count(r[0].side, r[0].round, winners_rounds), r[-1].index + 1, len(r))
        for r in rounds
    ]
    height = max(counts) * pitch
    centres: dict[str, float] = {}
    for k, matches in enumerate(rounds):
        previous: float | None = None
        for m in matches:
            fed = [
                centres[src]
                for pos in (0, 1)
                if (feed := ctx.feed(m.id, pos)) is not None
                and feed[1] == "winner"
                and (src := feed[0]) in centres
            ]
            want = (m.index + 0.5) * height / counts[k]
            if len(fed) == 2 or (fed and k > 0 and counts[k] == counts[k - 1]):
                want = sum(fed) / len(fed)
            if previous is not None:
                want = max(want, previous + pitch)
            centres[m.id] = want
            previous = want
    return centres


def render_elimination(ctx: Context, title: str) -> Painter:
    """Draw a single or double elimination bracket."""
    bracket, labels, fonts = ctx.bracket, ctx.labels, ctx.fonts
    geo = box_geometry(ctx, bracket.matches.values())
    pitch = geo.height + BOX_GAP
    double = bracket.format is Format.DOUBLE_ELIMINATION or any(
        m.side is Side.LOSERS for m in bracket.matches.values()
    )
    sections = [(labels.winners_bracket, Side.WINNERS, ACCENT)]
    if double:
        sections.append((labels.losers_bracket, Side.LOSERS, LOSERS))
    finals = bracket.rounds(Side.GRAND_FINAL)
    winners_rounds = max(
        (m.round for m in bracket.matches.values() if m.side is Side.WINNERS), default=1
    )

    placed: dict[str, _Placed] = {}
    round_heads: list[tuple[int, int, str]] = []  # x centre, y, text
    section_heads: list[tuple[int, str, RGB]] = []
    y = MARGIN + (TITLE_H if title else 0)
    columns = 0
    for label, side, colour in sections:
        rounds = bracket.rounds(side)
        if not rounds:
            continue
        if double:
            section_heads.append((y, label, colour))
            y += SECTION_H
        last = len(rounds) - 1
        for col, matches in enumerate(rounds):
            final = not double and col == last and len(matches) == 1
            head = labels.final if final else labels.round.format(n=matches[0].round)
            round_heads.append((_columns_x(col, geo) + geo.width // 2, y, head))
        y += ROUND_H
        centres = _centres(rounds, ctx, pitch, winners_rounds)
        for col, matches in enumerate(rounds):
            for m in matches:
                top = y + round(centres[m.id] - geo.height / 2)
                placed[m.id] = _Placed(m, _columns_x(col, geo), top)
        y = max(p.y for p in placed.values()) + geo.height + SECTION_GAP
        columns = max(columns, len(rounds))

    tree_top = MARGIN + (TITLE_H if title else 0)
    tree_bottom = max((p.y + geo.height for p in placed.values()), default=tree_top)
    final_labels: list[tuple[int, int, str]] = []
    for k, matches in enumerate(finals):
        col = columns + k
        previous: int | None = None
        for m in matches:
            fed = [
                placed[src].y
                for pos in (0, 1)
                if (feed := ctx.feed(m.id, pos)) is not None and (src := feed[0]) in placed
            ]
            if fed:
                top = round(sum(fed) / len(fed))
            elif k > 0 and m.index < len(finals[k - 1]):
                # The reset (GF2) has no links in the engine: it continues GF1.
                top = placed[finals[k - 1][m.index].id].y
            else:
                top = (tree_top + tree_bottom - geo.height) // 2
            top = max(top, tree_top + FINAL_LABEL_H)
            if previous is not None:
                top = max(top, previous + geo.height + BOX_GAP + FINAL_LABEL_H)
            placed[m.id] = _Placed(m, _columns_x(col, geo), top)
            previous = top
            text = labels.grand_final if m.round <= 1 else labels.grand_final_reset
            final_labels.append((_columns_x(col, geo), top - FINAL_LABEL_H, text))
    columns += len(finals)

    width = _columns_x(columns, geo) - COL_GAP + MARGIN
    if title:
        width = max(width, title_width(ctx, title) + 2 * MARGIN)
    height = max((p.y + geo.height for p in placed.values()), default=MARGIN) + MARGIN
    if title and not placed:
        height = MARGIN + TITLE_H
    painter = Painter(max(width, 320), height, fonts)

    if title:
        draw_title(painter, ctx, ctx.label(title), MARGIN, MARGIN)
    for top, text, colour in section_heads:
        draw_heading(painter, ctx, ctx.label(text), MARGIN, top, colour)
    for cx, top, text in round_heads:
        shown = ctx.fit(ctx.label(text), fonts.name, geo.width, bold=True)
        painter.text((cx, top + 11), shown, fonts.name, fg=TEXT, bg=PAGE, anchor="mm", bold=True)
    for x, top, text in final_labels:
        painter.rect((x, top + 3, x + 4, top + 17), fill=FINALS)
        shown = ctx.fit(ctx.label(text), fonts.name, geo.width - 12, bold=True)
        painter.text((x + 11, top + 10), shown, fonts.name, fg=TEXT, bg=PAGE, bold=True)
    for src in placed.values():
        slot = src.match.winner_to
        if slot is None or slot.match_id not in placed:
            continue
        dst = placed[slot.match_id]
        if dst.x <= src.x:
            continue
        x0, y0 = src.x + geo.width, src.y + geo.height // 2
        x1 = dst.x
        y1 = dst.y + geo.row_h // 2 + min(max(slot.position, 0), 1) * geo.row_h
        elbow = x1 - COL_GAP // 2
        painter.line(((x0, y0), (elbow, y0), (elbow, y1), (x1, y1)), CONNECTOR, width=2)
    for k in range(1, len(finals)):
        for m in finals[k]:
            before = finals[k - 1][m.index] if m.index < len(finals[k - 1]) else None
            if before is None or before.winner_to is not None:
                continue
            src, dst = placed[before.id], placed[m.id]
            y0, y1 = src.y + geo.height // 2, dst.y + geo.height // 2
            elbow = dst.x - COL_GAP // 2
            painter.line(
                ((src.x + geo.width, y0), (elbow, y0), (elbow, y1), (dst.x, y1)), CONNECTOR, 2
            )
    for item in placed.values():
        draw_match(painter, ctx, geo, item.match, item.x, item.y)
    return painter
