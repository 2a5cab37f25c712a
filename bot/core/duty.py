"""Who is on duty: the interface the help desk and the safety escalation ask.

The rota feature implements `DutyRoster` (manual `oncall start|stop` plus scheduled
shifts) and registers it as `app.services["rota"]`. Person ids are Haven's pseudonymous
ids; `app.people.identities(person_id)` gives the platform accounts to ping.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Duty(StrEnum):
    """The kinds of duty a shift covers."""

    MODERATOR = "moderator"
    YOUTH_WORKER = "youth_worker"


@dataclass(frozen=True, slots=True)
class OnDuty:
    """Who covers a duty at one moment: pinged first (`primary`), then `backup`."""

    primary: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()

    @property
    def anyone(self) -> bool:
        """True when at least one person is on duty."""
        return bool(self.primary or self.backup)


ShiftStarted = Callable[[Duty, str], Awaitable[None]]
"""Called with (duty, person_id) when someone comes on duty (manually or by a shift)."""


class DutyRoster(Protocol):
    """The duty rota as other features see it."""

    async def on_duty(self, duty: Duty, at: datetime) -> OnDuty:
        """Who is on `duty` at `at` (manual on-call first, then scheduled shifts)."""
        ...

    async def next_available(self, duty: Duty, after: datetime) -> datetime | None:
        """When someone is next on `duty` after `after` (None: nobody is scheduled)."""
        ...

    def subscribe(self, callback: ShiftStarted) -> None:
        """Be told whenever someone comes on duty."""
        ...
