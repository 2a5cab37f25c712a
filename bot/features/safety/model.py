"""Concerns as other features see them, and the review states a concern goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Source(StrEnum):
    """Where a concern came from."""

    DETECTOR = "detector"
    REPORT = "report"
    HELPDESK = "helpdesk"


class Status(StrEnum):
    """Review state: open until a person acknowledges, then dismissed or moved to a case."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"
    CASE = "case"

    @property
    def awaiting(self) -> bool:
        """True while nobody has acknowledged the concern (escalation keeps running)."""
        return self is Status.OPEN


class DismissReason(StrEnum):
    """Why a concern was dismissed; false positives feed the detector's evaluation."""

    FALSE_POSITIVE = "false_positive"
    NOT_A_CONCERN = "not_a_concern"
    DUPLICATE = "duplicate"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class ConcernView:
    """A concern without who reported it (what other features and cards may show)."""

    concern_id: int
    source: str
    categories: tuple[str, ...]
    severity: str
    status: str
    platform: str | None
    room_id: str | None
    message_id: str | None
    link: str | None
    excerpt: str
    subject_person_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Concern:
    """A concern with its review bookkeeping (never the reporter: see `concern_report`)."""

    view: ConcernView
    escalation_step: int
    handled_by: str | None
    handled_at: datetime | None
    dismiss_reason: str | None
    card_platform: str | None
    card_room_id: str | None
    card_message_id: str | None
    thread_room_id: str | None
    report_count: int
    matched: tuple[str, ...]

    @property
    def concern_id(self) -> int:
        """The concern's number."""
        return self.view.concern_id

    @property
    def status(self) -> Status:
        """The review state."""
        return Status(self.view.status)


@dataclass(frozen=True, slots=True)
class NewReport:
    """A member's report as it is stored: who (protected), why, and an idempotency key."""

    reporter_person_id: str | None
    reason: str | None
    origin: str  # "command", "menu", "dm", "homeserver"
    origin_key: str | None = None  # e.g. a Synapse report id: the same report never twice
