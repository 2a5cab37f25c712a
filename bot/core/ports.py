"""Ports: what the core needs from the outside world, as typing Protocols.

Adapters implement the chat ports; storage implements the store ports. The core only
ever sees these shapes, never a platform library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.core.commands import Command
    from bot.core.context import MessageRef, PersonRef, RoomRef
    from bot.core.replies import Reply


class ChatPlatform(Protocol):
    """One chat platform as the core sees it."""

    name: str

    def command_syntax(self, command: Command, translate: Any) -> str:
        """How a person types `command` on this platform, e.g. `!help [command]`."""
        ...

    def mention(self, person: PersonRef) -> str:
        """Inline text that mentions `person`."""
        ...

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        """Post `reply` in `room`."""
        ...

    def room_for(self, purpose: str) -> RoomRef | None:
        """The configured room for a purpose (`tournaments`, `moderators`, ...), if any."""
        ...

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        """Send `reply` to `person` privately (DM)."""
        ...


class Clock(Protocol):
    """The current time; tests pass a movable clock."""

    def now(self) -> datetime:
        """Aware UTC now."""
        ...


@dataclass(frozen=True, slots=True)
class Person:
    """A pseudonymous person behind one or more platform identities."""

    person_id: str
    language: str | None


class PeopleStore(Protocol):
    """Persistence of people and their platform identities."""

    async def ensure_person(self, platform: str, user_id: str) -> Person:
        """The person for this identity, created on first sight."""
        ...

    async def set_language(self, person_id: str, language: str | None) -> None:
        """Remember the person's chosen language (None: follow the default)."""
        ...


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A destructive command waiting for its invoker's confirmation."""

    code: str
    person_id: str
    command: str
    args: dict[str, Any]
    room_platform: str
    room_id: str
    expires_at: datetime


class ConfirmationStore(Protocol):
    """Persistence of pending confirmations, so a restart does not lose them."""

    async def put(self, pending: PendingConfirmation) -> None:
        """Store a pending confirmation."""
        ...

    async def take(self, code: str, person_id: str) -> PendingConfirmation | None:
        """Remove and return the person's pending confirmation with `code`, if any."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Aware UTC now."""
        from datetime import UTC

        return datetime.now(UTC)


class ModerationActions(Protocol):
    """Consequential actions on a platform. Only ever called after a human's decision."""

    async def remove_message(self, message: MessageRef, reason: str) -> None:
        """Delete (Discord) or redact (Matrix) a message."""
        ...

    async def timeout(self, person: PersonRef, until: datetime, reason: str) -> None:
        """Stop `person` from writing until `until`."""
        ...

    async def lift_timeout(self, person: PersonRef, reason: str) -> None:
        """Let `person` write again."""
        ...

    async def remove_from_space(self, person: PersonRef, reason: str) -> None:
        """Kick `person` from the guild or space (they may come back)."""
        ...


class SpaceAdmin(Protocol):
    """Shaping the space: private rooms and roles."""

    async def open_private_room(
        self, name: str, members: list[PersonRef], parent: RoomRef | None = None
    ) -> RoomRef:
        """A private thread (Discord) or invite-only room (Matrix) with `members`."""
        ...

    async def set_role(self, person: PersonRef, role: str, granted: bool) -> None:
        """Grant or take away a Haven role (a Discord role, a Matrix power level)."""
        ...

    async def close_room(self, room: RoomRef, reason: str) -> None:
        """Close a room for good (retention): Discord deletes it, Matrix empties it."""
        ...

    async def open_public_room(
        self, name: str, topic: str, parent: RoomRef | None = None
    ) -> RoomRef:
        """A room every member of the space sees, where nobody may write until allowed.

        Discord: a text channel (beside `parent`, in its category) whose @everyone
        overwrite denies sending. Matrix: a space child room whose power levels put
        sending above the members' level.
        """
        ...

    async def set_can_write(self, room: RoomRef, person: PersonRef, allowed: bool) -> None:
        """Let `person` write in a room opened by `open_public_room` (or stop them)."""
        ...

    async def set_slow_mode(self, room: RoomRef, seconds: int) -> bool:
        """Apply slow mode; True when the platform enforces it, False when Haven must."""
        ...

    async def archive_room(self, room: RoomRef, reason: str) -> None:
        """Nobody can write any more; the history stays readable."""
        ...

    async def add_member(self, room: RoomRef, person: PersonRef) -> None:
        """Bring one more person into a private room Haven opened (e.g. a hand-over)."""
        ...
