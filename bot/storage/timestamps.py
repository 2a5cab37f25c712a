"""Timestamps are stored as ISO-8601 UTC text so they sort and compare as strings."""

from __future__ import annotations

from datetime import UTC, datetime


def to_text(value: datetime) -> str:
    """An aware datetime as sortable UTC text."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(value: str) -> datetime:
    """Inverse of `to_text`."""
    return datetime.fromisoformat(value)


def utc_now_text() -> str:
    """Now, as stored text."""
    return to_text(datetime.now(UTC))
