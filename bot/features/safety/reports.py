"""Member reports: from a message menu, a reply, a link in a private message, or Synapse.

A report is stored (with who made it, which stays protected) before the reporter is
thanked; the reported member and the room learn nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from bot.core.context import Context, MessageRef
from bot.core.detection import Severity
from bot.core.errors import UserError
from bot.core.replies import Reply
from bot.features.safety.model import NewReport, Source

if TYPE_CHECKING:
    from bot.features.safety.service import SafetyService

_MATRIX_LINK = re.compile(
    r"^https://matrix\.to/#/((?:!|%21|#|%23)[^/?\s]+)/((?:\$|%24)[^?\s]+)", re.IGNORECASE
)
_DISCORD_LINK = re.compile(
    r"^https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)/(\d+)$"
)
REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class LinkedMessage:
    """Where a message link points: platform, room and message ids."""

    platform: str
    room_id: str
    message_id: str
    link: str


def parse_message_link(link: str) -> LinkedMessage | None:
    """A matrix.to or discord.com/channels message link, else None."""
    text = link.strip().strip("<>")
    matrix = _MATRIX_LINK.match(text)
    if matrix:
        return LinkedMessage("matrix", unquote(matrix[1]), unquote(matrix[2]), text)
    discord = _DISCORD_LINK.match(text)
    if discord:
        return LinkedMessage("discord", discord[2], discord[3], text)
    return None


class Reports:
    """Turns reports into concerns through the safety service."""

    def __init__(self, service: SafetyService) -> None:
        self.service = service

    async def report(
        self,
        ctx: Context,
        message: MessageRef | None = None,
        link: str | None = None,
        reason: str | None = None,
    ) -> Reply:
        """Report a message to the moderators (the reporter stays hidden)."""
        origin = "menu"
        if message is None and link:
            message = await self._linked(ctx, link)
            origin = "dm" if ctx.room.private else "command"
        elif message is not None and link:
            # `!report it is a threat` as a reply: every word is the reason.
            reason = f"{link} {reason or ''}".strip()
            origin = "reply"
        if message is None:
            raise UserError("safety.report.no_message")
        reason = (reason or "").strip()[:REASON_LIMIT] or None
        subject = None
        if message.author is not None:
            person = await self.service.app.people.ensure_person(
                message.author.platform, message.author.user_id
            )
            subject = person.person_id
        if subject == ctx.actor.person_id and message.author is not None:
            raise UserError("safety.report.own_message")
        await self.service.queue(
            source=Source.REPORT,
            categories=(),
            severity=Severity.NORMAL,
            platform=message.platform,
            room_id=message.room_id,
            message_id=message.message_id,
            link=message.link,
            excerpt=message.body or "",
            subject_person_id=subject,
            report=NewReport(ctx.actor.person_id, reason, origin),
        )
        # Written (and shown to moderators) above; only now is the reporter thanked.
        return Reply(ctx.t("safety.report.thanks"), private=True)

    async def _linked(self, ctx: Context, link: str) -> MessageRef:
        parsed = parse_message_link(link)
        if parsed is None:
            raise UserError("safety.report.bad_link")
        fetched = None
        try:
            adapter = self.service.app.platform(parsed.platform)
        except LookupError:
            adapter = None
        fetch = getattr(adapter, "fetch_message", None)
        if fetch is not None:
            fetched = await fetch(parsed.room_id, parsed.message_id)
        if fetched is not None:
            return fetched
        # Haven cannot read it (another server, a room it is not in): keep the link only.
        return MessageRef(
            parsed.platform, parsed.room_id, parsed.message_id, None, None, parsed.link
        )
