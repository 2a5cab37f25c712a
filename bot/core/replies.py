"""What handlers give back: a reply that each adapter renders natively."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.context import PersonRef


class ReplyKind(StrEnum):
    """How a reply should look; adapters may style errors and prompts differently."""

    INFO = "info"
    ERROR = "error"
    CONFIRM = "confirm"


class ButtonStyle(StrEnum):
    """Semantic button styles (Discord buttons; Matrix reactions)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    DANGER = "danger"
    SUCCESS = "success"


@dataclass(frozen=True, slots=True)
class Button:
    """A control: a button on Discord, a reaction or `!command` hint on Matrix.

    `action` is routed back to the core (e.g. `confirm:CODE`); `emoji` is what Matrix
    users react with. A button that is not `personal` (e.g. "Join") is for everyone.
    """

    label: str
    action: str
    style: ButtonStyle = ButtonStyle.SECONDARY
    emoji: str = ""
    personal: bool = True  # only the addressee may press it (e.g. a confirmation)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply, e.g. a bracket image; `description` is its alt text."""

    filename: str
    data: bytes = field(repr=False)
    mime: str = "image/png"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A message for the invoker or a room; `text` is already translated.

    `private` replies are ephemeral on Discord and go to a direct room on Matrix when
    the command was given in a shared room. With `spoilers`, text between `||` marks is
    hidden until opened (Discord's own markdown; a Matrix `data-mx-spoiler` span).
    """

    text: str
    kind: ReplyKind = ReplyKind.INFO
    private: bool = False
    buttons: tuple[Button, ...] = ()
    mentions: tuple[PersonRef, ...] = field(default_factory=tuple)
    attachments: tuple[Attachment, ...] = ()
    spoilers: bool = False
