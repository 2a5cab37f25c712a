"""The privacy notice: shown privately once per person, on first contact.

First contact is a person's first command (a dispatcher seen-hook) or their joining a
screened room (`framework.screened_rooms`; on Discord, joining the guild counts as
joining the lobby). Which came first does not matter: `person.notice_at` is claimed
atomically, so the notice goes out once. The same hook records `last_seen_at`, at most
once a day per person (kept in memory), so ordinary commands cost no write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.core.commands import CommandRegistry
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.events import EventHub, MemberJoined
from bot.core.i18n import Catalogues, Translator
from bot.core.replies import Reply
from bot.features.privacy.framework import Framework
from bot.storage.people_repository import PeopleRepository

log = logging.getLogger(__name__)

# On Discord there are no per-room joins: joining the guild means arriving in the lobby.
GUILD_PURPOSE = "lobby"
# How long a command waits for its notice before answering anyway.
NOTICE_WAIT_SECONDS = 0.5


class NoticeService:
    """Sends the notice on first contact and keeps `last_seen_at` fresh."""

    def __init__(
        self,
        framework: Framework,
        people: PeopleRepository,
        catalogues: Catalogues,
        registry: CommandRegistry,
        events: EventHub,
        platform_for: Callable[[str], Any],
        default_locale: str,
    ) -> None:
        self.framework = framework
        self.people = people
        self.catalogues = catalogues
        self.registry = registry
        self.events = events
        self.platform_for = platform_for
        self.default_locale = default_locale
        self._day: date | None = None
        self._seen_today: set[str] = set()
        self._sending: set[asyncio.Task[None]] = set()
        self.live = False  # joins count once Haven serves (see `go_live`)
        # One notice at a time: a burst of newcomers (or of joins replayed when Haven
        # first meets a busy space) must not open dozens of direct rooms at once.
        self._one_at_a_time = asyncio.Lock()

    # -- the text --------------------------------------------------------------------------

    def text(self, locale: str, translator: Translator, platform: Any) -> str:
        """The framework's notice in `locale`, with how to see, erase and re-read it."""
        notice = self.framework.notices.get(locale) or self.framework.notices["en"]

        def syntax(name: str) -> str:
            command = self.registry.get(name)
            return name if command is None else platform.command_syntax(command, translator)

        howto = translator.gettext(
            "privacy.notice.howto",
            export=syntax("mydata export"),
            erase=syntax("mydata erase"),
            again=syntax("privacy"),
        )
        return f"🔒 {notice}\n{howto}"

    # -- first contact -----------------------------------------------------------------------

    async def on_command(self, ctx: Context) -> None:
        """Seen-hook: last-seen once a day, and the notice on the first command ever."""
        today = ctx.now.date()
        if today != self._day:
            self._day, self._seen_today = today, set()
        person_id = ctx.actor.person_id
        if person_id in self._seen_today:
            return
        self._seen_today.add(person_id)
        await self.people.touch(person_id, ctx.now)
        if await self.people.claim_notice(person_id, ctx.now):
            text = self.text(ctx.locale, ctx.translator, ctx.platform)
            task = self._send_beside(ctx.platform, ctx.actor.identity, person_id, text)
            # Usually the notice comes first; a slow homeserver does not hold the answer up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), NOTICE_WAIT_SECONDS)

    def forget(self, person_id: str) -> None:
        """Drop the in-memory last-seen mark (the person was erased)."""
        self._seen_today.discard(person_id)

    async def go_live(self) -> None:
        """Start greeting newcomers (an `on_started` hook).

        Joins handed over while the adapters catch up at start are history: on its first
        start Haven's Matrix catch-up sync hands over each room's recent timeline again,
        and greeting everyone who joined in the past would open a direct room for each.
        Those people get the notice with their first command instead.
        """
        self.live = True

    async def on_join(self, event: MemberJoined) -> None:
        """Join observer: the notice for someone arriving in a screened room."""
        if not self.live:
            return
        try:
            platform = self.platform_for(event.person.platform)
        except LookupError:
            return
        if _is_self(platform, event.person) or not await self._screened(platform, event.room):
            return
        person = await self.people.ensure_person(event.person.platform, event.person.user_id)
        if not await self.people.claim_notice(person.person_id, event.at):
            return
        locale = person.language or self.default_locale
        text = self.text(locale, self.catalogues.translator(locale), platform)
        self._send_beside(platform, event.person, person.person_id, text)

    def _send_beside(
        self, platform: Any, person: PersonRef, person_id: str, text: str
    ) -> asyncio.Task[None]:
        # Opening a direct room can take seconds on a busy homeserver: the command's
        # answer, and the next events of the room, do not wait for it.
        task = asyncio.create_task(self._deliver(platform, person, person_id, text))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return task

    async def drain(self) -> None:
        """Wait for notices still being sent (tests, shutdown)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _screened(self, platform: Any, room: RoomRef | None) -> bool:
        screened = self.framework.screened_rooms
        if room is None:
            return GUILD_PURPOSE in screened
        for purpose in screened:
            configured = platform.room_for(purpose)
            if configured is not None and configured.room_id == room.room_id:
                return True
        return await self.events.purpose_of(room) in screened

    async def _deliver(self, platform: Any, person: PersonRef, person_id: str, text: str) -> None:
        try:
            async with self._one_at_a_time:
                await platform.send_private(person, Reply(text, private=True))
        except Exception:
            # Not delivered (e.g. direct messages closed): try again at the next contact.
            log.warning("privacy notice not delivered to person %s", person_id, exc_info=True)
            with contextlib.suppress(Exception):  # e.g. shutting down: it stays marked
                await self.people.release_notice(person_id)


def _is_self(platform: Any, person: PersonRef) -> bool:
    """True for the bot's own account (Matrix reports its own joins too)."""
    client = getattr(platform, "client", None)
    own = getattr(client, "user_id", None)
    return own is not None and str(own) == person.user_id
