"""Purge step for identities and expiring platform state (a hook of the daily purge).

- People not seen for longer than the `identity` retention are erased through every
  `PersonalDataSource` (as `mydata erase` would), unless a legal hold keeps them.
- Button controls in `platform_state` (`buttons:<event>`) older than the `operational`
  retention go. Entries written before `updated_at` existed are stamped at the first
  purge, so they expire one retention period later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.features.privacy.mydata import Holds, MyData
from bot.features.privacy.personal_repository import PersonalRepository
from bot.storage.people_repository import PeopleRepository


class IdentityRetention:
    """The purge hook (`app.purge_hooks`)."""

    def __init__(
        self,
        repo: PersonalRepository,
        people: PeopleRepository,
        mydata: MyData,
        holds: Holds,
        forget: Callable[[str], None],
    ) -> None:
        self.repo = repo
        self.people = people
        self.mydata = mydata
        self.holds = holds
        self.forget = forget

    async def __call__(
        self, now: datetime, keep_for: Callable[[str], timedelta]
    ) -> dict[str, int]:
        """Purge inactive people and old button controls; returns counts."""
        await self.repo.stamp_state(now)
        buttons = await self.repo.purge_buttons(now - keep_for("operational"))
        held = await self.holds.held()
        inactive = await self.people.inactive_since(now - keep_for("identity"))
        erased = 0
        for person_id in inactive:
            if person_id in held:
                continue
            await self.mydata.erase(person_id, now)
            self.forget(person_id)
            erased += 1
        return {"platform_state": buttons, "person": erased, "person_held": len(inactive) - erased}
