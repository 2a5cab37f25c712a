"""The case state machine: which state may follow which, as pure rules without I/O.

| from        | to                               |
| ----------- | -------------------------------- |
| new         | triaged, closed                  |
| triaged     | in_progress, referred, closed    |
| in_progress | referred, closed                 |
| referred    | in_progress, closed              |
| closed      | nothing (a coordinator reopens it: back to triaged) |

A case starts `new`. A moderator triages it before work starts, so every case has been
looked at by a person before anything else happens. `referred` means a partner or
service took it up; it may come back to `in_progress`. `closed` is final for moderators:
only a coordinator may reopen a case, and it then goes back to `triaged` so it is looked
at afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CaseState(StrEnum):
    """Where a case stands."""

    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    REFERRED = "referred"
    CLOSED = "closed"


TRANSITIONS: Mapping[CaseState, frozenset[CaseState]] = {
    CaseState.NEW: frozenset({CaseState.TRIAGED, CaseState.CLOSED}),
    CaseState.TRIAGED: frozenset({CaseState.IN_PROGRESS, CaseState.REFERRED, CaseState.CLOSED}),
    CaseState.IN_PROGRESS: frozenset({CaseState.REFERRED, CaseState.CLOSED}),
    CaseState.REFERRED: frozenset({CaseState.IN_PROGRESS, CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}

REOPENED_STATE = CaseState.TRIAGED
"""Where a reopened case goes."""

SETTABLE: tuple[CaseState, ...] = (
    CaseState.TRIAGED,
    CaseState.IN_PROGRESS,
    CaseState.REFERRED,
)
"""States `case state` may set; closing has its own command with an outcome."""


class TransitionError(ValueError):
    """A move the state machine does not allow; `key` is the message key to show."""

    def __init__(self, key: str, current: CaseState, target: CaseState | None) -> None:
        super().__init__(key)
        self.key = key
        self.current = current
        self.target = target


def is_open(state: CaseState) -> bool:
    """True for every state but `closed` (open cases are held from purges and erasure)."""
    return state is not CaseState.CLOSED


def can_move(current: CaseState, target: CaseState) -> bool:
    """True when `target` may follow `current`."""
    return target in TRANSITIONS[current]


def move(current: CaseState, target: CaseState) -> CaseState:
    """The new state, or TransitionError when the move is not allowed."""
    if current is CaseState.CLOSED:
        raise TransitionError("case.error.closed", current, target)
    if current is target:
        raise TransitionError("case.error.same_state", current, target)
    if not can_move(current, target):
        raise TransitionError("case.error.transition", current, target)
    return target


def reopen(current: CaseState) -> CaseState:
    """The state of a reopened case, or TransitionError when it is not closed."""
    if current is not CaseState.CLOSED:
        raise TransitionError("case.error.not_closed", current, None)
    return REOPENED_STATE


def reachable(start: CaseState = CaseState.NEW) -> set[CaseState]:
    """Every state reachable from `start` by allowed moves (without reopening)."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
