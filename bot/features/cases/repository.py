"""All SQL of case files (data class: case_files)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.features.cases.model import (
    ActionKind,
    ActionResult,
    CaseAction,
    CaseEvent,
    CaseFile,
    CaseNote,
    CaseSummary,
)
from bot.features.cases.states import CaseState
from bot.storage.database import Database, Transaction
from bot.storage.timestamps import from_text, to_text

_CASE_COLUMNS = (
    "c.case_id, c.state, c.subject_person_id, c.assignee_person_id, c.opened_by, "
    "c.opened_at, c.updated_at, c.closed_at, c.outcome"
)


def _case(row: Any) -> CaseFile:
    return CaseFile(
        case_id=row["case_id"],
        state=CaseState(row["state"]),
        subject_person_id=row["subject_person_id"],
        assignee_person_id=row["assignee_person_id"],
        opened_by=row["opened_by"],
        opened_at=from_text(row["opened_at"]),
        updated_at=from_text(row["updated_at"]),
        closed_at=from_text(row["closed_at"]) if row["closed_at"] else None,
        outcome=row["outcome"],
    )


async def _event(
    tx: Transaction, case_id: int, at: datetime, by: str, kind: str, value: str = ""
) -> None:
    await tx.execute(
        "INSERT INTO case_event (case_id, at, by_person_id, kind, value) "
        "VALUES ($1, $2, $3, $4, $5)",
        case_id,
        to_text(at),
        by,
        kind,
        value,
    )


class CaseRepository:
    """Cases, their concerns, notes, decisions and history."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- cases ---------------------------------------------------------------------------

    async def create(
        self,
        *,
        subject_person_id: str | None,
        concern_ids: Iterable[int],
        opened_by: str,
        at: datetime,
    ) -> int:
        """A new case in state `new`, with its concerns linked, in one transaction."""
        now = to_text(at)
        async with self.db.transaction() as tx:
            case_id = int(
                await tx.fetchval(
                    "INSERT INTO case_file (state, subject_person_id, opened_by, opened_at, "
                    "updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING case_id",
                    CaseState.NEW.value,
                    subject_person_id,
                    opened_by,
                    now,
                )
            )
            await _event(tx, case_id, at, opened_by, "open")
            for concern_id in dict.fromkeys(concern_ids):
                await self._link(tx, case_id, concern_id, opened_by, at)
        return case_id

    async def get(self, case_id: int) -> CaseFile | None:
        """One case."""
        row = await self.db.fetchrow(
            f"SELECT {_CASE_COLUMNS} FROM case_file c WHERE c.case_id = $1", case_id
        )
        return None if row is None else _case(row)

    async def list(
        self, *, state: CaseState | None, open_only: bool, assignee: str | None, limit: int
    ) -> tuple[list[CaseSummary], int]:
        """Cases matching the filters, newest first, with the total count."""
        where = ["1 = 1"]
        args: list[Any] = []
        if state is not None:
            args.append(state.value)
            where.append(f"c.state = ${len(args)}")
        elif open_only:
            args.append(CaseState.CLOSED.value)
            where.append(f"c.state <> ${len(args)}")
        if assignee is not None:
            args.append(assignee)
            where.append(f"c.assignee_person_id = ${len(args)}")
        condition = " AND ".join(where)
        total = int(
            await self.db.fetchval(f"SELECT COUNT(*) FROM case_file c WHERE {condition}", *args)
        )
        args.append(limit)
        rows = await self.db.fetch(
            f"SELECT {_CASE_COLUMNS}, (SELECT COUNT(*) FROM case_concern k "
            f"WHERE k.case_id = c.case_id) AS concerns FROM case_file c WHERE {condition} "
            f"ORDER BY c.case_id DESC LIMIT ${len(args)}",
            *args,
        )
        return [CaseSummary(_case(r), r["concerns"]) for r in rows], total

    async def set_state(
        self,
        case_id: int,
        expected: CaseState,
        state: CaseState,
        by: str,
        at: datetime,
        outcome: str | None = None,
    ) -> bool:
        """Move a case from `expected` to `state` (False when someone moved it meanwhile)."""
        now = to_text(at)
        closed_at = now if state is CaseState.CLOSED else None
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE case_file SET state = $1, updated_at = $2, closed_at = $3, "
                "outcome = CASE WHEN $1 = 'closed' THEN $4 ELSE outcome END "
                "WHERE case_id = $5 AND state = $6",
                state.value,
                now,
                closed_at,
                outcome,
                case_id,
                expected.value,
            )
            if changed:
                kind = "reopen" if expected is CaseState.CLOSED else "state"
                await _event(tx, case_id, at, by, kind, state.value)
        return bool(changed)

    async def assign(self, case_id: int, assignee: str, by: str, at: datetime) -> None:
        """Give the case to `assignee`."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE case_file SET assignee_person_id = $1, updated_at = $2 WHERE case_id = $3",
                assignee,
                to_text(at),
                case_id,
            )
            await _event(tx, case_id, at, by, "assign", assignee)

    # -- concerns ------------------------------------------------------------------------

    async def _link(
        self, tx: Transaction, case_id: int, concern_id: int, by: str, at: datetime
    ) -> bool:
        added = await tx.execute(
            "INSERT INTO case_concern (case_id, concern_id, linked_by, linked_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, concern_id) DO NOTHING",
            case_id,
            concern_id,
            by,
            to_text(at),
        )
        if added:
            await _event(tx, case_id, at, by, "link", str(concern_id))
        return bool(added)

    async def link(self, case_id: int, concern_id: int, by: str, at: datetime) -> bool:
        """Link a concern to a case (False when it already was)."""
        async with self.db.transaction() as tx:
            added = await self._link(tx, case_id, concern_id, by, at)
            if added:
                await tx.execute(
                    "UPDATE case_file SET updated_at = $1 WHERE case_id = $2",
                    to_text(at),
                    case_id,
                )
        return added

    async def concern_ids(self, case_id: int) -> list[int]:
        """Concerns linked to a case, in the order they were linked."""
        rows = await self.db.fetch(
            "SELECT concern_id FROM case_concern WHERE case_id = $1 "
            "ORDER BY linked_at, concern_id",
            case_id,
        )
        return [r["concern_id"] for r in rows]

    async def open_case_of_concern(self, concern_id: int) -> int | None:
        """The open case a concern is linked to, if any."""
        return await self.db.fetchval(
            "SELECT c.case_id FROM case_concern k JOIN case_file c ON c.case_id = k.case_id "
            "WHERE k.concern_id = $1 AND c.state <> $2 ORDER BY c.case_id LIMIT 1",
            concern_id,
            CaseState.CLOSED.value,
        )

    async def held_concern_ids(self) -> set[int]:
        """Concerns linked to a case that is not closed."""
        rows = await self.db.fetch(
            "SELECT DISTINCT k.concern_id FROM case_concern k JOIN case_file c "
            "ON c.case_id = k.case_id WHERE c.state <> $1",
            CaseState.CLOSED.value,
        )
        return {r["concern_id"] for r in rows}

    async def held_person_ids(self) -> set[str]:
        """Subjects of cases that are not closed."""
        rows = await self.db.fetch(
            "SELECT DISTINCT subject_person_id FROM case_file "
            "WHERE state <> $1 AND subject_person_id IS NOT NULL",
            CaseState.CLOSED.value,
        )
        return {r["subject_person_id"] for r in rows}

    # -- notes, decisions, history -------------------------------------------------------

    async def add_note(self, case_id: int, author: str, at: datetime, text: str) -> int:
        """Store a note; returns its id."""
        async with self.db.transaction() as tx:
            note_id = await tx.fetchval(
                "INSERT INTO case_note (case_id, author_person_id, at, text) "
                "VALUES ($1, $2, $3, $4) RETURNING note_id",
                case_id,
                author,
                to_text(at),
                text,
            )
            await tx.execute(
                "UPDATE case_file SET updated_at = $1 WHERE case_id = $2", to_text(at), case_id
            )
        return int(note_id)

    async def notes(self, case_id: int) -> list[CaseNote]:
        """A case's notes, oldest first."""
        rows = await self.db.fetch(
            "SELECT note_id, author_person_id, at, text FROM case_note WHERE case_id = $1 "
            "ORDER BY note_id",
            case_id,
        )
        return [
            CaseNote(r["note_id"], r["author_person_id"], from_text(r["at"]), r["text"])
            for r in rows
        ]

    async def add_action(
        self,
        case_id: int,
        kind: ActionKind,
        reason: str,
        detail: str,
        decided_by: str,
        at: datetime,
        result: ActionResult,
    ) -> int:
        """Record a decision (before it is carried out); returns its id."""
        async with self.db.transaction() as tx:
            action_id = await tx.fetchval(
                "INSERT INTO case_action (case_id, kind, reason, detail, decided_by, at, result) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING action_id",
                case_id,
                kind.value,
                reason,
                detail,
                decided_by,
                to_text(at),
                result.value,
            )
            await tx.execute(
                "UPDATE case_file SET updated_at = $1 WHERE case_id = $2", to_text(at), case_id
            )
        return int(action_id)

    async def set_action_result(self, action_id: int, result: ActionResult) -> None:
        """What became of a recorded decision."""
        await self.db.execute(
            "UPDATE case_action SET result = $1 WHERE action_id = $2", result.value, action_id
        )

    async def actions(self, case_id: int) -> list[CaseAction]:
        """A case's decisions, oldest first."""
        rows = await self.db.fetch(
            "SELECT action_id, kind, reason, detail, decided_by, at, result FROM case_action "
            "WHERE case_id = $1 ORDER BY action_id",
            case_id,
        )
        return [
            CaseAction(
                r["action_id"], ActionKind(r["kind"]), r["reason"], r["detail"],
                r["decided_by"], from_text(r["at"]), ActionResult(r["result"]),
            )
            for r in rows
        ]  # fmt: skip

    async def events(self, case_id: int) -> list[CaseEvent]:
        """A case's history, oldest first."""
        rows = await self.db.fetch(
            "SELECT at, by_person_id, kind, value FROM case_event WHERE case_id = $1 "
            "ORDER BY event_id",
            case_id,
        )
        return [
            CaseEvent(from_text(r["at"]), r["by_person_id"], r["kind"], r["value"]) for r in rows
        ]

    # -- the subject's own view (mydata) -------------------------------------------------

    async def cases_about(self, person_id: str) -> list[CaseFile]:
        """Cases whose subject is `person_id`, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {_CASE_COLUMNS} FROM case_file c WHERE c.subject_person_id = $1 "
            "ORDER BY c.case_id",
            person_id,
        )
        return [_case(r) for r in rows]

    async def staff_counts(self, person_id: str) -> dict[str, int]:
        """How much of the case record `person_id` wrote or decided as staff."""
        notes = await self.db.fetchval(
            "SELECT COUNT(*) FROM case_note WHERE author_person_id = $1", person_id
        )
        actions = await self.db.fetchval(
            "SELECT COUNT(*) FROM case_action WHERE decided_by = $1", person_id
        )
        assigned = await self.db.fetchval(
            "SELECT COUNT(*) FROM case_file WHERE assignee_person_id = $1", person_id
        )
        return {
            "notes_written": int(notes),
            "actions_decided": int(actions),
            "cases_assigned": int(assigned),
        }
