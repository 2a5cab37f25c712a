"""Session recurrence: wall-clock times across DST, crontab day numbers, bad input."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.features.sessions.model import first_occurrence, next_occurrence, parse_every, parse_zone

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS).astimezone(UTC)


def test_weekly_keeps_local_time_across_both_dst_changes() -> None:
    first = local(2027, 3, 19, 19, 0)
    after, times = first, [first]
    for _ in range(33):
        after = next_occurrence("weekly", first, BRUSSELS, after)
        times.append(after)
    assert all(t.astimezone(BRUSSELS).strftime("%a %H:%M") == "Fri 19:00" for t in times)
    assert {t.hour for t in times} == {17, 18}  # UTC moves, local time does not
    gaps = {b - a for a, b in itertools.pairwise(times)}
    assert gaps == {timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=6, hours=23)}


def test_crontab_days_count_from_sunday() -> None:
    monday = local(2027, 3, 22, 12, 0)
    assert first_occurrence("0 19 * * 0", monday, BRUSSELS) == local(2027, 3, 28, 19, 0)
    assert first_occurrence("0 19 * * 7", monday, BRUSSELS) == local(2027, 3, 28, 19, 0)
    assert first_occurrence("0 19 * * 5", monday, BRUSSELS) == local(2027, 3, 26, 19, 0)
    assert first_occurrence("0 19 * * 1-5", monday, BRUSSELS) == local(2027, 3, 22, 19, 0)
    assert first_occurrence("*/30 9 * * 3", monday, BRUSSELS) == local(2027, 3, 24, 9, 0)


def test_one_off_has_no_next() -> None:
    when = local(2027, 3, 22, 19, 0)
    assert next_occurrence(None, when, BRUSSELS, when - timedelta(minutes=1)) == when
    assert next_occurrence(None, when, BRUSSELS, when) is None


@pytest.mark.parametrize(
    "raw", ["fortnightly", "61 * * * *", "* * *", "0 0 31 2 *", "0 0 * * 8", "0 25 * * *"]
)
def test_bad_repetitions_are_refused(raw: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_every(raw, local(2027, 3, 22, 19, 0), BRUSSELS)
    assert refused.value.key == "sessions.error.bad_every"


def test_zones() -> None:
    assert parse_zone(None, BRUSSELS) is BRUSSELS
    assert parse_zone("Europe/London", BRUSSELS) == ZoneInfo("Europe/London")
    assert parse_zone("  ", BRUSSELS) is BRUSSELS
    for bad in ("Mars/Olympus", "../etc"):
        with pytest.raises(UserError):
            parse_zone(bad, BRUSSELS)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)))
def test_next_is_always_later_and_on_the_same_weekday_and_time(after: datetime) -> None:
    first = local(2026, 1, 2, 19, 30)
    found = next_occurrence("weekly", first, BRUSSELS, after.replace(tzinfo=UTC))
    assert found is not None and found > after.replace(tzinfo=UTC)
    assert found.astimezone(BRUSSELS).strftime("%a %H:%M") == "Fri 19:30"
    assert found - after.replace(tzinfo=UTC) <= timedelta(days=7, hours=1)
