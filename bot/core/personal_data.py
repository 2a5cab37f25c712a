"""What each feature holds about a person, for `mydata export` / `mydata erase` and holds.

Every feature that stores personal data registers one `PersonalDataSource` on the app
(`app.personal_data`). Export and erase walk all of them, so a new feature is covered by
registering its source, never by editing the privacy feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class KeptData:
    """Something erasure had to keep: what, why, and until when (message keys + args)."""

    data_class: str
    what_key: str
    why_key: str
    until: datetime | None = None
    args: dict[str, Any] = field(default_factory=dict)


class PersonalDataSource(Protocol):
    """One feature's view of a person's data."""

    name: str

    async def export(self, person_id: str) -> dict[str, Any]:
        """Everything this feature holds about the person, JSON-ready.

        Only the person's own data: never other people's, never who reported them.
        """
        ...

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Erase or anonymise what may go; return what is kept (legal hold) and why."""
        ...


LegalHold = Callable[[], Awaitable[set[str]]]
"""Returns the person ids whose data must be kept now (e.g. tied to an open case)."""
