"""Drawing primitives for the bracket images: palette, fonts, text fitting, match boxes.

Images are drawn straight into a palette ("P") image with a fixed palette: a 64-player
double elimination is about 3000 x 3000 pixels, and encoding that as RGB PNG alone takes
longer than the whole render budget. Antialiased text is kept by giving every
(background, text colour) pair used a ramp of blended palette entries, and text is
stamped from cached masks because Pillow rasterises every `text()` call from scratch.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from bot.features.tournaments.model import Bracket, Match, MatchStatus, Standing

if TYPE_CHECKING:
    from bot.features.tournaments.render import RenderLabels

RGB = tuple[int, int, int]

MAX_SIDE = 4000  # px; larger renders are scaled down to fit

# Colour-blind-safe: Okabe-Ito blue / vermillion / bluish green carry meaning, never
# red against green, and every highlight also differs in weight or shape.
PAGE: RGB = (243, 244, 246)
BOX: RGB = (255, 255, 255)
BYE_BOX: RGB = (230, 232, 236)
STRIP: RGB = (224, 228, 234)
BORDER: RGB = (120, 126, 138)
READY_BORDER: RGB = (20, 20, 20)
DIVIDER: RGB = (204, 208, 215)
TEXT: RGB = (17, 17, 17)
MUTED: RGB = (84, 89, 97)
WIN_ROW: RGB = (204, 227, 245)
ACCENT: RGB = (0, 114, 178)
CONNECTOR: RGB = (92, 98, 108)
LOSERS: RGB = (213, 94, 0)
FINALS: RGB = (0, 158, 115)
LOSS_CELL: RGB = (250, 220, 196)
DRAW_CELL: RGB = (222, 222, 222)
DIAGONAL: RGB = (150, 156, 166)
ZEBRA: RGB = (236, 238, 242)

_SOLIDS: tuple[RGB, ...] = (
    PAGE, BOX, BYE_BOX, STRIP, BORDER, READY_BORDER, DIVIDER, TEXT, MUTED, WIN_ROW,
    ACCENT, CONNECTOR, LOSERS, FINALS, LOSS_CELL, DRAW_CELL, DIAGONAL, ZEBRA,
)  # fmt: skip
# Every (background, foreground) pair text is drawn with; see `Painter.text`.
_TEXT_PAIRS: tuple[tuple[RGB, RGB], ...] = (
    (PAGE, TEXT), (PAGE, MUTED), (BOX, TEXT), (BOX, MUTED), (BYE_BOX, TEXT),
    (BYE_BOX, MUTED), (STRIP, TEXT), (WIN_ROW, TEXT), (ACCENT, BOX), (LOSS_CELL, TEXT),
    (DRAW_CELL, TEXT), (ZEBRA, TEXT), (ZEBRA, MUTED),
)  # fmt: skip
_LEVELS = 9  # shades per ramp, ends included: indistinguishable from 256 at this size


def _build_palette() -> tuple[bytes, dict[RGB, int], dict[tuple[RGB, RGB], list[int]]]:
    colours: list[RGB] = []
    index: dict[RGB, int] = {}

    def add(rgb: RGB) -> int:
        if rgb not in index:
            index[rgb] = len(colours)
            colours.append(rgb)
        return index[rgb]

    for rgb in _SOLIDS:
        add(rgb)
    luts: dict[tuple[RGB, RGB], list[int]] = {}
    for bg, fg in _TEXT_PAIRS:
        shades = [
            add(
                tuple(  # type: ignore[arg-type]
                    round(b + (f - b) * step / (_LEVELS - 1)) for b, f in zip(bg, fg, strict=True)
                )
            )
            for step in range(_LEVELS)
        ]
        luts[(bg, fg)] = [shades[round(v * (_LEVELS - 1) / 255)] for v in range(256)]
    assert len(colours) <= 256
    flat = bytes(c for rgb in colours for c in rgb) + bytes(3 * (256 - len(colours)))
    return flat, index, luts


_PALETTE, _INDEX, _LUTS = _build_palette()

# Sizes in px; 12 is the floor for any text.
TITLE_SIZE = 24
HEADING_SIZE = 17
NAME_SIZE = 15
SCORE_SIZE = 15
SMALL_SIZE = 12


@dataclass(frozen=True, slots=True)
class Fonts:
    """The fonts of one render, all from one typeface."""

    key: str
    title: ImageFont.FreeTypeFont
    heading: ImageFont.FreeTypeFont
    name: ImageFont.FreeTypeFont
    score: ImageFont.FreeTypeFont
    small: ImageFont.FreeTypeFont


@lru_cache(maxsize=8)
def load_fonts(path: str | None = None) -> Fonts:
    """Pillow's built-in scalable font (Aileron, Latin only), or a TrueType file at `path`."""

    def font(size: int) -> ImageFont.FreeTypeFont:
        if path is None:
            loaded = ImageFont.load_default(size=size)
            assert isinstance(loaded, ImageFont.FreeTypeFont), "Pillow lacks FreeType"
            return loaded
        return ImageFont.truetype(path, size)

    return Fonts(
        key=path or "<default>",
        title=font(TITLE_SIZE),
        heading=font(HEADING_SIZE),
        name=font(NAME_SIZE),
        score=font(SCORE_SIZE),
        small=font(SMALL_SIZE),
    )


