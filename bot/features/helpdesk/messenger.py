"""Reaching people outside an invocation (queued hand-overs, check-ins), in their language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core.i18n import Catalogues, Translator
from bot.storage.people_repository import PeopleRepository


def when(at: datetime, locale: str, zone: ZoneInfo) -> str:
    """A localised day, date and time in `zone`, e.g. `vrijdag 23 januari, 15:00`."""
    return format_datetime(at, "EEEE d MMMM, HH:mm", tzinfo=zone, locale=locale)


@dataclass
class Messenger:
    """Platforms, people and catalogues: what jobs and callbacks need to talk to people."""

    platform_for: Callable[[str], Any]
    catalogues: Catalogues
    people: PeopleRepository
    default_locale: str
    zone: ZoneInfo

    async def locale_of(self, person_id: str) -> str:
        """The person's chosen language, else the default."""
        person = await self.people.get(person_id)
        return (person.language if person is not None else None) or self.default_locale

    async def translator_for(self, person_id: str) -> Translator:
        """A translator in the person's language."""
        return self.catalogues.translator(await self.locale_of(person_id))

    async def user_on(self, person_id: str, platform: str) -> str | None:
        """The person's account on `platform`, if they have one."""
        for name, user_id in await self.people.identities(person_id):
            if name == platform:
                return user_id
        return None

    def running(self, platform: str) -> Any | None:
        """The running adapter of `platform`, or None."""
        try:
            return self.platform_for(platform)
        except LookupError:
            return None
