"""`mydata export` and `mydata erase`: walk every registered `PersonalDataSource`.

Features register their sources on `app.personal_data`; the foundation's own source
(person, identities, language, confirmations, platform state, own audit actions) is
always walked last, because erasing it removes the person row the others refer to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.personal_data import KeptData, LegalHold, PersonalDataSource
from bot.features.privacy.personal_repository import PersonalRepository
from bot.storage.audit_repository import AuditRepository
from bot.storage.people_repository import PeopleRepository
from bot.storage.timestamps import to_text

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


class Holds:
    """The union of every registered legal hold."""

    def __init__(self, holds: list[LegalHold]) -> None:
        self.holds = holds

    async def held(self) -> set[str]:
        """Person ids whose data must be kept now."""
        found: set[str] = set()
        for hold in self.holds:
            found |= await hold()
        return found


class FoundationData:
    """The foundation's `PersonalDataSource`: who the person is to Haven."""

    name = "foundation"

    def __init__(
        self,
        repo: PersonalRepository,
        people: PeopleRepository,
        holds: Holds,
        keep_for: Callable[[str], timedelta],
    ) -> None:
        self.repo = repo
        self.people = people
        self.holds = holds
        self.keep_for = keep_for

    async def _identities(self, person_id: str) -> list[tuple[str, str]]:
        return await self.people.identities(person_id)

    async def export(self, person_id: str) -> dict[str, Any]:
        """Person, accounts, pending confirmations, direct rooms, timeouts, own actions."""
        identities = await self._identities(person_id)
        return {
            "person": await self.repo.person(person_id),
            "identities": await self.repo.identities(person_id),
            "pending_confirmations": await self.repo.confirmations(person_id),
            "direct_rooms": await self.repo.direct_rooms(identities),
            "timeouts": [
                {"platform": t.platform, "until": to_text(t.until)}
                for t in await self.repo.timeouts(identities)
            ],
            "your_actions": await self.repo.own_actions(person_id),
        }

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Delete the person (unless held: then only the bare link to their accounts stays)."""
        identities = await self._identities(person_id)
        held = person_id in await self.holds.held()
        kept: list[KeptData] = []
        if held:
            kept.append(KeptData("identity", "privacy.kept.identity", "privacy.why.legal_hold"))
        for timeout in await self.repo.timeouts(identities):
            kept.append(
                KeptData(
                    "operational", "privacy.kept.timeout", "privacy.why.timeout", timeout.until
                )
            )
        latest = await self.repo.audit_mentions(person_id)
        if latest is not None:
            until = max(latest, now) + self.keep_for("audit")
            kept.append(KeptData("audit", "privacy.kept.audit", "privacy.why.audit", until))
        await self.repo.erase(person_id, identities, keep=held)
        self.people.forget_cached(person_id)
        return kept


class MyData:
    """Export and erase across all sources."""

    def __init__(
        self,
        sources: list[PersonalDataSource],
        foundation: FoundationData,
        audit: AuditRepository,
    ) -> None:
        self.sources = sources
        self.foundation = foundation
        self.audit = audit

    def ordered(self) -> list[PersonalDataSource]:
        """Feature sources in registration order, then the foundation."""
        return [s for s in self.sources if s is not self.foundation] + [self.foundation]

    async def export(self, person_id: str, now: datetime) -> dict[str, Any]:
        """Everything every source holds about the person (audited)."""
        data = {source.name: await source.export(person_id) for source in self.ordered()}
        await self.audit.record(now, person_id, "privacy.export", "person", sources=list(data))
        return {
            "format": EXPORT_FORMAT,
            "exported_at": to_text(now),
            "person_id": person_id,
            "data": data,
        }

    async def erase(
        self, person_id: str, now: datetime, *, actor: str | None = None
    ) -> list[KeptData]:
        """Erase or anonymise everything not held; returns what every source kept.

        With an `actor` (the person asking) the request is audited first, so the audit
        entry is itself listed as kept. The retention purge passes none: its own audit
        entry only counts people.
        """
        names = [s.name for s in self.ordered()]
        if actor is not None:
            await self.audit.record(now, actor, "privacy.erase", "person", sources=names)
        kept: list[KeptData] = []
        for source in self.ordered():
            kept.extend(await source.erase(person_id, now))
        log.info("erased a person across %d sources (%d items kept)", len(names), len(kept))
        return kept
