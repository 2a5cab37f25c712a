"""Sessions as data, and their recurrence computed with APScheduler's cron triggers.

A recurring session keeps its local wall-clock time: a weekly Friday 19:00 session in
Europe/Brussels is at 19:00 before and after a DST change (the trigger works in the
session's zone). Crontab expressions use the usual crontab day numbers (0 and 7 are
Sunday); APScheduler 3 counts Monday as 0, so numbers are turned into day names first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.core.errors import UserError

WEEKLY = "weekly"
DAILY = "daily"
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NUMBER = re.compile(r"(?<![/\d])(\d+)")
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Status(StrEnum):
    """Where a session is in its life."""

    SCHEDULED = "scheduled"
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Session:
    """One session (a series when `every` is set); `next_at` is its current occurrence."""

    session_id: int
    platform: str
    room_id: str
    title: str
    organiser: str
    zone: str
    every: str | None
    first_at: datetime
    next_at: datetime
    length: timedelta
    remind: timedelta
    reminded_for: datetime | None
    status: Status

    @property
    def tz(self) -> ZoneInfo:
        """The session's time zone."""
        return ZoneInfo(self.zone)

    @property
    def remind_at(self) -> datetime:
        """When the current occurrence's reminder is due."""
        return self.next_at - self.remind

    def following(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after `after` (None: a one-off, or no more)."""
        return next_occurrence(self.every, self.first_at, self.tz, after)


def _crontab_trigger(expr: str, zone: ZoneInfo) -> CronTrigger:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError("a crontab has five fields")
    minute, hour, day, month, dow = fields
    # Crontab numbers days from Sunday (0 or 7); APScheduler 3 from Monday: use names.
    if any(c.isdigit() for c in dow):
        dow = _DAY_NUMBER.sub(lambda m: _day_name(int(m[1])), dow)
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=zone
    )


def _day_name(number: int) -> str:
    if not 0 <= number <= 7:
        raise ValueError(f"no weekday {number}")
    return _DAY_NAMES[number]


def trigger_for(every: str, first_at: datetime, zone: ZoneInfo) -> CronTrigger:
    """The APScheduler trigger of a recurrence; raises ValueError on a bad one."""
    local = first_at.astimezone(zone)
    if every == WEEKLY:
        return CronTrigger(
            day_of_week=_APS_DAYS[local.weekday()],
            hour=local.hour,
            minute=local.minute,
            timezone=zone,
        )
    if every == DAILY:
        return CronTrigger(hour=local.hour, minute=local.minute, timezone=zone)
    return _crontab_trigger(every, zone)


def next_occurrence(
    every: str | None, first_at: datetime, zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first occurrence of a series strictly after `after`, as aware UTC.

    `first_at` is the series' first occurrence; later ones follow the trigger.
    """
    if first_at > after:
        return first_at
    if every is None:
        return None
    trigger = trigger_for(every, first_at, zone)
    found = trigger.get_next_fire_time(None, (after + timedelta(seconds=1)).astimezone(zone))
    return None if found is None else found.astimezone(UTC)


def first_occurrence(every: str | None, when: datetime, zone: ZoneInfo) -> datetime | None:
    """The first occurrence at or after `when` (a crontab may start later than `when`)."""
    if every is None or every in (WEEKLY, DAILY):
        return when
    found = trigger_for(every, when, zone).get_next_fire_time(None, when.astimezone(zone))
    return None if found is None else found.astimezone(UTC)


def parse_every(raw: str | None, first_at: datetime, zone: ZoneInfo) -> str | None:
    """`weekly`, `daily` or a crontab, validated; a clear `UserError` otherwise."""
    if raw is None or not raw.strip():
        return None
    value = " ".join(raw.strip().split())
    if value.lower() in (WEEKLY, DAILY):
        return value.lower()
    try:
        found = first_occurrence(value, first_at, zone)
    except (ValueError, KeyError, TypeError):
        raise UserError("sessions.error.bad_every", value=raw) from None
    if found is None:
        raise UserError("sessions.error.bad_every", value=raw)
    return value


def parse_zone(raw: str | None, default: ZoneInfo) -> ZoneInfo:
    """An IANA zone name (e.g. `Europe/Brussels`), or the configured zone."""
    if raw is None or not raw.strip():
        return default
    try:
        return ZoneInfo(raw.strip())
    except (ValueError, KeyError, OSError):
        raise UserError("sessions.error.bad_zone", value=raw) from None
