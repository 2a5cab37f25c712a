"""The simulated twin of `ModerationActions`: records what would happen, does nothing.

Used in tests and in dry-run mode, so a decision can be rehearsed without touching
anyone's account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.context import MessageRef, PersonRef


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One action a dry run would have taken."""

    kind: str
    target: str
    reason: str
    until: datetime | None = None


@dataclass
class DryRunModeration:
    """Implements the ModerationActions port by recording planned actions."""

    planned: list[PlannedAction] = field(default_factory=list)

    async def remove_message(self, message: MessageRef, reason: str) -> None:
        """Record a message removal."""
        self.planned.append(PlannedAction("remove_message", message.message_id, reason))

    async def timeout(self, person: PersonRef, until: datetime, reason: str) -> None:
        """Record a timeout."""
        self.planned.append(PlannedAction("timeout", person.user_id, reason, until))

    async def lift_timeout(self, person: PersonRef, reason: str) -> None:
        """Record lifting a timeout."""
        self.planned.append(PlannedAction("lift_timeout", person.user_id, reason))

    async def remove_from_space(self, person: PersonRef, reason: str) -> None:
        """Record a removal from the space."""
        self.planned.append(PlannedAction("remove_from_space", person.user_id, reason))