# Readable stand-ins for letters the built-in font lacks (it covers ASCII only);
# accents are stripped separately through NFKD.
_TRANSLIT: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo",
    "є": "ye", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ß": "ss",
    "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "×": "x",
}  # fmt: skip
_NOTDEF_PROBE = "\ue000"  # a private-use code point: fonts draw their missing-glyph box


def clean_text(text: str) -> str:
    """One line of text: controls and format characters dropped, whitespace collapsed."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(kept.split())


class Glyphs:
    """Which characters a font can draw, and text rewritten to what it can."""

    def __init__(self, font: ImageFont.FreeTypeFont) -> None:
        self._font = font
        self._notdef = self._mask(_NOTDEF_PROBE)
        self._known: dict[str, bool] = {}
        self._drawable: dict[str, str | None] = {}

    def _mask(self, ch: str) -> tuple[tuple[int, int], bytes]:
        mask = self._font.getmask(ch)
        return mask.size, bytes(mask)

    def covers(self, ch: str) -> bool:
        """Whether the font has a glyph for `ch`."""
        known = self._known.get(ch)
        if known is None:
            known = ch == " " or self._mask(ch) != self._notdef
            self._known[ch] = known
        return known

    def drawable(self, text: str) -> str | None:
        """`text` with what the font cannot draw transliterated or dropped; None if nothing
        legible is left (e.g. an Arabic name with the built-in Latin font)."""
        if text in self._drawable:
            return self._drawable[text]
        line = clean_text(text)
        if all(self.covers(ch) for ch in line):
            result: str | None = line
        else:
            out: list[str] = []
            for ch in line:
                if self.covers(ch):
                    out.append(ch)
                    continue
                alt = _TRANSLIT.get(ch.lower())
                if alt is None:
                    alt = "".join(
                        c
                        for c in unicodedata.normalize("NFKD", ch)
                        if not unicodedata.combining(c)
                    )
                elif ch != ch.lower():
                    alt = alt.capitalize()
                out.extend(c for c in alt if self.covers(c))
            folded = " ".join("".join(out).split())
            result = folded if any(c.isalnum() for c in folded) else None
        self._drawable[text] = result
        return result


@dataclass(slots=True)
class _Stamp:
    """A rendered text: its coverage mask and where it sits relative to the anchor."""

    mask: Image.Image
    dx: int
    dy: int
    by_pair: dict[tuple[RGB, RGB], Image.Image] = field(default_factory=dict)


_STAMPS: dict[tuple[str, str, int, str, bool], _Stamp] = {}
_STAMP_LIMIT = 20_000  # re-renders of the same tournament reuse nearly every stamp


def _stamp(
    text: str, fonts: Fonts, font: ImageFont.FreeTypeFont, anchor: str, bold: bool
) -> _Stamp:
    key = (text, fonts.key, int(font.size), anchor, bold)
    stamp = _STAMPS.get(key)
    if stamp is not None:
        return stamp
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    width = max(1, right - left + (1 if bold else 0))
    height = max(1, bottom - top)
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    draw.text((-left, -top), text, font=font, fill=255, anchor=anchor)
    if bold:  # the built-in font has no bold face: overprint one pixel to the right
        draw.text((1 - left, -top), text, font=font, fill=255, anchor=anchor)
    if len(_STAMPS) >= _STAMP_LIMIT:
        _STAMPS.clear()
    stamp = _Stamp(mask, left, top)
    _STAMPS[key] = stamp
    return stamp


def _shade(mask: Image.Image, pair: tuple[RGB, RGB]) -> Image.Image:
    # Coverage -> palette index of the blended shade. Going through a palette keeps the
    # lookup in C; `Image.point` rebuilds its 256-entry table in Python on every call.
    shaded = mask.copy()
    shaded.putpalette(_GREY_LUTS[pair])
    shaded = shaded.convert("L")
    shaded.putpalette(_PALETTE)
    return shaded


_GREY_LUTS = {pair: bytes(i for v in lut for i in (v, v, v)) for pair, lut in _LUTS.items()}


class Painter:
    """A palette image with the drawing operations the renderers need."""

    def __init__(self, width: int, height: int, fonts: Fonts) -> None:
        self.width = width
        self.height = height
        self.fonts = fonts
        self.image = Image.new("P", (width, height), _INDEX[PAGE])
        self.image.putpalette(_PALETTE)
        self._draw = ImageDraw.Draw(self.image)

    def rect(
        self,
        box: tuple[float, float, float, float],
        fill: RGB | None = None,
        outline: RGB | None = None,
        width: int = 1,
    ) -> None:
        """A rectangle; `box` is inclusive (x0, y0, x1, y1)."""
        self._draw.rectangle(
            box,
            fill=None if fill is None else _INDEX[fill],
            outline=None if outline is None else _INDEX[outline],
            width=width,
        )

    def line(self, points: Iterable[tuple[float, float]], colour: RGB, width: int = 1) -> None:
        """A polyline."""
        self._draw.line(list(points), fill=_INDEX[colour], width=width)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        font: ImageFont.FreeTypeFont,
        *,
        fg: RGB,
        bg: RGB,
        anchor: str = "lm",
        bold: bool = False,
    ) -> None:
        """Draw `text` (already fitted and drawable) over a plain `bg` area."""
        if not text:
            return
        stamp = _stamp(text, self.fonts, font, anchor, bold)
        pair = (bg, fg)
        shaded = stamp.by_pair.get(pair)
        if shaded is None:
            shaded = stamp.by_pair[pair] = _shade(stamp.mask, pair)
        # Unmasked: the whole text box is `bg`, which coverage 0 maps back to.
        self.image.paste(shaded, (round(xy[0]) + stamp.dx, round(xy[1]) + stamp.dy))

    def png(self) -> bytes:
        """The image as PNG bytes, scaled down if a side exceeds `MAX_SIDE`."""
        image = self.image
        if max(image.size) > MAX_SIDE:
            scale = MAX_SIDE / max(image.size)
            size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
            image = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=6)
        return out.getvalue()


def clear_caches() -> None:
    """Forget rendered texts and widths (for benchmarks of a first render)."""
    _STAMPS.clear()
    _length.cache_clear()


def text_width(text: str, font: ImageFont.FreeTypeFont, bold: bool = False) -> float:
    """Advance width of `text` in px."""
    return _length(text, font) + (1 if bold else 0)


@lru_cache(maxsize=1 << 16)
def _length(text: str, font: ImageFont.FreeTypeFont) -> float:
    return font.getlength(text)


@dataclass(slots=True)
class Context:
    """What every part of one render needs: the bracket, fonts, labels and name lookup."""

    bracket: Bracket
    names: Mapping[str, str]
    labels: RenderLabels
    fonts: Fonts
    glyphs: Glyphs
    _player: dict[str, str] = field(default_factory=dict)
    _fitted: dict[tuple[str, int, int, bool], str] = field(default_factory=dict)
    _feeds: dict[tuple[str, int], tuple[str, str]] | None = None

    def label(self, text: str) -> str:
        """A caller-supplied label as the font can draw it ("" if it cannot)."""
        return self.glyphs.drawable(text) or ""

    def player(self, player: str) -> str:
        """A player's display name; "#<seed>" if the font can draw none of it."""
        shown = self._player.get(player)
        if shown is None:
            shown = self.glyphs.drawable(self.names.get(player) or player)
            if shown is None:
                seeds = self.bracket.players
                shown = f"#{seeds.index(player) + 1}" if player in seeds else "?"
            self._player[player] = shown
        return shown

    def fit(
        self, text: str, font: ImageFont.FreeTypeFont, width: float, bold: bool = False
    ) -> str:
        """`text` cut with an ellipsis to at most `width` px."""
        key = (text, int(font.size), int(width), bold)
        fitted = self._fitted.get(key)
        if fitted is None:
            fitted = _fit(text, font, width, bold, "…" if self.glyphs.covers("…") else "...")
            self._fitted[key] = fitted
        return fitted

    def feed(self, match_id: str, position: int) -> tuple[str, str] | None:
        """(source match id, "winner" or "loser") of what fills a slot, if linked."""
        if self._feeds is None:
            self._feeds = {}
            for m in self.bracket.matches.values():
                for kind, slot in (("winner", m.winner_to), ("loser", m.loser_to)):
                    if slot is not None:
                        self._feeds[(slot.match_id, slot.position)] = (m.id, kind)
        return self._feeds.get((match_id, position))


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float, bold: bool, ellipsis: str) -> str:
    if text_width(text, font, bold) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if text_width(text[:mid].rstrip() + ellipsis, font, bold) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + ellipsis


