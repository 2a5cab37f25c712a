"""The duty rota on a real SQLite file with a movable clock, in Europe/Brussels."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.duty import Duty, OnDuty
from bot.core.replies import Reply, ReplyKind
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock
from tests.support.recording_platform import RecordingPlatform

BRUSSELS = ZoneInfo("Europe/Brussels")
ROOM = RoomRef("recording", "staff", "Staff")
COORD = frozenset({Role.MEMBER, Role.COORDINATOR})
MOD = frozenset({Role.MEMBER, Role.MODERATOR})
WORKER = frozenset({Role.MEMBER, Role.YOUTH_WORKER})
BOTH = frozenset({Role.MEMBER, Role.YOUTH_WORKER, Role.MODERATOR})
MEMBER = frozenset({Role.MEMBER})
LEAD, ANN, BOB, KID = (PersonRef("recording", n, n.title()) for n in ("lead", "ann", "bob", "kid"))


def local(*args: int) -> datetime:
    """A Brussels wall-clock moment as aware UTC."""
    return datetime(*args, tzinfo=BRUSSELS).astimezone(UTC)


# Sunday 22 March 2026, noon in Brussels: a week before the spring DST change.
T0 = local(2026, 3, 22, 12, 0)
ONLY_ROTA = ("basics", "rota")


def make_app(path: Path, clock: MovableClock, **options) -> Haven:
    return Haven(Settings(database=DatabaseSettings(path=path)), clock=clock, **options)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
async def app(tmp_path: Path, clock: MovableClock):
    haven = make_app(tmp_path / "h.db", clock)
    await haven.open()
    yield haven
    await haven.close()


async def run(app: Haven, who: PersonRef, roles: frozenset[Role], name: str, **args) -> Reply:
    command = app.registry.get(name)
    assert command is not None, name
    return await app.dispatcher.invoke(
        Invocation(command, who, roles, ROOM, args), RecordingPlatform()
    )


async def pid(app: Haven, who: PersonRef) -> str:
    return (await app.people.ensure_person(who.platform, who.user_id)).person_id


async def rota_jobs(app: Haven) -> list:
    return [j for j in await app.scheduler.jobs.pending() if j.job_id.startswith("rota:")]


async def set_shift(app: Haven, who: PersonRef, duty: str, day: str, starts: str, ends: str,
                    backup: bool | None = None) -> Reply:  # fmt: skip
    reply = await run(app, LEAD, COORD, "rota set", member=who, duty=duty, day=day,
                      starts=starts, ends=ends, backup=backup)  # fmt: skip
    assert reply.kind is ReplyKind.INFO, reply.text
    return reply


async def test_weekday_shifts_and_midnight_crossing(app: Haven) -> None:
    rota = app.services["rota"]
    ann, bob = await pid(app, ANN), await pid(app, BOB)
    await set_shift(app, ANN, "moderator", "monday", "22:00", "06:00")
    await set_shift(app, BOB, "moderator", "dinsdag", "09:00", "17:00", backup=True)
    at = {  # Monday 23 and Tuesday 24 March 2026
        (23, 21, 59): OnDuty(),
        (23, 22, 0): OnDuty((ann,)),
        (24, 0, 30): OnDuty((ann,)),
        (24, 5, 59): OnDuty((ann,)),
        (24, 6, 0): OnDuty(),
        (24, 10, 0): OnDuty((), (bob,)),
        (24, 17, 0): OnDuty(),
        (30, 23, 0): OnDuty((ann,)),  # next Monday
        (31, 0, 30): OnDuty((ann,)),
    }
    for (day, hour, minute), expected in at.items():
        moment = local(2026, 3, day, hour, minute)
        assert await rota.on_duty(Duty.MODERATOR, moment) == expected, (day, hour, minute)
        assert await rota.on_duty(Duty.YOUTH_WORKER, moment) == OnDuty()


async def test_dst_changes_keep_wall_clock_times(app: Haven) -> None:
    rota = app.services["rota"]
    ann = await pid(app, ANN)
    await set_shift(app, ANN, "moderator", "saturday", "22:00", "06:00")
    on = OnDuty((ann,))
    # Spring: Sat 28 March 22:00 CET (21:00 UTC) until Sun 29 March 06:00 CEST (04:00 UTC).
    assert (
        await rota.on_duty(Duty.MODERATOR, datetime(2026, 3, 28, 20, 59, tzinfo=UTC)) == OnDuty()
    )
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 3, 28, 21, 0, tzinfo=UTC)) == on
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 3, 29, 3, 59, tzinfo=UTC)) == on
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) == OnDuty()
    # Autumn: Sat 24 Oct 22:00 CEST (20:00 UTC) until Sun 25 Oct 06:00 CET (05:00 UTC).
    assert (
        await rota.on_duty(Duty.MODERATOR, datetime(2026, 10, 24, 19, 59, tzinfo=UTC)) == OnDuty()
    )
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 10, 24, 20, 0, tzinfo=UTC)) == on
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 10, 25, 4, 59, tzinfo=UTC)) == on
    assert await rota.on_duty(Duty.MODERATOR, datetime(2026, 10, 25, 5, 0, tzinfo=UTC)) == OnDuty()
    # The next start after the spring change is 22:00 CEST, i.e. 20:00 UTC.
    after = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert await rota.next_available(Duty.MODERATOR, after) == datetime(
        2026, 4, 4, 20, 0, tzinfo=UTC
    )


async def test_manual_oncall_comes_first_and_expires(app: Haven, clock: MovableClock) -> None:
    rota = app.services["rota"]
    came: list[tuple[Duty, str]] = []

    async def told(duty: Duty, person_id: str) -> None:
        came.append((duty, person_id))

    ann, bob = await pid(app, ANN), await pid(app, BOB)
    await set_shift(app, BOB, "moderator", "sunday", "09:00", "17:00")
    rota.subscribe(told)
    started = await run(app, ANN, MOD, "oncall start", length="2h")
    assert started.text.startswith("You are on duty as Moderator until")
    assert came == [(Duty.MODERATOR, ann)]
    assert await rota.on_duty(Duty.MODERATOR, clock.now()) == OnDuty((ann, bob))
    who = await run(app, BOB, MOD, "oncall who")
    assert "Moderator: @ann, @bob" in who.text and "Youth worker: nobody" in who.text
    clock.advance(timedelta(hours=2))
    assert await rota.on_duty(Duty.MODERATOR, clock.now()) == OnDuty((bob,))
    stop = await run(app, ANN, MOD, "oncall stop")
    assert stop.kind is ReplyKind.ERROR and stop.text == "You are not on duty."

    # Both roles: the moderator duty unless they choose; a youth worker cannot moderate.
    await run(app, BOB, BOTH, "oncall start", duty="youth_worker")
    assert await rota.on_duty(Duty.YOUTH_WORKER, clock.now()) == OnDuty((bob,))
    refused = await run(app, ANN, WORKER, "oncall start", duty="moderator")
    assert refused.text == "Your role does not let you take the Moderator duty."
    assert (await run(app, BOB, BOTH, "oncall stop")).text == "You are off duty."
    assert await rota.on_duty(Duty.YOUTH_WORKER, clock.now()) == OnDuty()
    member = await run(app, KID, MEMBER, "oncall start")
    assert member.kind is ReplyKind.ERROR and member.text.startswith("You are not allowed")
    assert (await run(app, KID, MEMBER, "oncall who")).text.startswith("You are not allowed")
    assert came == [(Duty.MODERATOR, ann), (Duty.YOUTH_WORKER, bob)]
    actions = [e.action for e in await app.audit.for_object("rota:moderator")]
    assert actions == ["rota.oncall_start"]


async def test_next_available(app: Haven, clock: MovableClock) -> None:
    rota = app.services["rota"]
    assert await rota.next_available(Duty.YOUTH_WORKER, clock.now()) is None
    await set_shift(app, ANN, "youth_worker", "wednesday", "14:00", "18:00")
    await set_shift(app, BOB, "youth_worker", "2026-03-24", "10:00", "12:00")
    assert await rota.next_available(Duty.YOUTH_WORKER, clock.now()) == local(2026, 3, 24, 10, 0)
    inside = local(2026, 3, 24, 11, 0)
    assert await rota.next_available(Duty.YOUTH_WORKER, inside) == inside
    after_dated = local(2026, 3, 24, 12, 0)
    assert await rota.next_available(Duty.YOUTH_WORKER, after_dated) == local(2026, 3, 25, 14, 0)
    await run(app, LEAD, COORD, "oncall start", duty="youth_worker")
    assert await rota.next_available(Duty.YOUTH_WORKER, clock.now()) == clock.now()


async def test_subscribers_told_at_shift_start_and_after_restart(
    tmp_path: Path, clock: MovableClock
) -> None:
    came: list[tuple[Duty, str]] = []
    twice = asyncio.Event()

    async def told(duty: Duty, person_id: str) -> None:
        came.append((duty, person_id))
        if len(came) == 2:
            twice.set()

    # Without the daily purge: real timers would fire its job too, at this past fake time.
    app = make_app(tmp_path / "h.db", clock, features=ONLY_ROTA)
    await app.open()
    app.services["rota"].subscribe(told)
    ann = await pid(app, ANN)
    await set_shift(app, ANN, "youth_worker", "monday", "09:00", "17:00")
    assert came == []  # not running yet
    clock.current = local(2026, 3, 23, 8, 59)
    assert await app.scheduler.run_due() == 0
    clock.current = local(2026, 3, 23, 9, 0)
    assert await app.scheduler.run_due() == 1
    assert came == [(Duty.YOUTH_WORKER, ann)]
    assert await app.scheduler.run_due() == 0  # never twice
    [job] = await rota_jobs(app)
    assert job.run_at == local(2026, 3, 30, 9, 0)  # re-armed for next Monday
    await app.close()

    # Down over the next Monday's start; back while that shift still runs: told once.
    clock.current = local(2026, 3, 30, 11, 0)
    again = make_app(tmp_path / "h.db", clock, features=ONLY_ROTA)
    await again.open()
    again.services["rota"].subscribe(told)
    await again.start()  # no adapters: restores the missed job with a real timer
    try:
        await asyncio.wait_for(twice.wait(), 5)
        await asyncio.sleep(0.2)
        assert came == [(Duty.YOUTH_WORKER, ann)] * 2
        [job] = await rota_jobs(again)
        assert job.run_at == local(2026, 4, 6, 9, 0)
        # Down over a whole shift: nobody is told, the next start is armed.
        clock.current = local(2026, 4, 6, 18, 0)
        assert await again.scheduler.run_due() == 1
        assert len(came) == 2
        [job] = await rota_jobs(again)
        assert job.run_at == local(2026, 4, 13, 9, 0)
    finally:
        await again.close()


async def test_a_shift_set_while_running_tells_subscribers(app: Haven) -> None:
    came: list[tuple[Duty, str]] = []

    async def told(duty: Duty, person_id: str) -> None:
        came.append((duty, person_id))

    app.services["rota"].subscribe(told)
    await set_shift(app, ANN, "moderator", "sunday", "08:00", "20:00")
    assert came == [(Duty.MODERATOR, await pid(app, ANN))]


async def test_bad_input_is_refused_and_changes_nothing(app: Haven) -> None:
    cases = {
        ("funday", "09:00", "17:00"): "“funday” is neither a weekday nor a date",
        ("2026-02-30", "09:00", "17:00"): "“2026-02-30” is neither a weekday nor a date",
        ("monday", "25:00", "17:00"): "“25:00” is not a time of day",
        ("monday", "09:00", "9"): "“9” is not a time of day",
        ("monday", "09:00", "09:00"): "A shift cannot start and end at the same time.",
        ("2026-03-21", "09:00", "17:00"): "The shift on 2026-03-21 is already over.",
    }
    for (day, starts, ends), expected in cases.items():
        reply = await run(app, LEAD, COORD, "rota set", member=ANN, duty="moderator", day=day,
                          starts=starts, ends=ends)  # fmt: skip
        assert reply.kind is ReplyKind.ERROR and reply.text.startswith(expected), reply.text
    unknown_duty = await run(app, LEAD, COORD, "rota set", member=ANN, duty="cook",
                             day="monday", starts="09:00", ends="17:00")  # fmt: skip
    assert unknown_duty.kind is ReplyKind.ERROR
    worker = await run(app, ANN, WORKER, "rota set", member=ANN, duty="youth_worker",
                       day="monday", starts="09:00", ends="17:00")  # fmt: skip
    assert worker.text.startswith("You are not allowed")
    no_shift = await run(app, LEAD, COORD, "rota clear", shift="7")
    assert no_shift.text == "There is no shift #7."
    assert await app.services["rota"].repo.shifts() == []
    assert await app.scheduler.jobs.pending() == []
    shown = await run(app, LEAD, COORD, "rota show")
    assert shown.text == "No shifts are planned."


async def test_show_in_the_readers_language_and_clear_with_confirmation(app: Haven) -> None:
    await set_shift(app, ANN, "moderator", "monday", "22:00", "06:00")
    added = await set_shift(app, BOB, "youth_worker", "2026-03-25", "14:00", "18:00", True)
    assert added.text.startswith("Shift added: #2 Wednesday 25 Mar 2026 14:00–18:00")
    await app.people.set_language(await pid(app, LEAD), "nl")
    shown = (await run(app, LEAD, COORD, "rota show")).text.splitlines()
    assert shown == [
        "Dienstrooster:",
        "#1 maandag 22:00–06:00 · Moderator · @ann",
        "#2 woensdag 25 mrt 2026 14:00–18:00 · Jongerenwerker · @bob (reserve)",
    ]
    week = (await run(app, BOB, WORKER, "rota show", week=True)).text.splitlines()
    assert week[1:] == [
        "#1 Monday 23 Mar 22:00–06:00 · Moderator · @ann",
        "#2 Wednesday 25 Mar 14:00–18:00 · Youth worker · @bob (backup)",
    ]
    prompt = await run(app, LEAD, COORD, "rota clear", shift="1")
    assert prompt.kind is ReplyKind.CONFIRM
    assert len(await app.services["rota"].repo.shifts()) == 2  # nothing before confirming
    code = prompt.buttons[0].action.split(":")[1]
    done = await run(app, LEAD, COORD, "confirm", code=code)
    assert done.text == "Dienst #1 verwijderd."
    assert [s.shift_id for s in await app.services["rota"].repo.shifts()] == [2]
    assert [j.job_id for j in await app.scheduler.jobs.pending()] == ["rota:shift:2"]
    actions = [e.action for e in await app.audit.for_object("rota_shift:1")]
    assert actions == ["rota.shift_set", "rota.shift_clear"]


async def test_personal_data_and_retention(app: Haven, clock: MovableClock) -> None:
    rota = app.services["rota"]
    assert rota in app.personal_data
    assert {r.table for r in app.retained} >= {"rota_shift", "rota_oncall"}
    ann, bob = await pid(app, ANN), await pid(app, BOB)
    await set_shift(app, ANN, "moderator", "monday", "22:00", "06:00")
    await set_shift(app, BOB, "moderator", "tuesday", "22:00", "06:00")
    await run(app, ANN, MOD, "oncall start")
    exported = await rota.export(ann)
    assert [s["weekday"] for s in exported["shifts"]] == [0]
    assert len(exported["on_call"]) == 1 and exported["on_call"][0]["duty"] == "moderator"
    assert await rota.erase(ann, clock.now()) == []
    assert await rota.export(ann) == {"shifts": [], "on_call": []}
    assert await rota.on_duty(Duty.MODERATOR, clock.now()) == OnDuty()
    assert [s.person_id for s in await rota.repo.shifts()] == [bob]
    assert [j.job_id for j in await app.scheduler.jobs.pending()] == ["rota:shift:2"]

    # The purge removes ended on-call rows and past dated shifts, never weekly shifts.
    await run(app, BOB, MOD, "oncall start")
    await set_shift(app, ANN, "moderator", "2026-03-24", "09:00", "10:00")
    counts = await app.services["retention"].purge(clock.now() + timedelta(days=400))
    assert counts["rota_oncall"] == 1 and counts["rota_shift"] == 1
    assert [s.person_id for s in await rota.repo.shifts()] == [bob]
