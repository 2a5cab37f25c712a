"""Round robin as a players x players results grid; Swiss as columns of rounds."""

from __future__ import annotations

from bot.features.tournaments.model import Match, MatchStatus, Side, Standing
from bot.features.tournaments.render_canvas import (
    BORDER,
    BOX,
    DIAGONAL,
    DIVIDER,
    DRAW_CELL,
    LOSS_CELL,
    MAX_SIDE,
    MUTED,
    PAGE,
    STRIP,
    TEXT,
    TITLE_H,
    WIN_ROW,
    ZEBRA,
    Context,
    Painter,
    box_geometry,
    draw_match,
    draw_standings,
    draw_title,
    standings_size,
    text_width,
    title_width,
)

MARGIN = 24
GAP = 40  # between the grid (or rounds) and the standings
CELL_H = 26
LABEL_W = 210  # "12. Name" column of the grid
BOX_GAP = 10
ROUND_H = 26


def _pool_players(ctx: Context) -> list[str]:
    players = list(ctx.bracket.players)
    seen = set(players)
    for m in sorted(ctx.bracket.matches.values(), key=lambda m: (m.round, m.index, m.id)):
        for p in m.players:
            if p not in seen:
                seen.add(p)
                players.append(p)
    return players


def _outcome(m: Match, player: str) -> tuple[str, tuple[int, int, int]] | None:
    """(cell text, fill) of a decided match from `player`'s side, None if undecided."""
    if m.status is not MatchStatus.DONE:
        return None
    mine, theirs = (m.score_a, m.score_b) if player == m.a else (m.score_b, m.score_a)
    if m.winner is None:
        fill = DRAW_CELL
    elif m.winner == player:
        fill = WIN_ROW
    else:
        fill = LOSS_CELL
    if mine is not None and theirs is not None:
        return f"{mine}-{theirs}", fill
    return "", fill