@dataclass(frozen=True, slots=True)
class BoxGeometry:
    """Sizes of a match box: [id strip | names | scores], two rows."""

    id_w: int
    name_w: int
    row_h: int = 24
    score_w: int = 30
    pad: int = 8

    @property
    def width(self) -> int:
        """Total box width in px."""
        return self.id_w + self.pad + self.name_w + self.pad + self.score_w

    @property
    def height(self) -> int:
        """Total box height in px."""
        return 2 * self.row_h


def box_geometry(ctx: Context, matches: Iterable[Match], name_w: int = 150) -> BoxGeometry:
    """A box geometry whose id strip fits the longest match id."""
    widest = max((text_width(ctx.label(m.id), ctx.fonts.small) for m in matches), default=0)
    return BoxGeometry(id_w=max(34, int(widest) + 10), name_w=name_w)


def draw_match(p: Painter, ctx: Context, geo: BoxGeometry, m: Match, x: int, y: int) -> None:
    """One match box with its top-left corner at (x, y)."""
    fonts = ctx.fonts
    bye = m.status is MatchStatus.BYE
    body = BYE_BOX if bye else BOX
    right, bottom = x + geo.width - 1, y + geo.height - 1
    p.rect((x, y, right, bottom), fill=body)
    p.rect((x, y, x + geo.id_w - 1, bottom), fill=STRIP)
    p.text((x + 5, y + geo.row_h), ctx.label(m.id), fonts.small, fg=TEXT, bg=STRIP)
    decided = m.status is MatchStatus.DONE
    name_x = x + geo.id_w + geo.pad
    score_x = right - geo.score_w + 1
    for pos, (player, score) in enumerate(((m.a, m.score_a), (m.b, m.score_b))):
        top = y + pos * geo.row_h
        mid = top + geo.row_h / 2
        won = decided and player is not None and player == m.winner
        row_bg = body
        if won:
            row_bg = WIN_ROW
            p.rect((x + geo.id_w, top, right, top + geo.row_h - 1), fill=WIN_ROW)
            p.rect((x + geo.id_w, top, x + geo.id_w + 3, top + geo.row_h - 1), fill=ACCENT)
        if player is not None:
            name = ctx.fit(ctx.player(player), fonts.name, geo.name_w, bold=won)
            p.text((name_x, mid), name, fonts.name, fg=TEXT, bg=row_bg, bold=won)
        elif bye:
            p.text((name_x, mid), ctx.label(ctx.labels.bye), fonts.name, fg=MUTED, bg=row_bg)
        else:
            _draw_unknown(p, ctx, geo, m, pos, name_x, mid, row_bg)
        if bye:
            continue
        cell = ACCENT if won else STRIP
        p.rect((score_x, top, right, top + geo.row_h - 1), fill=cell)
        shown = "" if score is None else str(score)
        if score is None and decided and m.winner is None:
            shown = "="  # a draw reported without scores
        p.text(
            (score_x + geo.score_w / 2, mid),
            shown,
            fonts.score,
            fg=BOX if won else TEXT,
            bg=cell,
            anchor="mm",
            bold=won,
        )
    p.line(((x + geo.id_w, y + geo.row_h), (right, y + geo.row_h)), DIVIDER)
    if m.status is MatchStatus.READY:  # playable now: a heavier frame
        p.rect((x, y, right, bottom), outline=READY_BORDER, width=2)
    else:
        p.rect((x, y, right, bottom), outline=BORDER)


