"""All SQL of the rota: shifts and manual on-call rows (data class: duty_rota)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from bot.core.duty import Duty
from bot.features.rota.model import OnCall, Shift
from bot.storage.database import Database
from bot.storage.timestamps import from_text, to_text

_SHIFT_COLUMNS = "shift_id, person_id, duty, weekday, on_date, starts, ends, backup"
_ONCALL_COLUMNS = "oncall_id, person_id, duty, started_at, ends_at"


def _shift(row: Any) -> Shift:
    return Shift(
        shift_id=row["shift_id"],
        person_id=row["person_id"],
        duty=Duty(row["duty"]),
        weekday=row["weekday"],
        on_date=date.fromisoformat(row["on_date"]) if row["on_date"] else None,
        starts=time.fromisoformat(row["starts"]),
        ends=time.fromisoformat(row["ends"]),
        backup=bool(row["backup"]),
    )


def _oncall(row: Any) -> OnCall:
    return OnCall(
        oncall_id=row["oncall_id"],
        person_id=row["person_id"],
        duty=Duty(row["duty"]),
        started_at=from_text(row["started_at"]),
        ends_at=from_text(row["ends_at"]),
    )


class RotaRepository:
    """Shifts and on-call rows, in domain terms."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- shifts ---------------------------------------------------------------------------

    async def add_shift(
        self,
        *,
        person_id: str,
        duty: Duty,
        weekday: int | None,
        on_date: date | None,
        starts: time,
        ends: time,
        backup: bool,
        ends_at: datetime | None,
        created_by: str,
        now: datetime,
    ) -> int:
        """Store a shift; returns its id. `ends_at` is a dated shift's end (for retention)."""
        async with self.db.transaction() as tx:
            return int(
                await tx.fetchval(
                    "INSERT INTO rota_shift (person_id, duty, weekday, on_date, starts, ends, "
                    "backup, ends_at, created_by, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING shift_id",
                    person_id,
                    duty.value,
                    weekday,
                    on_date.isoformat() if on_date else None,
                    starts.strftime("%H:%M"),
                    ends.strftime("%H:%M"),
                    int(backup),
                    to_text(ends_at) if ends_at else None,
                    created_by,
                    to_text(now),
                )
            )

    async def shift(self, shift_id: int) -> Shift | None:
        """One shift by id."""
        row = await self.db.fetchrow(
            f"SELECT {_SHIFT_COLUMNS} FROM rota_shift WHERE shift_id = $1", shift_id
        )
        return None if row is None else _shift(row)

    async def shifts(self, duty: Duty | None = None) -> list[Shift]:
        """Every shift (of one duty), by weekday or date, then start time."""
        rows = await self.db.fetch(
            f"SELECT {_SHIFT_COLUMNS} FROM rota_shift WHERE ($1 IS NULL OR duty = $1) "
            "ORDER BY weekday IS NULL, weekday, on_date, starts, shift_id",
            duty.value if duty else None,
        )
        return [_shift(r) for r in rows]

    async def shifts_of(self, person_id: str) -> list[Shift]:
        """One person's shifts."""
        rows = await self.db.fetch(
            f"SELECT {_SHIFT_COLUMNS} FROM rota_shift WHERE person_id = $1 ORDER BY shift_id",
            person_id,
        )
        return [_shift(r) for r in rows]

    async def delete_shift(self, shift_id: int) -> bool:
        """Remove a shift; True when it existed."""
        return await self.db.execute("DELETE FROM rota_shift WHERE shift_id = $1", shift_id) > 0

    async def delete_shifts_of(self, person_id: str) -> list[int]:
        """Remove one person's shifts; returns their ids."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT shift_id FROM rota_shift WHERE person_id = $1", person_id
            )
            await tx.execute("DELETE FROM rota_shift WHERE person_id = $1", person_id)
        return [r["shift_id"] for r in rows]

    # -- manual on-call -------------------------------------------------------------------

    async def active_oncall(self, at: datetime, duty: Duty | None = None) -> list[OnCall]:
        """On-call rows running at `at` (of one duty), earliest start first."""
        stamp = to_text(at)
        rows = await self.db.fetch(
            f"SELECT {_ONCALL_COLUMNS} FROM rota_oncall WHERE started_at <= $1 "
            "AND ends_at > $1 AND ($2 IS NULL OR duty = $2) ORDER BY started_at, oncall_id",
            stamp,
            duty.value if duty else None,
        )
        return [_oncall(r) for r in rows]

    async def start_oncall(
        self, person_id: str, duty: Duty, now: datetime, ends_at: datetime
    ) -> bool:
        """Put a person on call until `ends_at`; True when they were not on call already
        (otherwise the running row just gets the new end)."""
        stamp = to_text(now)
        async with self.db.transaction() as tx:
            moved = await tx.execute(
                "UPDATE rota_oncall SET ends_at = $1 WHERE person_id = $2 AND duty = $3 "
                "AND started_at <= $4 AND ends_at > $4",
                to_text(ends_at),
                person_id,
                duty.value,
                stamp,
            )
            if moved:
                return False
            await tx.execute(
                "INSERT INTO rota_oncall (person_id, duty, started_at, ends_at) "
                "VALUES ($1, $2, $3, $4)",
                person_id,
                duty.value,
                stamp,
                to_text(ends_at),
            )
        return True

    async def stop_oncall(self, person_id: str, now: datetime) -> list[Duty]:
        """End a person's running on-call rows now; returns the duties they left."""
        stamp = to_text(now)
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "SELECT duty FROM rota_oncall WHERE person_id = $1 AND started_at <= $2 "
                "AND ends_at > $2 ORDER BY duty",
                person_id,
                stamp,
            )
            await tx.execute(
                "UPDATE rota_oncall SET ends_at = $2 WHERE person_id = $1 AND started_at <= $2 "
                "AND ends_at > $2",
                person_id,
                stamp,
            )
        return [Duty(r["duty"]) for r in rows]

    async def oncall_of(self, person_id: str) -> list[OnCall]:
        """One person's on-call rows, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {_ONCALL_COLUMNS} FROM rota_oncall WHERE person_id = $1 "
            "ORDER BY started_at, oncall_id",
            person_id,
        )
        return [_oncall(r) for r in rows]

    async def delete_oncall_of(self, person_id: str) -> int:
        """Remove one person's on-call rows; returns how many."""
        return await self.db.execute("DELETE FROM rota_oncall WHERE person_id = $1", person_id)