def render_round_robin(ctx: Context, title: str, standings: list[Standing]) -> Painter:
    """The results grid: row player's score first; unplayed cells show the match id."""
    fonts = ctx.fonts
    players = _pool_players(ctx)
    n = len(players)
    cells: dict[tuple[str, str], Match] = {}
    for m in sorted(ctx.bracket.matches.values(), key=lambda m: (m.round, m.index, m.id)):
        if m.a is None or m.b is None:
            continue
        for key in ((m.a, m.b), (m.b, m.a)):
            # A later meeting (double round robin) replaces an earlier one, a played one
            # is never replaced by an unplayed one.
            old = cells.get(key)
            if old is None or m.status is MatchStatus.DONE or old.status is not MatchStatus.DONE:
                cells[key] = m

    score_w = max(
        (
            text_width(o[0], fonts.score, True)
            for (p, _), m in cells.items()
            if (o := _outcome(m, p))
        ),
        default=0,
    )
    id_w = max((text_width(ctx.label(m.id), fonts.small) for m in cells.values()), default=0)
    number_w = text_width(str(n), fonts.name, True)
    table_w, table_h = standings_size(ctx, standings) if standings else (0, 0)
    extra = (GAP + table_w) if standings else 0
    cell_w = int(max(score_w, id_w, number_w, 24)) + 12
    show_ids = True
    if 2 * MARGIN + LABEL_W + n * cell_w + extra > MAX_SIDE:
        # Too wide with ids in the cells; they stay in the text fallback.
        show_ids = False
        cell_w = int(max(score_w, number_w, 24)) + 10

    top = MARGIN + (TITLE_H if title else 0)
    grid_w = LABEL_W + n * cell_w
    grid_h = CELL_H * (n + 1)
    width = 2 * MARGIN + grid_w + extra
    if title:
        width = max(width, title_width(ctx, title) + 2 * MARGIN)
    height = top + max(grid_h, table_h) + MARGIN
    p = Painter(width, height, fonts)
    if title:
        draw_title(p, ctx, ctx.label(title), MARGIN, MARGIN)

    x0, y0 = MARGIN, top
    p.rect((x0, y0, x0 + grid_w - 1, y0 + CELL_H - 1), fill=STRIP)
    for j in range(n):
        cx = x0 + LABEL_W + j * cell_w + cell_w / 2
        p.text((cx, y0 + CELL_H / 2), str(j + 1), fonts.name, fg=TEXT, bg=STRIP, anchor="mm")
    for i, row_player in enumerate(players):
        ry = y0 + (i + 1) * CELL_H
        mid = ry + CELL_H / 2
        row_bg = ZEBRA if i % 2 else BOX
        p.rect((x0, ry, x0 + LABEL_W - 1, ry + CELL_H - 1), fill=row_bg)
        number = f"{i + 1}."
        p.text((x0 + 30, mid), number, fonts.name, fg=MUTED, bg=row_bg, anchor="rm")
        name = ctx.fit(ctx.player(row_player), fonts.name, LABEL_W - 44)
        p.text((x0 + 36, mid), name, fonts.name, fg=TEXT, bg=row_bg)
        for j, col_player in enumerate(players):
            cx = x0 + LABEL_W + j * cell_w
            box = (cx, ry, cx + cell_w - 1, ry + CELL_H - 1)
            if i == j:
                p.rect(box, fill=DIAGONAL)
                continue
            m = cells.get((row_player, col_player))
            outcome = _outcome(m, row_player) if m is not None else None
            if outcome is not None:
                text, fill = outcome
                p.rect(box, fill=fill)
                won = m is not None and m.winner == row_player
                p.text(
                    (cx + cell_w / 2, mid), text, fonts.score, fg=TEXT, bg=fill, anchor="mm",
                    bold=won,
                )  # fmt: skip
            else:
                p.rect(box, fill=BOX)
                if m is not None and show_ids:
                    p.text(
                        (cx + cell_w / 2, mid), ctx.label(m.id), fonts.small, fg=MUTED, bg=BOX,
                        anchor="mm",
                    )  # fmt: skip
    for j in range(n + 1):
        gx = x0 + LABEL_W + j * cell_w
        p.line(((gx, y0), (gx, y0 + grid_h - 1)), DIVIDER)
    for i in range(1, n + 1):
        gy = y0 + i * CELL_H
        p.line(((x0, gy), (x0 + grid_w - 1, gy)), DIVIDER)
    p.rect((x0, y0, x0 + grid_w - 1, y0 + grid_h - 1), outline=BORDER)
    if standings:
        draw_standings(p, ctx, standings, x0 + grid_w + GAP, top)
    return p


def render_swiss(ctx: Context, title: str, standings: list[Standing]) -> Painter:
    """One column of match boxes per round, then the standings."""
    fonts, labels = ctx.fonts, ctx.labels
    rounds = ctx.bracket.rounds(Side.POOL)
    geo = box_geometry(ctx, ctx.bracket.matches.values())
    pitch = geo.height + BOX_GAP
    top = MARGIN + (TITLE_H if title else 0)
    col_w = geo.width + 24
    rounds_w = len(rounds) * col_w - (24 if rounds else 0)
    rounds_h = (ROUND_H + max(len(r) for r in rounds) * pitch) if rounds else 0
    table_w, table_h = standings_size(ctx, standings) if standings else (0, 0)
    width = 2 * MARGIN + rounds_w + ((GAP + table_w) if standings else 0)
    if title:
        width = max(width, title_width(ctx, title) + 2 * MARGIN)
    height = top + max(rounds_h, table_h) + MARGIN
    p = Painter(max(width, 320), height, fonts)
    if title:
        draw_title(p, ctx, ctx.label(title), MARGIN, MARGIN)
    for k, matches in enumerate(rounds):
        x = MARGIN + k * col_w
        head = ctx.fit(ctx.label(labels.round.format(n=matches[0].round)), fonts.name, geo.width)
        p.text((x + geo.width / 2, top + 11), head, fonts.name, fg=TEXT, bg=PAGE, anchor="mm",
               bold=True)  # fmt: skip
        for i, m in enumerate(matches):
            draw_match(p, ctx, geo, m, x, top + ROUND_H + i * pitch)
    if standings:
        draw_standings(p, ctx, standings, MARGIN + rounds_w + (GAP if rounds else 0), top)
    return p