def _draw_unknown(
    p: Painter,
    ctx: Context,
    geo: BoxGeometry,
    m: Match,
    pos: int,
    x: float,
    mid: float,
    bg: RGB,
) -> None:
    # A drawn dash: the built-in font has no "—" glyph.
    p.line(((x, mid), (x + 14, mid)), MUTED, width=2)
    feed = ctx.feed(m.id, pos)
    if feed is not None and feed[1] == "loser":
        # Drop-downs from the winners bracket have no connector line; say where from.
        hint = ctx.label(ctx.labels.loser_of.format(match=feed[0]))
        hint = ctx.fit(hint, ctx.fonts.small, geo.name_w - 22)
        p.text((x + 22, mid), hint, ctx.fonts.small, fg=MUTED, bg=bg)


def format_points(points: float) -> str:
    """3.0 -> "3", 2.5 -> "2.5"."""
    return f"{points:g}"


STANDINGS_ROW_H = 26


def standings_size(ctx: Context, standings: list[Standing]) -> tuple[int, int]:
    """(width, height) of the standings table including its heading."""
    widths = _standings_columns(ctx, standings)
    return sum(widths), 34 + STANDINGS_ROW_H * (len(standings) + 1)


def _standings_columns(ctx: Context, standings: list[Standing]) -> list[int]:
    columns = [36, 180, 36, 36, 36, 48]
    if any(s.tiebreak for s in standings):
        columns.append(56)
    return columns


