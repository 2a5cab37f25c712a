"""Help-desk settings from `config/helpdesk.yaml`: office hours and outreach rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.features.privacy.framework import parse_retention
from bot.settings import ConfigError, ConfigProblem, validate_yaml

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _clock(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError("must look like 15:00") from None


class Window(_Strict):
    """One weekly window: these days, from .. to (local time, same day)."""

    days: list[Day] = Field(min_length=1)
    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("start", "end")
    @classmethod
    def _shape(cls, value: str) -> str:
        _clock(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Window:
        if _clock(self.start) >= _clock(self.end):
            raise ValueError("`from` must be before `to`")
        return self

    @property
    def opens(self) -> time:
        """Opening time."""
        return _clock(self.start)

    @property
    def closes(self) -> time:
        """Closing time."""
        return _clock(self.end)


class OutreachSettings(_Strict):
    """Consent rules for check-ins."""

    decline_respected_for: str = "30d"

    @field_validator("decline_respected_for")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_retention(value)
        return value

    @property
    def decline_period(self) -> timedelta:
        """How long a declined check-in blocks another one."""
        return parse_retention(self.decline_respected_for)


class HelpdeskSettings(_Strict):
    """The whole `helpdesk.yaml` file."""

    zone: str | None = None
    office_hours: list[Window] = Field(default_factory=list)
    assign_on_shift_start: int = Field(default=3, ge=1, le=50)
    outreach: OutreachSettings = Field(default_factory=OutreachSettings)

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class OfficeHours:
    """Weekly opening windows in one zone (pure: no I/O)."""

    def __init__(self, windows: list[Window], zone: ZoneInfo) -> None:
        self.windows = windows
        self.zone = zone

    @property
    def always(self) -> bool:
        """No windows configured: the desk has no fixed hours."""
        return not self.windows

    def is_open(self, at: datetime) -> bool:
        """True when `at` falls inside a window (always true without windows)."""
        if self.always:
            return True
        local = at.astimezone(self.zone)
        day = DAYS[local.weekday()]
        now = local.time()
        return any(day in w.days and w.opens <= now < w.closes for w in self.windows)

    def next_opening(self, after: datetime) -> datetime | None:
        """The next opening strictly after `after` (None without windows)."""
        if self.always:
            return None
        local = after.astimezone(self.zone)
        for offset in range(8):
            date = (local + timedelta(days=offset)).date()
            day = DAYS[date.weekday()]
            starts = sorted(w.opens for w in self.windows if day in w.days)
            for opens in starts:
                candidate = datetime.combine(date, opens, tzinfo=self.zone)
                if candidate > local:
                    return candidate
        return None


def load_helpdesk_settings(path: Path | str) -> HelpdeskSettings:
    """Read and validate `helpdesk.yaml`; a missing file means the defaults."""
    file = Path(path)
    if not file.exists():
        return HelpdeskSettings()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return validate_yaml(text, str(file), HelpdeskSettings)
