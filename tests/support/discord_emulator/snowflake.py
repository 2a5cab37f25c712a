"""Snowflake id generation for the Discord emulator.

Discord ids are 64-bit integers whose top 42 bits are milliseconds since the Discord
epoch (2015-01-01).  The emulator hands them out as strings, strictly increasing, so
ordering by id equals ordering by creation like on the real service.
"""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Produces strictly increasing snowflake ids (as decimal strings)."""

    def __init__(self, worker_id: int = 1, process_id: int = 1) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._last = 0

    def next(self) -> str:
        """Return a new snowflake, greater than every one returned before."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | (self._worker << 17) | (self._process << 12)
        value = max(candidate, self._last + 1)
        self._last = value
        return str(value)


def snowflake_time(snowflake: str | int) -> dt.datetime:
    """Return the creation time encoded in ``snowflake`` (UTC, aware)."""
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso_now() -> str:
    """Return the current UTC time in the ISO-8601 form Discord uses."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
