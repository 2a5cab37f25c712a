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


# -- every table: identities, platform state and what the features registered --------------

NOW0 = datetime.now(UTC).replace(microsecond=0)  # adapters stamp some rows with real time
EXEMPT = {
    "schema_version": "migration bookkeeping, no personal data",
    "sqlite_sequence": "SQLite's own counters",
    "audit_anchor": "where the audit chain resumes after a purge: one row per chain",
}
# Kept as long as the person is known (a consent answer to respect); erased with them.
UNTIL_ERASED = {"outreach_optout": "person_id"}


def purge_rules(app: Haven, held: set[str]) -> dict[str, list[tuple[str, str, str]]]:
    """table -> (data class, time expression, which rows may go) for every purge rule."""
    from bot.features.privacy.repository import RETAINED

    rules: dict[str, list[tuple[str, str, str]]] = {}
    for r in (*RETAINED, *app.retained):
        rules.setdefault(r.table, []).append((r.data_class, r.time_column, r.only))
    not_held = "person_id NOT IN ({})".format(",".join(f"'{p}'" for p in held) or "''")
    rules["person"] = [("identity", "COALESCE(last_seen_at, created_at)", not_held)]
    rules["platform_state"] = [("operational", "updated_at", "key LIKE 'buttons:%'")]
    # Purged by features' own hooks (they close rooms on the platform first).
    rules["tournament"] = [
        ("tournament_results", "COALESCE(finished_at, created_at)",
         "status IN ('finished', 'cancelled')"),
    ]  # fmt: skip
    rules["audit_event"] = [("audit", "at", "1 = 1")]
    rules["discussion_room"] = [("discussion_rooms", "closed_at", "closed_at IS NOT NULL")]
    rules["help_request"] = [("helpdesk_transcripts", "closed_at", "status = 'closed'")]
    return rules


async def cascades_from(app: Haven, table: str) -> set[str]:
    """Tables `table` refers to with ON DELETE CASCADE (its rows go with theirs)."""
    rows = await app.db.fetch(f"PRAGMA foreign_key_list({table})")
    return {r["table"] for r in rows if r["on_delete"] == "CASCADE"}


@pytest.fixture
async def live(tmp_path: Path):
    from tests.support.recording_platform import RecordingPlatform

    clock = MovableClock(NOW0)
    haven = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=clock)
    await haven.open()
    platform = RecordingPlatform()
    platform.space_admin = ClosingAdmin()  # type: ignore[attr-defined]
    haven.adapters.append(platform)  # type: ignore[arg-type]
    haven.clock_ = clock  # type: ignore[attr-defined]
    haven.recording = platform  # type: ignore[attr-defined]
    yield haven
    haven.adapters.clear()
    await haven.close()


async def command(app: Haven, user: str, name: str, **args) -> None:
    from bot.core.capabilities import Role
    from bot.core.context import PersonRef
    from bot.core.dispatch import Invocation

    invocation = Invocation(
        app.registry.get(name), PersonRef("recording", user), frozenset({Role.MEMBER}),
        RoomRef("recording", "lobby"), args,
    )  # fmt: skip
    await app.dispatcher.invoke(invocation, app.recording)  # type: ignore[attr-defined]


