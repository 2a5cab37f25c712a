"""What `mydata export` and `mydata erase` do with case files.

Case files are safeguarding records (data class `case_files`, legal basis public task);
only moderators and coordinators read them (the framework's `readers`). A young person's
right of access is honoured by telling them that a case about them exists, its state and
its dates; notes by staff, linked concerns, decisions and above all who reported are
withheld, because showing them could endanger the people who raised the concern (GDPR
art. 23(1)(i), protection of the rights of others). Erasure keeps the case: while it is
open it is under legal hold, once closed it stays until its retention ends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.personal_data import KeptData
from bot.features.cases.repository import CaseRepository

DATA_CLASS = "case_files"


class CasePersonalData:
    """The `PersonalDataSource` of case files."""

    name = "cases"

    def __init__(self, repo: CaseRepository, keep_for: Callable[[], timedelta]) -> None:
        self.repo = repo
        self.keep_for = keep_for

    async def export(self, person_id: str) -> dict[str, Any]:
        """Cases about the person (existence, state, dates) and counts of staff work."""
        about = [
            {
                "case": case.case_id,
                "state": case.state.value,
                "opened_at": case.opened_at.isoformat(),
                "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            }
            for case in await self.repo.cases_about(person_id)
        ]
        staff = await self.repo.staff_counts(person_id)
        result: dict[str, Any] = {}
        if about:
            result["cases_about_you"] = about
        if any(staff.values()):
            result["your_work_on_cases"] = staff
        return result

    async def erase(self, person_id: str, now: datetime) -> list[KeptData]:
        """Nothing is erased: say which cases are kept, why, and until when."""
        kept: list[KeptData] = []
        for case in await self.repo.cases_about(person_id):
            if case.is_open:
                kept.append(
                    KeptData(
                        DATA_CLASS,
                        what_key="case.kept.case",
                        why_key="case.kept.open",
                        args={"case": case.case_id},
                    )
                )
            else:
                assert case.closed_at is not None
                kept.append(
                    KeptData(
                        DATA_CLASS,
                        what_key="case.kept.case",
                        why_key="case.kept.closed",
                        until=case.closed_at + self.keep_for(),
                        args={"case": case.case_id},
                    )
                )
        if any((await self.repo.staff_counts(person_id)).values()):
            kept.append(
                KeptData(DATA_CLASS, what_key="case.kept.staff", why_key="case.kept.staff_why")
            )
        return kept
