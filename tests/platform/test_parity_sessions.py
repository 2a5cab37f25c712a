"""A weekly session on each platform: RSVP by command and by button, the reminder arrives
privately across a restart, and a confirmed cancellation tells those who signed up."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.capabilities import Role
from bot.embedded.simulated_member import body

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M")


async def wait_private(driver, who, needle: str) -> str:
    """A message from the bot containing `needle`, in `who`'s direct room with it."""
    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        room, event = await who.wait_for(
            lambda r, e: r != driver.lobby and e.get("sender") == bot and needle in body(e)
        )
        assert room != driver.lobby
        return body(event)
    dm = driver.emulator.dm_channel(who)["id"]
    message = await driver.emulator.wait_for_message(
        predicate=lambda m: m["channel_id"] == dm and needle in m["content"],
        consume=False,
        timeout=10,
    )
    return message["content"]


async def test_weekly_session_rsvp_reminder_across_restart_and_cancel(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    ann, ben = await driver.member("ann"), await driver.member("ben")
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    created = await driver.run(
        worker, "session schedule", title="Games night", when=local(start), every="weekly"
    )
    sid = int(re.search(r"Session #(\d+)", created.text)[1])
    assert created.text.startswith(f"📅 Session #{sid}: Games night"), created.text
    assert "· every " in created.text and "Sign up with the button below." in created.text

    by_command = await driver.run(ann, "session rsvp", session=sid)
    assert by_command.private
    assert by_command.text.startswith(f"You're signed up for “Games night” (session #{sid})")
    await driver.press(ben, created, "session rsvp")  # the public RSVP button
    service = driver.app.services["sessions"]
    going = {a.user_id for a in await service.repo.attendees(sid, driver.platform)}
    assert going == {driver.person(ann).user_id, driver.person(ben).user_id}
    refused = await driver.run(ann, "session cancel", session=sid)
    assert refused.text == f"Only the organiser of session #{sid} or a youth worker can cancel it."

    await driver.restart()
    jobs = {j.job_id for j in await driver.app.scheduler.jobs.pending()}
    assert {f"session:{sid}:remind", f"session:{sid}:start"} <= jobs
    # What the restored timer does 30 minutes before the start:
    assert await driver.app.scheduler.run_due(start - timedelta(minutes=29)) >= 1
    for who in (ann, ben):
        reminder = await wait_private(driver, who, f"(session #{sid}) starts in")
        assert reminder.startswith("⏰ Reminder: “Games night”"), reminder
    # Nothing of this session is due again (other features' daily jobs, such as the
    # 03:30 purge, may fall in this window depending on when the test runs).
    again = await driver.app.scheduler.jobs.due(start - timedelta(minutes=28))
    assert not [j.job_id for j in again if j.job_id.startswith(f"session:{sid}:")]

    prompt = await driver.run(worker, "session cancel", session=sid)
    assert prompt.text.startswith(f"Cancel session #{sid}? Everyone who signed up will be told.")
    done = await driver.press(worker, prompt, "confirm")
    assert done.text == "“Games night” is cancelled; 2 people who signed up were told."
    for who in (ann, ben):
        told = await wait_private(driver, who, "is cancelled. Sorry!")
        assert told.startswith(f"Session #{sid} “Games night” (")
    remaining = {j.job_id for j in await driver.app.scheduler.jobs.pending()}
    assert not any(j.startswith(f"session:{sid}:") for j in remaining)