async def test_no_expired_row_remains_in_any_table_and_held_data_stays(live: Haven) -> None:
    import json

    from bot.storage.platform_state_repository import PlatformStateRepository
    from bot.storage.timestamps import to_text

    app, clock = live, live.clock_  # type: ignore[attr-defined]
    ids = {}
    for user in ("alice", "bob", "carol"):
        await command(app, user, "ping")
        ids[user] = (await app.people.ensure_person("recording", user)).person_id
    ids["dave"] = (await app.people.ensure_person("recording", "dave")).person_id  # never used
    held = {ids["carol"]}

    async def hold() -> set[str]:
        return held

    app.legal_holds.append(hold)
    await command(app, "bob", "mydata erase")  # a confirmation left pending
    state = PlatformStateRepository(app.db, "recording")
    await state.set("dm_rooms", json.dumps({"alice": "!a", "bob": "!b", "carol": "!c"}))
    await state.set("buttons:$old", json.dumps({"actions": {}, "user": "alice"}))
    await state.set("since:bot", "s1")  # live sync state: never expires
    await state.claim_event("$seen")
    await app.scheduler.jobs.put("done", "privacy.purge", NOW0, {})
    await app.scheduler.jobs.mark_done("done", NOW0)
    await app.audit.record(NOW0, ids["bob"], "x", "o")
    for who in ("bob", "alice"):  # another feature's data, erased through its source
        await app.db.execute(
            "INSERT INTO outreach_optout (person_id, at) VALUES ($1, $2)", ids[who], to_text(NOW0)
        )
    repo = app.services["tournaments"].repo
    old_cup = await tournament(app, finished=True, at=NOW0)
    await repo.add_player(old_cup, ids["bob"], "bob", "Bob", PlayerState.JOINED, NOW0)

    clock.advance(timedelta(days=400))
    await command(app, "alice", "ping")  # Alice stays active
    now = clock.advance(timedelta(days=340))  # 740 days after the start
    recent_cup = await tournament(app, finished=True, at=now - timedelta(days=10))
    await state.set("buttons:$new", json.dumps({"actions": {}, "user": "alice"}))
    await app.db.execute(
        "UPDATE platform_state SET updated_at = $1 WHERE key = 'buttons:$new'",
        to_text(now - timedelta(days=5)),
    )
    counts = await app.services["retention"].purge(now)
    assert counts["person"] == 2 and counts["person_held"] == 1  # Bob and Dave; not Carol

    framework = app.services["framework"]
    rules = purge_rules(app, held)
    tables = [
        r["name"] for r in await app.db.fetch("SELECT name FROM sqlite_master WHERE type='table'")
    ]
    unruled = []
    for table in tables:
        if table in EXEMPT:
            continue
        if table in UNTIL_ERASED:
            gone = (ids["bob"], ids["dave"])
            column = UNTIL_ERASED[table]
            for person in gone:
                left = await app.db.fetchval(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} = $1", person
                )
                assert left == 0, f"{table} still names a purged person"
            continue
        if table not in rules:
            if not (await cascades_from(app, table)) & set(rules):
                unruled.append(table)
            continue
        for data_class, time_expr, only in rules[table]:
            cutoff = to_text(now - framework.data_classes[data_class].keep_for)
            expired = await app.db.fetchval(
                f"SELECT COUNT(*) FROM {table} WHERE {time_expr} < $1 AND {only}", cutoff
            )
            assert expired == 0, f"{table}: {expired} rows past their {data_class} retention"
    assert unruled == [], f"tables with no purge rule (register a Retained): {unruled}"

    people = {r["person_id"] for r in await app.db.fetch("SELECT person_id FROM person")}
    assert people == {ids["alice"], ids["carol"]}  # held Carol stays, though inactive
    assert await app.db.fetchval(
        "SELECT COUNT(*) FROM identity WHERE person_id = $1", ids["carol"]
    ) == 1  # fmt: skip
    assert json.loads(await state.get("dm_rooms")) == {"alice": "!a", "carol": "!c"}
    assert await state.get("buttons:$old") is None and await state.get("buttons:$new")
    assert await state.get("since:bot") == "s1"
    optouts = await app.db.fetch("SELECT person_id FROM outreach_optout")
    assert [r["person_id"] for r in optouts] == [ids["alice"]]
    assert await repo.get(old_cup) is None and await repo.get(recent_cup) is not None
    assert await app.db.fetchval("SELECT COUNT(*) FROM pending_confirmation") == 0
    assert [e.actor for e in await app.audit.for_object("o")] == [ids["bob"]]  # 5 years