def draw_standings(p: Painter, ctx: Context, standings: list[Standing], x: int, y: int) -> None:
    """The standings table with its heading, top-left at (x, y)."""
    labels, fonts = ctx.labels, ctx.fonts
    widths = _standings_columns(ctx, standings)
    total = sum(widths)
    draw_heading(p, ctx, ctx.label(labels.standings), x, y, ACCENT)
    y += 34
    headers = [labels.rank, labels.player, labels.wins, labels.draws, labels.losses]
    headers += [labels.points, labels.tiebreak][: len(widths) - 5]
    rows: list[tuple[list[str], bool]] = [([ctx.label(h) for h in headers], True)]
    for s in standings:
        cells = [str(s.rank), ctx.player(s.player), str(s.wins), str(s.draws), str(s.losses)]
        cells.append(format_points(s.points))
        if len(widths) > 6:
            cells.append(format_points(s.tiebreak))
        rows.append((cells, False))
    for n, (cells, header) in enumerate(rows):
        top = y + n * STANDINGS_ROW_H
        bg = STRIP if header else (ZEBRA if n % 2 == 0 else BOX)
        p.rect((x, top, x + total - 1, top + STANDINGS_ROW_H - 1), fill=bg)
        cx = x
        for col, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            mid = top + STANDINGS_ROW_H / 2
            if col == 1:
                text = ctx.fit(cell, fonts.name, w - 12, bold=header)
                p.text((cx + 6, mid), text, fonts.name, fg=TEXT, bg=bg, bold=header)
            else:
                text = ctx.fit(cell, fonts.name, w - 6, bold=header)
                p.text(
                    (cx + w / 2, mid), text, fonts.name, fg=TEXT, bg=bg, anchor="mm", bold=header
                )
            cx += w
    bottom = y + len(rows) * STANDINGS_ROW_H - 1
    p.rect((x, y, x + total - 1, bottom), outline=BORDER)


def draw_heading(p: Painter, ctx: Context, text: str, x: int, y: int, colour: RGB) -> None:
    """A section heading: a coloured bar then bold text, 26 px tall from y."""
    p.rect((x, y + 2, x + 5, y + 24), fill=colour)
    p.text((x + 14, y + 13), text, ctx.fonts.heading, fg=TEXT, bg=PAGE, bold=True)


def title_width(ctx: Context, title: str) -> int:
    """Width the title will take, at most what fits in `MAX_SIDE`."""
    return min(int(text_width(ctx.label(title), ctx.fonts.title, True)), MAX_SIDE - 48)


def draw_title(p: Painter, ctx: Context, text: str, x: int, y: int) -> None:
    """The image title, 30 px tall from y, cut to the image width."""
    shown = ctx.fit(text, ctx.fonts.title, p.width - 2 * x, bold=True)
    p.text((x, y + 15), shown, ctx.fonts.title, fg=TEXT, bg=PAGE, bold=True)


TITLE_H = 44  # title line plus spacing below it
