"""Events the platforms publish to features that observe rather than answer commands.

Adapters publish every ordinary (non-command) message people write in the space and
every member who joins a room; features subscribe in `setup` (the detector screens
messages, the privacy notice greets newcomers, rooms check house rules). Observers never
block each other: one failing observer is logged (without the message text) and the
rest still run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.logsafe import describe_exception

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message a person wrote (not a command). `message.body` holds the text."""

    message: MessageRef
    room: RoomRef
    author: PersonRef
    at: datetime
    configured_purpose: str | None = None  # from settings; dynamic rooms: `purpose_of`

    @property
    def text(self) -> str:
        """The message text ("" for media)."""
        return self.message.body or ""


@dataclass(frozen=True, slots=True)
class MemberJoined:
    """A person joined a room (Matrix) or the guild (Discord: `room` is None)."""

    person: PersonRef
    room: RoomRef | None
    at: datetime


MessageObserver = Callable[[IncomingMessage], Awaitable[None]]
JoinObserver = Callable[[MemberJoined], Awaitable[None]]
PurposeResolver = Callable[[RoomRef], Awaitable[str | None]]


class EventHub:
    """Fan-out of platform events to feature observers."""

    def __init__(self) -> None:
        self.message_observers: list[MessageObserver] = []
        self.join_observers: list[JoinObserver] = []
        self.purpose_resolvers: list[PurposeResolver] = []

    @property
    def wants_messages(self) -> bool:
        """True when some feature observes messages (adapters skip the work otherwise)."""
        return bool(self.message_observers)

    def on_message(self, observer: MessageObserver) -> None:
        """Subscribe to ordinary messages."""
        self.message_observers.append(observer)

    def on_join(self, observer: JoinObserver) -> None:
        """Subscribe to members joining."""
        self.join_observers.append(observer)

    def resolve_purpose(self, resolver: PurposeResolver) -> None:
        """Add a way to tell a dynamic room's purpose (e.g. a discussion room)."""
        self.purpose_resolvers.append(resolver)

    async def purpose_of(self, room: RoomRef, configured: str | None = None) -> str | None:
        """The room's purpose: the configured one (settings), else a feature's answer."""
        if configured is not None:
            return configured
        for resolver in self.purpose_resolvers:
            found = await resolver(room)
            if found is not None:
                return found
        return None

    async def message(self, event: IncomingMessage) -> None:
        """Hand one message to every observer."""
        for observer in self.message_observers:
            try:
                await observer(event)
            except Exception as exc:
                log.error(
                    "a message observer failed (room %s, message %s)\n%s",
                    event.room.room_id,
                    event.message.message_id,
                    describe_exception(exc),  # never the message: it may quote the text
                )

    async def joined(self, event: MemberJoined) -> None:
        """Hand one join to every observer."""
        for observer in self.join_observers:
            try:
                await observer(event)
            except Exception as exc:
                log.error("a join observer failed\n%s", describe_exception(exc))
