"""The rota as data: shifts in local wall-clock time, on-call rows, and the time rules.

A shift is a weekly slot (`weekday`, 0 = Monday) or one dated slot (`on_date`), from
`starts` to `ends` in the configured zone. An end before the start means the shift crosses
midnight and ends the next day. Times are wall-clock times: a 22:00-06:00 shift stays
22:00-06:00 across a DST change (so it lasts 7 or 9 real hours that night).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from babel.dates import get_day_names

from bot.core.duty import Duty
from bot.core.errors import UserError

_TIME = re.compile(r"^\s*(\d{1,2})\s*[:h.]\s*(\d{2})\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_DAY_LOCALES = ("en", "nl", "fr")


@dataclass(frozen=True, slots=True)
class Shift:
    """One scheduled shift (weekly when `weekday` is set, else once on `on_date`)."""

    shift_id: int
    person_id: str
    duty: Duty
    weekday: int | None
    on_date: date | None
    starts: time
    ends: time
    backup: bool

    def occurs_on(self, day: date) -> bool:
        """True when the shift starts on local date `day`."""
        if self.weekday is not None:
            return day.weekday() == self.weekday
        return day == self.on_date

    def window(self, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
        """The shift that starts on local `day`, as aware UTC start and end."""
        end_day = day + timedelta(days=1) if self.ends <= self.starts else day
        start = datetime.combine(day, self.starts, tzinfo=zone)
        end = datetime.combine(end_day, self.ends, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def covering(self, at: datetime, zone: tzinfo) -> tuple[datetime, datetime] | None:
        """The occurrence running at `at` (start <= at < end), if any."""
        local_day = at.astimezone(zone).date()
        for day in (local_day - timedelta(days=1), local_day):
            if self.occurs_on(day):
                start, end = self.window(day, zone)
                if start <= at < end:
                    return start, end
        return None

    def next_start(self, after: datetime, zone: tzinfo) -> datetime | None:
        """The first start strictly after `after` (None: a dated shift already began)."""
        local_day = after.astimezone(zone).date()
        for offset in range(-1, 9):
            day = local_day + timedelta(days=offset)
            if self.occurs_on(day):
                start, _ = self.window(day, zone)
                if start > after:
                    return start
        return None

    def final_end(self, zone: tzinfo) -> datetime | None:
        """When a dated shift is over for good (None for a weekly shift)."""
        if self.on_date is None:
            return None
        return self.window(self.on_date, zone)[1]


@dataclass(frozen=True, slots=True)
class OnCall:
    """A person on call by hand from `started_at` until `ends_at` (UTC)."""

    oncall_id: int
    person_id: str
    duty: Duty
    started_at: datetime
    ends_at: datetime

    def active(self, at: datetime) -> bool:
        """True when the person is on call at `at`."""
        return self.started_at <= at < self.ends_at


def parse_time(raw: str) -> time:
    """`18:00`, `8:30`, `18h00` or `18.00` as a time of day; bad input raises UserError."""
    match = _TIME.match(raw)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise UserError("rota.error.bad_time", value=raw)
    return time(int(match[1]), int(match[2]))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _day_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for locale in _DAY_LOCALES:
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, locale=locale).items():
                words.setdefault(_fold(name), number)
    return words


_DAY_WORDS = _day_words()


def parse_day(raw: str) -> tuple[int | None, date | None]:
    """A weekday name (en, nl or fr, full or short) or an ISO date `2026-12-24`.

    Returns (weekday, None) or (None, date); bad input raises UserError.
    """
    match = _DATE.match(raw)
    if match is not None:
        try:
            return None, date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise UserError("rota.error.bad_day", value=raw) from None
    weekday = _DAY_WORDS.get(_fold(raw))
    if weekday is None:
        raise UserError("rota.error.bad_day", value=raw)
    return weekday, None
