"""Sessions on a real SQLite file with a movable clock, in Europe/Brussels.

Fake times are in 2027, after the real date, so the real timers armed by `Haven.start`
never fire during a test; the tests run due jobs themselves with `scheduler.run_due`,
which is what those timers do (and what happens at start-up for jobs missed while down).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.features.sessions import service as session_service
from bot.features.sessions.model import Status
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock
from tests.support.sessions_platform import AdapterPlatform
from tests.support.waiting import eventually

BRUSSELS = ZoneInfo("Europe/Brussels")
ROOM = RoomRef("recording", "lobby", "Lobby")
WORKER = frozenset({Role.MEMBER, Role.YOUTH_WORKER})
MEMBER = frozenset({Role.MEMBER})
LEA, ANN, BOB, CAS = (PersonRef("recording", n, n.title()) for n in ("lea", "ann", "bob", "cas"))
ONLY = ("basics", "sessions")


def local(*args: int) -> datetime:
    """A Brussels wall-clock moment as aware UTC."""
    return datetime(*args, tzinfo=BRUSSELS).astimezone(UTC)


# Monday 22 March 2027, noon in Brussels: the spring DST change is on Sunday 28 March.
T0 = local(2027, 3, 22, 12, 0)


def make_app(path: Path, clock: MovableClock, platform: AdapterPlatform, features=ONLY) -> Haven:
    app = Haven(Settings(database=DatabaseSettings(path=path)), clock=clock, features=features)
    app.adapters.append(platform)  # jobs reach the platform through `app.platform(name)`
    return app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def platform() -> AdapterPlatform:
    return AdapterPlatform()


@pytest.fixture
async def app(tmp_path: Path, clock: MovableClock, platform: AdapterPlatform):
    haven = make_app(tmp_path / "h.db", clock, platform)
    await haven.open()
    yield haven
    await haven.close()


async def run(app: Haven, who: PersonRef, roles: frozenset[Role], name: str, **args) -> Reply:
    command = app.registry.get(name)
    assert command is not None, name
    return await app.dispatcher.invoke(
        Invocation(command, who, roles, ROOM, args), app.platform("recording")
    )


async def pid(app: Haven, who: PersonRef) -> str:
    return (await app.people.ensure_person(who.platform, who.user_id)).person_id


async def schedule(app: Haven, **args) -> Reply:
    reply = await run(app, LEA, WORKER, "session schedule", **args)
    assert reply.kind is ReplyKind.INFO, reply.text
    return reply


async def jobs(app: Haven) -> dict[str, datetime]:
    return {j.job_id: j.run_at for j in await app.scheduler.jobs.pending()}


def room_posts(platform: AdapterPlatform) -> list[str]:
    return [r.text for room, r in platform.sent if room == ROOM.room_id]


async def test_weekly_session_keeps_its_local_time_across_dst(
    app: Haven, clock: MovableClock, platform: AdapterPlatform
) -> None:
    announced = await schedule(app, title="Games night", when="2027-03-26 19:00", every="weekly")
    assert announced.text.splitlines() == [
        "📅 Session #1: Games night",
        "Fri 26 Mar 19:00 · every Friday at 19:00 · 60 min",
        "Sign up with the button below.",
    ]
    [button] = announced.buttons
    assert button.action == "session rsvp:1" and button.personal is False
    assert await jobs(app) == {
        "session:1:remind": local(2027, 3, 26, 18, 30),
        "session:1:start": local(2027, 3, 26, 19, 0),
    }
    assert local(2027, 3, 26, 19, 0) == datetime(2027, 3, 26, 18, 0, tzinfo=UTC)  # CET
    clock.current = local(2027, 3, 26, 19, 0)
    assert await app.scheduler.run_due() == 2  # the reminder (nobody signed up) and start
    assert room_posts(platform)[-1] == "▶️ Session #1 “Games night” is on now (19:00–20:00)."
    # After the DST change, still 19:00 local: 17:00 UTC.
    assert await jobs(app) == {
        "session:1:remind": datetime(2027, 4, 2, 16, 30, tzinfo=UTC),
        "session:1:start": datetime(2027, 4, 2, 17, 0, tzinfo=UTC),
    }
    assert await app.scheduler.run_due() == 0  # never twice
    # Autumn: the last Friday in CEST, then back to CET, both at 19:00 local.
    session = await app.services["sessions"].repo.get(1)
    last_cest, first_cet = local(2027, 10, 29, 19, 0), local(2027, 11, 5, 19, 0)
    assert session.following(local(2027, 10, 22, 19, 0)) == last_cest
    assert last_cest == datetime(2027, 10, 29, 17, 0, tzinfo=UTC)
    assert session.following(last_cest) == first_cet
    assert first_cet == datetime(2027, 11, 5, 18, 0, tzinfo=UTC)


async def test_daily_and_cron_recurrence_in_another_zone(app: Haven, clock: MovableClock) -> None:
    await schedule(app, title="Check-in", when="2027-03-23 09:00", every="daily", length="15m")
    # Crontab day 5 is Friday, 0 is Sunday (not APScheduler's Monday-first numbers).
    cron = await schedule(app, title="Sunday talk", when="2027-03-22 13:00",
                          every="0 20 * * 0", zone="Europe/London")  # fmt: skip
    assert "on the schedule “0 20 * * 0”" in cron.text
    assert "Sun 28 Mar 20:00 (Europe/London)" in cron.text
    service = app.services["sessions"]
    daily, sunday = await service.repo.get(1), await service.repo.get(2)
    assert daily.next_at == local(2027, 3, 23, 9, 0)
    assert daily.following(daily.next_at) == local(2027, 3, 24, 9, 0)
    # London 20:00 on 28 March is BST (19:00 UTC), the week after too.
    assert sunday.next_at == datetime(2027, 3, 28, 19, 0, tzinfo=UTC)
    assert sunday.following(sunday.next_at) == datetime(2027, 4, 4, 19, 0, tzinfo=UTC)
    listed = (await run(app, ANN, MEMBER, "session list")).text.splitlines()
    assert listed == [
        "Upcoming sessions:",
        "#1 Check-in · Tue 23 Mar 09:00 · every day at 09:00 · 0 going",
        "#2 Sunday talk · Sun 28 Mar 20:00 (Europe/London) · on the schedule “0 20 * * 0” "
        "· 0 going",
    ]


async def test_rsvp_by_command_and_button_and_reminders_in_each_language(
    app: Haven, clock: MovableClock, platform: AdapterPlatform
) -> None:
    await schedule(app, title="Games night", when="2027-03-26 19:00", every="weekly",
                   remind="1h")  # fmt: skip
    await app.people.set_language(await pid(app, BOB), "nl")
    done = await run(app, ANN, MEMBER, "session rsvp", session="1")
    assert done.private and done.text == (
        "You're signed up for “Games night” (session #1), next on Fri 26 Mar 19:00. "
        "You'll get a reminder 60 min before each time."
    )
    # The button's action runs `session rsvp 1`, as both adapters do.
    by_button = await run(app, BOB, MEMBER, "session rsvp", session="1")
    assert by_button.text.startswith("Je bent ingeschreven voor “Games night” (sessie #1)")
    twice = await run(app, ANN, MEMBER, "session rsvp", session="1")
    assert twice.kind is ReplyKind.ERROR
    assert twice.text == "You're already signed up for “Games night”."
    await run(app, CAS, MEMBER, "session rsvp", session="1")
    left = await run(app, CAS, MEMBER, "session rsvp", session="1", cancel=True)
    assert left.text == "You're no longer signed up for “Games night”."
    info = (await run(app, ANN, MEMBER, "session info", session="1")).text.splitlines()
    assert "Signed up: 2" in info and "You're signed up." in info

    clock.current = local(2027, 3, 26, 18, 0)
    assert await app.scheduler.run_due() == 1
    assert platform.private_to("ann") == [
        "⏰ Reminder: “Games night” (session #1) starts in 60 min, on Fri 26 Mar 19:00."
    ]
    assert platform.private_to("bob") == [
        "⏰ Herinnering: “Games night” (sessie #1) begint over 60 min, op vr 26 mrt 19:00."
    ]
    assert platform.private_to("cas") == []
    assert await app.scheduler.run_due() == 0
    # The next week: the series' RSVPs still hold (per series), reminded once again.
    clock.current = local(2027, 3, 26, 19, 0)
    await app.scheduler.run_due()
    clock.current = local(2027, 4, 2, 18, 0)
    assert await app.scheduler.run_due() == 1
    assert (
        len(platform.private_to("ann")) == 2
        and "Fri 2 Apr 19:00" in (platform.private_to("ann")[-1])
    )


async def test_missed_while_down(
    tmp_path: Path, clock: MovableClock, platform: AdapterPlatform
) -> None:
    app = make_app(tmp_path / "h.db", clock, platform)
    await app.open()
    await schedule(app, title="Games night", when="2027-03-26 19:00", every="weekly")
    await run(app, ANN, MEMBER, "session rsvp", session="1")
    await app.close()

    # Down over the reminder time, back before the start: the reminder goes out once.
    clock.current = local(2027, 3, 26, 18, 45)
    again = make_app(tmp_path / "h.db", clock, platform)
    await again.start()  # restores both jobs and arms their timers
    try:
        assert set(await jobs(again)) == {"session:1:remind", "session:1:start"}
        assert again.scheduler.armed_at == local(2027, 3, 26, 18, 30)  # the timer is set
        assert await again.scheduler.run_due() == 1  # what the timer does for a past job
        assert platform.private_to("ann") == [
            "⏰ Reminder: “Games night” (session #1) starts in 15 min, on Fri 26 Mar 19:00."
        ]
    finally:
        await again.close()

    # Down over two whole occurrences (26 March and 2 April: start and end): nothing is
    # sent late, no start notice, and the next occurrence to come (9 April) is armed.
    clock.current = local(2027, 4, 9, 12, 0)
    third = make_app(tmp_path / "h.db", clock, platform)
    await third.start()
    try:
        await third.scheduler.run_due()
        assert len(platform.private_to("ann")) == 1
        assert room_posts(platform) == []
        assert await jobs(third) == {
            "session:1:remind": local(2027, 4, 9, 18, 30),
            "session:1:start": local(2027, 4, 9, 19, 0),
        }
        # Down over a reminder only, back after the start: skipped, never sent late.
        clock.current = local(2027, 4, 9, 19, 10)
        assert await third.scheduler.run_due() == 2
        assert len(platform.private_to("ann")) == 1
        assert room_posts(platform)[-1].startswith("▶️ Session #1")  # still running: noticed
    finally:
        await third.close()


async def test_no_second_reminder_after_a_crash_mid_fan_out(
    tmp_path: Path, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_service, "FANOUT_CONCURRENCY", 1)  # one in flight: exact
    crashing = AdapterPlatform(crash_after=3)
    app = make_app(tmp_path / "h.db", clock, crashing)
    await app.open()
    await schedule(app, title="Games night", when="2027-03-26 19:00", every="weekly")
    members = [PersonRef("recording", f"m{n}", f"M{n}") for n in range(10)]
    for member in members:
        await run(app, member, MEMBER, "session rsvp", session="1")
    clock.current = local(2027, 3, 26, 18, 40)
    fan_out = asyncio.create_task(app.scheduler.run_due())
    await eventually(lambda: crashing.private_count >= 3)
    fan_out.cancel()  # the process dies here: 3 delivered, the 3rd not yet acknowledged
    await asyncio.gather(fan_out, return_exceptions=True)
    await app.close()
    assert not await app_pending_reminder(tmp_path)  # the scheduler had claimed the job

    healthy = AdapterPlatform()
    again = make_app(tmp_path / "h.db", clock, healthy)
    await again.start()  # reconciliation resumes the fan-out for the others only
    try:
        got = {m.user_id: len(crashing.private_to(m.user_id)) + len(healthy.private_to(m.user_id))
               for m in members}  # fmt: skip
        assert got == {m.user_id: 1 for m in members}
        assert sum(1 for room, _ in healthy.sent if room.startswith("dm:")) == 7
        session = await again.services["sessions"].repo.get(1)
        assert session.reminded_for == session.next_at
        await again.close()
        # A later restart does not start it again.
        third = make_app(tmp_path / "h.db", clock, healthy)
        await third.start()
        await third.scheduler.run_due()
        assert sum(1 for room, _ in healthy.sent if room.startswith("dm:")) == 7
        await third.close()
    finally:
        await again.close()


async def app_pending_reminder(tmp_path: Path) -> bool:
    from bot.storage.database import Database
    from bot.storage.job_repository import JobRepository

    db = Database(tmp_path / "h.db")
    await db.open()
    try:
        return any(j.job_id == "session:1:remind" for j in await JobRepository(db).pending())
    finally:
        await db.close()


async def test_bad_input_is_refused_and_changes_nothing(app: Haven, clock: MovableClock) -> None:
    refusals = {
        "The session must start in the future.": dict(title="x", when="2027-03-21 19:00"),
        "“fortnightly” is not a repetition: use weekly, daily or a cron expression such as "
        "“0 19 * * 5” (Fridays at 19:00).": dict(title="x", when="2027-03-26 19:00",
                                                 every="fortnightly"),
        "“61 * * * *” is not a repetition: use weekly, daily or a cron expression such as "
        "“0 19 * * 5” (Fridays at 19:00).": dict(title="x", when="2027-03-26 19:00",
                                                 every="61 * * * *"),
        "“Mars/Olympus” is not a time zone: use a name such as Europe/Brussels.": dict(
            title="x", when="2027-03-26 19:00", zone="Mars/Olympus"),
        "A session lasts at most 24 hours.": dict(title="x", when="2027-03-26 19:00",
                                                  length="2d"),
    }  # fmt: skip
    for expected, args in refusals.items():
        reply = await run(app, LEA, WORKER, "session schedule", **args)
        assert reply.kind is ReplyKind.ERROR and reply.text == expected, reply.text
    assert (await run(app, LEA, WORKER, "session schedule", title="x", when="someday")).kind is (
        ReplyKind.ERROR
    )
    member = await run(app, ANN, MEMBER, "session schedule", title="x", when="2027-03-26 19:00")
    assert member.text.startswith("You are not allowed")
    assert await app.services["sessions"].repo.scheduled() == []
    assert await jobs(app) == {}

    await schedule(app, title="Games night", when="2027-03-26 19:00")
    unknown = await run(app, ANN, MEMBER, "session rsvp", session="9")
    assert unknown.text == "There is no session #9 here."
    not_going = await run(app, ANN, MEMBER, "session rsvp", session="1", cancel=True)
    assert not_going.text == "You were not signed up for “Games night”."
    not_yours = await run(app, ANN, MEMBER, "session cancel", session="1")
    assert not_yours.kind is ReplyKind.ERROR
    assert not_yours.text == "Only the organiser of session #1 or a youth worker can cancel it."
    assert (await app.services["sessions"].repo.get(1)).status is Status.SCHEDULED
    assert set(await jobs(app)) == {"session:1:remind", "session:1:start"}


async def test_cancel_with_confirmation_tells_those_who_signed_up(
    app: Haven, platform: AdapterPlatform
) -> None:
    await schedule(app, title="Games night", when="2027-03-26 19:00", every="weekly")
    await app.people.set_language(await pid(app, BOB), "fr")
    for who in (ANN, BOB):
        await run(app, who, MEMBER, "session rsvp", session="1")
    prompt = await run(app, LEA, WORKER, "session cancel", session="1")
    assert prompt.kind is ReplyKind.CONFIRM
    assert prompt.text.startswith("Cancel session #1? Everyone who signed up will be told.")
    assert (await app.services["sessions"].repo.get(1)).status is Status.SCHEDULED
    code = prompt.buttons[0].action.split(":")[1]
    done = await run(app, LEA, WORKER, "confirm", code=code)
    assert done.text == "“Games night” is cancelled; 2 people who signed up were told."
    assert platform.private_to("ann") == [
        "Session #1 “Games night” (Fri 26 Mar 19:00) is cancelled. Sorry!"
    ]
    assert platform.private_to("bob") == [
        "La séance n°1 « Games night » (ven. 26 mars 19:00) est annulée. Désolé !"
    ]
    assert await jobs(app) == {}
    again = await run(app, ANN, MEMBER, "session rsvp", session="1")
    assert again.text == "Session #1 “Games night” is over or cancelled."
    assert (await run(app, ANN, MEMBER, "session list")).text == "No sessions are planned."
    actions = [e.action for e in await app.audit.for_object("session:1")]
    assert actions[0] == "sessions.schedule" and actions[-1] == "sessions.cancel"


async def test_list_and_info_in_the_readers_language(app: Haven) -> None:
    await schedule(app, title="Spelavond", when="2027-03-26 19:00", every="weekly")
    await app.people.set_language(await pid(app, ANN), "nl")
    await run(app, ANN, MEMBER, "session rsvp", session="1")
    listed = (await run(app, ANN, MEMBER, "session list")).text.splitlines()
    assert listed == [
        "Komende sessies:",
        "#1 Spelavond · vr 26 mrt 19:00 · elke vrijdag om 19:00 · 1 ingeschreven · ✓ jij ook",
    ]
    info = (await run(app, ANN, MEMBER, "session info", session="1")).text.splitlines()
    assert info[:3] == ["Sessie #1: Spelavond", "Status: gepland", "Volgende: vr 26 mrt 19:00"]


async def test_one_off_ends_personal_data_and_retention(
    tmp_path: Path, clock: MovableClock, platform: AdapterPlatform
) -> None:
    app = make_app(tmp_path / "h.db", clock, platform, ("basics", "privacy", "sessions"))
    await app.open()
    try:
        service = app.services["sessions"]
        assert service in app.personal_data
        assert {r.table for r in app.retained} >= {"session", "session_reminder"}
        await schedule(app, title="Once", when="2027-03-23 19:00")
        await schedule(app, title="Weekly", when="2027-03-24 19:00", every="weekly")
        ann, lea = await pid(app, ANN), await pid(app, LEA)
        for sid in ("1", "2"):
            await run(app, ANN, MEMBER, "session rsvp", session=sid)
        clock.current = local(2027, 3, 23, 19, 0)
        await app.scheduler.run_due()
        assert (await service.repo.get(1)).status is Status.ENDED
        assert "session:1:start" not in await jobs(app)
        exported = await service.export(ann)
        assert [r["session"] for r in exported["rsvps"]] == [1, 2]
        assert [s["session"] for s in (await service.export(lea))["organised"]] == [1, 2]

        # 90 days after it ended the one-off goes, with its RSVPs; the live series stays.
        retention = app.services["retention"]
        counts = await retention.purge(local(2027, 6, 20, 12, 0))
        assert counts["session"] == 0
        counts = await retention.purge(local(2027, 6, 22, 12, 0))
        assert counts["session"] == 1
        assert await service.repo.get(1) is None
        assert [r["session"] for r in (await service.export(ann))["rsvps"]] == [2]

        assert await service.erase(ann, clock.now()) == []
        assert (await service.export(ann))["rsvps"] == []
        await service.erase(lea, clock.now())
        assert (await service.export(lea))["organised"] == []
        assert (await service.repo.get(2)).status is Status.SCHEDULED  # others' plans stay
    finally:
        await app.close()


async def test_announced_in_another_place(app: Haven, platform: AdapterPlatform) -> None:
    events = RoomRef("recording", "events", "Events")
    reply = await schedule(app, title="Talk", when="2027-03-24 19:00", place=events)
    assert reply.text == "Session #1 is announced in Events."
    [announcement] = [m for r, m in platform.sent if r == "events"]
    assert announcement.text.startswith("📅 Session #1: Talk")
    assert announcement.buttons[0].action == "session rsvp:1"
    assert (await app.services["sessions"].repo.get(1)).room_id == "events"
