"""The retention purge on a real SQLite file with a movable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Haven
from bot.core.context import RoomRef
from bot.features.tournaments.model import Format
from bot.features.tournaments.repository import PlayerState, Status
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class ClosingAdmin:
    closed: list[str] = field(default_factory=list)

    async def close_room(self, room: RoomRef, reason: str) -> None:
        self.closed.append(room.room_id)


@dataclass
class FakePlatform:
    name: str = "recording"
    space_admin: ClosingAdmin = field(default_factory=ClosingAdmin)


@pytest.fixture
async def app(tmp_path: Path):
    clock = MovableClock(T0)
    haven = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=clock)
    await haven.open()
    platform = FakePlatform()
    haven.adapters.append(platform)  # type: ignore[arg-type]
    haven.clock_ = clock  # type: ignore[attr-defined]
    yield haven
    await haven.close()


async def tournament(app: Haven, *, finished: bool, at: datetime) -> int:
    repo = app.services["tournaments"].repo
    tid = await repo.create(
        platform="recording", room_id="r", name="Cup", game="Chess",
        format=Format.SINGLE_ELIMINATION, max_players=8, team_size=1, swiss_rounds=0,
        starts_at=at, checkin_minutes=30, organiser="p_w", organiser_user_id="w", now=at,
    )  # fmt: skip
    await repo.add_player(tid, "p_a", "a", "Ann", PlayerState.JOINED, at)
    if finished:
        await repo.set_status(tid, Status.FINISHED, at)
        await repo.set_debrief_room(tid, f"debrief-{tid}")
    return tid


async def test_expired_rows_go_and_the_rest_stays(app: Haven) -> None:
    retention = app.services["retention"]
    db = app.db
    old, fresh = T0, T0 + timedelta(days=400)
    await app.audit.record(old, "system", "x", "o")
    await app.audit.record(fresh, "system", "x", "o")
    await app.scheduler.jobs.put("done-old", "privacy.purge", old, {})
    await app.scheduler.jobs.mark_done("done-old", old)
    await app.scheduler.jobs.put("pending-old", "privacy.purge", old, {})
    from bot.storage.platform_state_repository import PlatformStateRepository

    state = PlatformStateRepository(db, "matrix")
    await state.claim_event("$old")
    gone = await tournament(app, finished=True, at=old)
    running = await tournament(app, finished=False, at=old)
    recent = await tournament(app, finished=True, at=fresh)

    now = T0 + timedelta(days=410)
    counts = await retention.purge(now)

    assert counts["scheduled_job"] == 1 and counts["processed_event"] == 1
    assert counts["tournament"] == 1 and counts["debrief_rooms_closed"] == 1
    assert app.adapters[0].space_admin.closed == [f"debrief-{gone}"]
    repo = app.services["tournaments"].repo
    assert await repo.get(gone) is None and await repo.players(gone) == []
    assert await repo.get(running) is not None and await repo.get(recent) is not None
    pending = [j.job_id for j in await app.scheduler.jobs.pending()]
    assert "pending-old" in pending  # a job still to run never expires
    # The audit keeps five years: both entries stay, plus the purge's own entry.
    assert [e.action for e in await app.audit.for_object("o")] == ["x", "x"]
    purge_entries = await app.audit.for_object("retention")
    assert purge_entries[-1].detail["tournament"] == 1

    # Zero expired rows remain in any retained table.
    for table, column in (("processed_event", "processed_at"), ("pending_confirmation",
                          "expires_at")):  # fmt: skip
        cutoff = (now - timedelta(days=30)).isoformat()
        assert await db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE {column} < $1", cutoff) == 0


async def test_the_purge_is_scheduled_daily_and_survives_restart(app: Haven) -> None:
    retention = app.services["retention"]
    await retention.ensure_scheduled()
    pending = {j.job_id: j for j in await app.scheduler.jobs.pending()}
    job = pending["privacy:purge"]
    local = job.run_at.astimezone(app.settings.zone)
    assert (local.hour, local.minute) == (3, 30) and job.run_at > T0
    app.clock_.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert await app.scheduler.run_due() == 1
    again = {j.job_id: j for j in await app.scheduler.jobs.pending()}
    assert again["privacy:purge"].run_at > job.run_at  # re-armed for the next day
