"""Typed argument conversion shared by both platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.commands import Param, ParamType
from bot.core.context import PersonRef
from bot.core.conversion import convert, decode_arg, encode_arg, parse_datetime, parse_duration
from bot.core.errors import UserError

NOW = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    for bad in ("", "soon", "0m", "5 parsecs", "-3h", "400d"):
        with pytest.raises(UserError) as err:
            parse_duration(bad)
        assert err.value.key == "error.bad_duration"


def test_datetimes_in_local_zone() -> None:
    value = parse_datetime("2026-11-30 18:00", BRUSSELS, NOW)
    assert value == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    # 17:00 UTC is 18:00 in Brussels, so a bare 18:00 means tomorrow.
    assert parse_datetime("18:00", BRUSSELS, NOW) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert parse_datetime("19:30", BRUSSELS, NOW) == datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    with pytest.raises(UserError):
        parse_datetime("next tuesday", BRUSSELS, NOW)


def test_integer_bounds() -> None:
    size = Param("size", ParamType.INTEGER, min_value=2, max_value=64)
    assert convert(size, "8", now=NOW) == 8
    for raw, key in (
        ("1", "error.too_small"),
        ("65", "error.too_large"),
        ("x", "error.bad_integer"),
    ):
        with pytest.raises(UserError) as err:
            convert(size, raw, now=NOW)
        assert err.value.key == key


def test_choice_is_case_insensitive_and_strict() -> None:
    fmt = Param("format", ParamType.CHOICE, choices=("swiss", "round_robin"))
    assert convert(fmt, "SWISS", now=NOW) == "swiss"
    with pytest.raises(UserError) as err:
        convert(fmt, "knockout", now=NOW)
    assert err.value.args_["choices"] == "swiss, round_robin"


def test_member_needs_a_resolved_reference() -> None:
    member = Param("member", ParamType.MEMBER)
    ref = PersonRef("matrix", "@a:b", "A")
    assert convert(member, ref, now=NOW) is ref
    with pytest.raises(UserError) as err:
        convert(member, "bob", now=NOW)
    assert err.value.key == "error.bad_member"


def test_text_length_limit() -> None:
    with pytest.raises(UserError) as err:
        convert(Param("name", max_length=5), "abcdefg", now=NOW)
    assert err.value.key == "error.too_long"


@given(
    st.one_of(
        st.integers(),
        st.text(max_size=20),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
        st.datetimes(timezones=st.just(UTC)),
        st.builds(PersonRef, st.just("discord"), st.text(max_size=5), st.text(max_size=5)),
    )
)
def test_encode_decode_round_trip(value: object) -> None:
    assert decode_arg(encode_arg(value)) == value
