"""Who asks, where, in which language: the context a command handler receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.capabilities import Capability, Role

if TYPE_CHECKING:
    from bot.core.commands import Command
    from bot.core.i18n import Translator
    from bot.core.ports import ChatPlatform


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A platform account: `platform` is "matrix" or "discord"."""

    platform: str
    user_id: str
    display_name: str = ""

    @property
    def label(self) -> str:
        """A short human label (display name, else the platform id)."""
        return self.display_name or self.user_id


@dataclass(frozen=True, slots=True)
class RoomRef:
    """A room (Matrix) or channel/thread (Discord)."""

    platform: str
    room_id: str
    name: str = ""
    private: bool = False


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message on a platform, e.g. the target of a context-menu command."""

    platform: str
    room_id: str
    message_id: str
    author: PersonRef | None = None
    body: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """The person invoking a command: platform identity, pseudonymous id, roles."""

    identity: PersonRef
    person_id: str
    roles: frozenset[Role]
    capabilities: frozenset[Capability]

    def can(self, capability: Capability) -> bool:
        """True when the actor's roles grant `capability`."""
        return capability in self.capabilities


@dataclass(slots=True)
class Context:
    """Everything a handler may use about the current invocation.

    Handlers render texts with `t`, mention people with `mention`, and reach other rooms
    through `platform` (a port implemented by the adapter).
    """

    actor: Actor
    room: RoomRef
    locale: str
    translator: Translator
    platform: ChatPlatform
    command: Command
    now: datetime
    message: MessageRef | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def t(self, key: str, /, **args: Any) -> str:
        """Translate `key` into the invoker's language."""
        return self.translator.gettext(key, **args)

    def mention(self, person: PersonRef) -> str:
        """Platform text that mentions `person` (a pill on Matrix, `<@id>` on Discord)."""
        return self.platform.mention(person)
