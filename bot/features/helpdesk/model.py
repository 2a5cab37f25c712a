"""Help-desk values: requests, transcript lines, check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """Where a help request stands."""

    QUEUED = "queued"  # saved, waiting for a youth worker
    OPEN = "open"  # a private room with a youth worker is open
    CLOSED = "closed"


OUTCOMES: tuple[str, ...] = ("resolved", "referred", "no_response", "withdrawn")
"""How a youth worker closes a request (`helpdesk close`)."""


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """One request for help ("ask a youth worker")."""

    request_id: int
    platform: str
    person_id: str
    user_id: str
    display_name: str
    origin_room_id: str
    topic: str
    first_message: str
    source: str
    status: Status
    worker_person_id: str | None
    worker_user_id: str | None
    room_id: str | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    escalated_at: datetime | None
    concern_ref: str | None


@dataclass(frozen=True, slots=True)
class Line:
    """One message of a help room's transcript."""

    message_id: str
    author_person_id: str
    by_member: bool
    body: str
    link: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Checkin:
    """A check-in a youth worker offered to a member, and the answer."""

    checkin_id: int
    platform: str
    origin_room_id: str
    worker_person_id: str
    worker_user_id: str
    member_person_id: str
    member_user_id: str
    sent_at: datetime
    answer: str | None
    answered_at: datetime | None
    request_id: int | None


@dataclass(frozen=True, slots=True)
class Available:
    """A youth worker shown to members as available."""

    person_id: str
    platform: str
    user_id: str
    first_name: str
    since: datetime
