"""`audit show` and `audit verify` through the dispatcher, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock
from tests.support.recording_platform import RecordingPlatform

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COORDINATOR = PersonRef("recording", "cora", "Cora")
MEMBER = PersonRef("recording", "max", "Max")
ROOM = RoomRef("recording", "lobby", "Lobby")
ROLES = {COORDINATOR: frozenset({Role.COORDINATOR}), MEMBER: frozenset({Role.MEMBER})}


@pytest.fixture
async def app(tmp_path: Path):
    haven = Haven(
        Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=MovableClock(T0)
    )
    await haven.open()
    yield haven
    await haven.close()


async def run(app: Haven, who: PersonRef, name: str, **args) -> Reply:
    command = app.registry.get(name)
    assert command is not None
    return await app.dispatcher.invoke(
        Invocation(command, who, ROLES[who], ROOM, args), RecordingPlatform()
    )


async def person(app: Haven, who: PersonRef) -> str:
    return (await app.people.ensure_person(who.platform, who.user_id)).person_id


async def test_coordinator_reads_and_the_read_is_audited_first(app: Haven) -> None:
    for i in range(5):
        await app.audit.record(T0 + timedelta(minutes=i), "system", "x.do", "t1", n=i)
    reply = await run(app, COORDINATOR, "audit show", object="t1", limit="3")
    assert reply.private and reply.kind is not ReplyKind.ERROR
    lines = reply.text.splitlines()
    assert lines[0] == "Audit trail, newest first (3 entries):"
    assert [line.split()[0] for line in lines[1:4]] == ["#5", "#4", "#3"]
    assert "x.do t1" in lines[1] and '{"n": 4}' in lines[1]
    assert lines[-1] == "Older entries follow: add --before 3 for the next page."
    [read] = [e for e in await app.audit.for_object("audit") if e.action == "audit.read"]
    assert read.actor == await person(app, COORDINATOR)
    assert read.detail == {"object": "t1", "limit": 3}
    # The read itself is the newest entry, so it was written before the entries were shown.
    everything = await run(app, COORDINATOR, "audit show")
    assert everything.text.splitlines()[1].startswith("#7 ")
    assert "audit.read audit" in everything.text.splitlines()[1]


async def test_filters_by_actor_and_time(app: Haven) -> None:
    cora = await person(app, COORDINATOR)
    await app.audit.record(T0, cora, "case.open", "c1")
    await app.audit.record(T0 + timedelta(hours=2), "system", "x", "c1")
    by_account = await run(app, COORDINATOR, "audit show", actor="cora", object="c1")
    assert len(by_account.text.splitlines()) == 2 and "case.open" in by_account.text
    by_id = await run(app, COORDINATOR, "audit show", actor=cora, object="c1")
    assert by_id.text == by_account.text  # the same entry either way
    window = await run(
        app, COORDINATOR, "audit show", since="2026-03-01 11:30", until="2026-03-01 12:30"
    )  # Brussels time: 10:30-11:30 UTC holds only the system entry
    assert "#2 " in window.text and "case.open" not in window.text
    unknown = await run(app, COORDINATOR, "audit show", actor="nobody")
    assert unknown.kind is ReplyKind.ERROR and "nobody" in unknown.text
    backwards = await run(
        app, COORDINATOR, "audit show", since="2026-03-02 10:00", until="2026-03-01 10:00"
    )
    assert backwards.kind is ReplyKind.ERROR and backwards.text.startswith("--since must")
    none = await run(app, COORDINATOR, "audit show", object="nothing-here")
    assert none.text == "No audit entries match."


async def test_a_member_is_refused_and_the_refusal_is_audited(app: Haven) -> None:
    before = len(await app.audit.for_object("audit"))
    for name in ("audit show", "audit verify"):
        reply = await run(app, MEMBER, name)
        assert reply.kind is ReplyKind.ERROR and reply.text.startswith("You are not allowed")
    refusals = (await app.audit.for_object("audit"))[before:]
    max_id = await person(app, MEMBER)
    assert [(e.actor, e.action, e.detail["command"]) for e in refusals] == [
        (max_id, "audit.refused", "audit show"),
        (max_id, "audit.refused", "audit verify"),
    ]
    assert all(e.detail["reason"] == "error.no_permission" for e in refusals)
    # A refusal of an ordinary command is not audit material.
    await run(app, MEMBER, "tournament start", tournament="1")
    assert len(await app.audit.for_object("audit")) == before + 2
    # A coordinator's bad filter is refused and audited too.
    await run(app, COORDINATOR, "audit show", actor="nobody")
    last = (await app.audit.for_object("audit"))[-1]
    assert (last.action, last.detail["reason"]) == ("audit.refused", "audit.unknown_actor")


async def test_verify_reports_ok_then_the_tampered_entry(app: Haven) -> None:
    empty = await run(app, COORDINATOR, "audit verify")
    assert empty.text == "The audit trail is empty: nothing to check."
    for i in range(4):
        await app.audit.record(T0, "system", "x", "o", n=i)
    ok = await run(app, COORDINATOR, "audit verify")
    assert ok.private and ok.text.startswith("The audit trail is intact: 5 entries checked")
    await app.db.execute("UPDATE audit_event SET object = 'other' WHERE seq = 3")
    broken = await run(app, COORDINATOR, "audit verify")
    assert broken.text.splitlines() == [
        "The audit trail is broken at entry #3: it was edited "
        "(its content no longer matches its hash).",
        "2 entries before it are intact.",
    ]
    verifications = [e for e in await app.audit.for_object("audit") if e.action == "audit.verify"]
    assert [e.detail["ok"] for e in verifications] == [True, True, False]
    assert verifications[-1].detail["seq"] == 3


async def test_the_retention_purge_keeps_the_chain(app: Haven) -> None:
    old = T0 - timedelta(days=1900)
    for i in range(3):
        await app.audit.record(old + timedelta(minutes=i), "system", "x", "o", n=i)
    await app.audit.record(T0, "system", "recent", "o")
    counts = await app.services["retention"].purge(T0)
    assert counts["audit_event"] == 3
    assert [e.action for e in await app.audit.for_object("o")] == ["recent"]
    result = await app.audit.verify()
    assert result.ok and result.first == 4
    reply = await run(app, COORDINATOR, "audit verify")
    assert reply.text.startswith("The audit trail is intact")


async def test_a_failing_refusal_observer_never_hides_the_refusal(app: Haven) -> None:
    async def broken(ctx, args) -> None:
        raise RuntimeError("observer bug")

    app.dispatcher.on_permission_refused.insert(0, broken)
    reply = await run(app, MEMBER, "audit show")
    assert reply.kind is ReplyKind.ERROR and reply.text.startswith("You are not allowed")
    # The audit's own observer still ran after the broken one.
    assert [e.action for e in await app.audit.for_object("audit")] == ["audit.refused"]
