"""Case files as values: the case, its notes, decisions and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.features.cases.states import CaseState, is_open


class ActionKind(StrEnum):
    """A consequential decision on a case; only `case action` after confirmation takes one."""

    REMOVE_MESSAGE = "remove_message"
    TIMEOUT = "timeout"
    REMOVE_FROM_SPACE = "remove_from_space"
    REFERRAL = "referral"


class ActionResult(StrEnum):
    """What became of a decision."""

    PENDING = "pending"  # decided and recorded, not carried out yet (or interrupted)
    DONE = "done"
    DRY_RUN = "dry_run"  # the platform only rehearses moderation (`dry_run: true`)
    RECORDED = "recorded"  # a referral: recorded on the case, no platform call
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CaseFile:
    """One case: who it is about (pseudonymous), where it stands, who handles it."""

    case_id: int
    state: CaseState
    subject_person_id: str | None
    assignee_person_id: str | None
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    outcome: str | None

    @property
    def is_open(self) -> bool:
        """True until the case is closed."""
        return is_open(self.state)

    @property
    def ref(self) -> str:
        """The audit object name of this case."""
        return case_ref(self.case_id)


@dataclass(frozen=True, slots=True)
class CaseNote:
    """A note a member of staff wrote on a case."""

    note_id: int
    author_person_id: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class CaseAction:
    """A decision taken on a case: what, why, by whom, when, and what came of it."""

    action_id: int
    kind: ActionKind
    reason: str
    detail: str
    decided_by: str
    at: datetime
    result: ActionResult


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One step of a case's history: `state`, `assign`, `link`, `open`, `reopen`."""

    at: datetime
    by_person_id: str
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """A case as listed: the case and how many concerns it links."""

    case: CaseFile
    concerns: int


def case_ref(case_id: int) -> str:
    """`case:<id>`: how the audit names a case."""
    return f"case:{case_id}"
