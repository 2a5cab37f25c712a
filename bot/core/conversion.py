"""Turning raw command arguments into typed values, the same way on every platform.

Adapters pass strings (Matrix) or already-typed values (Discord options); both go
through `convert`, which raises `UserError` with a precise key on bad input.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.commands import Param, ParamType
from bot.core.context import PersonRef, RoomRef
from bot.core.errors import UserError

_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|min|s)", re.IGNORECASE)
_DURATION_FULL = re.compile(r"^\s*(?:\d+\s*(?:w|d|h|m|min|s)\s*)+$", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1}
_TRUE = {"yes", "y", "true", "on", "1", "ja", "oui"}
_FALSE = {"no", "n", "false", "off", "0", "nee", "non"}
MAX_DURATION = timedelta(days=366)


def parse_duration(raw: str) -> timedelta:
    """Parse `90s`, `15m`, `2h`, `1h30m`, `3d`, `1w` into a positive timedelta."""
    if not _DURATION_FULL.match(raw):
        raise UserError("error.bad_duration", value=raw)
    seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION_PART.findall(raw))
    if seconds <= 0 or seconds > MAX_DURATION.total_seconds():
        raise UserError("error.bad_duration", value=raw)
    return timedelta(seconds=seconds)


def parse_datetime(raw: str, zone: tzinfo, now: datetime) -> datetime:
    """Parse `2026-11-30 18:00`, `2026-11-30T18:00`, `30/11 18:00` or `18:00` in `zone`.

    A bare time means its next occurrence. The result is an aware UTC datetime.
    """
    text = raw.strip().replace("T", " ")
    local_now = now.astimezone(zone)
    formats = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m %H:%M", "%H:%M")
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = local_now.replace(
                hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0, tzinfo=None
            )
            if parsed.replace(tzinfo=zone) <= local_now:
                parsed += timedelta(days=1)
        elif fmt == "%d/%m %H:%M":
            parsed = parsed.replace(year=local_now.year)
        return parsed.replace(tzinfo=zone).astimezone(UTC)
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise UserError("error.bad_datetime", value=raw) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def convert(param: Param, value: Any, *, zone: tzinfo | None = None, now: datetime) -> Any:
    """Validate and convert one argument for `param`; raises `UserError` on bad input."""
    zone = zone or ZoneInfo("UTC")
    kind = param.type
    if kind in (ParamType.MEMBER, ParamType.ROOM):
        expected = PersonRef if kind is ParamType.MEMBER else RoomRef
        if isinstance(value, expected):
            return value
        raise UserError(f"error.bad_{kind.value}", value=str(value))
    if kind is ParamType.INTEGER:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise UserError("error.bad_integer", name=param.name, value=str(value)) from None
        if param.min_value is not None and number < param.min_value:
            raise UserError("error.too_small", name=param.name, min=param.min_value)
        if param.max_value is not None and number > param.max_value:
            raise UserError("error.too_large", name=param.name, max=param.max_value)
        return number
    if kind is ParamType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise UserError("error.bad_boolean", name=param.name, value=str(value))
    if kind is ParamType.DURATION:
        if isinstance(value, timedelta):
            return value
        return parse_duration(str(value))
    if kind is ParamType.DATETIME:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return parse_datetime(str(value), zone, now)
    text = str(value).strip()
    if kind is ParamType.CHOICE:
        lowered = text.lower()
        for choice in param.choices:
            if choice.lower() == lowered:
                return choice
        raise UserError(
            "error.bad_choice", name=param.name, value=text, choices=", ".join(param.choices)
        )
    if not text and param.required:
        raise UserError("error.missing_argument", name=param.name)
    if param.max_length is not None and len(text) > param.max_length:
        raise UserError("error.too_long", name=param.name, max=param.max_length)
    return text


def encode_arg(value: Any) -> Any:
    """A JSON-safe form of a converted argument (for pending confirmations)."""
    if isinstance(value, PersonRef):
        return {"$person": [value.platform, value.user_id, value.display_name]}
    if isinstance(value, RoomRef):
        return {"$room": [value.platform, value.room_id, value.name, value.private]}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    return value


def decode_arg(value: Any) -> Any:
    """Inverse of `encode_arg`."""
    if isinstance(value, dict):
        if "$person" in value:
            return PersonRef(*value["$person"])
        if "$room" in value:
            return RoomRef(*value["$room"])
        if "$seconds" in value:
            return timedelta(seconds=value["$seconds"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
    return value
