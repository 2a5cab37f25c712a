"""Discussion rooms on a real Synapse and on the Discord emulator: the same scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.capabilities import Role
from tests.support.rooms_driver import (
    accept_rules,
    bot_post,
    enter,
    message_gone,
    room_number,
    room_ref,
    say,
    text_of,
)
from tests.support.waiting import eventually


async def test_a_discussion_room_from_open_to_close(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    alice = await driver.member("alice")
    bob = await driver.member("bob")
    opened = await driver.run(worker, "room open", topic="Online hate")
    number = room_number(opened)
    room = await room_ref(driver, number)
    for who in (worker, alice, bob):
        await enter(driver, who, room)
    welcome = text_of(driver, await bot_post(driver, alice, room, "Discussion room #"))
    assert "Online hate" in welcome and driver.person(worker).user_id in welcome

    # Before accepting, the platform itself refuses the member's message.
    assert await say(driver, alice, room, "can I talk?") is None
    accepted = await accept_rules(driver, alice, room)
    assert "accepted the house rules" in accepted
    assert await say(driver, alice, room, "hello everyone") is not None
    assert await say(driver, bob, room, "me too?") is None  # bob has not accepted

    # An anonymous question: the typed command vanishes, the bot posts it without a name.
    typed = await say(driver, alice, room, "!room ask Is it normal to feel angry?")
    assert typed is not None
    await message_gone(driver, bob, typed)
    question = text_of(driver, await bot_post(driver, bob, room, "Anonymous question"))
    assert question == "❓ Anonymous question: Is it normal to feel angry?"
    from_lobby = await driver.post(alice, f"!room ask And from the lobby? --room {number}")
    await message_gone(driver, bob, from_lobby)
    await bot_post(driver, bob, room, "And from the lobby?")

    # Accepting by command from elsewhere works too (answered privately).
    answer = await driver.run(bob, "room accept", room=number)
    assert answer.private
    assert await say(driver, bob, room, "now I can talk") is not None

    listed = await driver.run(bob, "room list")
    assert f"#{number} Online hate" in listed.text

    # Slow mode: a second message within the minute is refused (Discord) or removed (Matrix).
    refused = await driver.run(bob, "room slowmode", seconds=60, room=number)
    assert "Only the facilitator" in refused.text
    await driver.run(worker, "room slowmode", seconds=60, room=number)
    await bot_post(driver, alice, room, "Slow mode")
    first = await say(driver, alice, room, "first")
    assert first is not None
    second = await say(driver, alice, room, "second")
    if second is not None:  # Matrix: Haven removes it
        await message_gone(driver, bob, second)

    prompt = await driver.run(worker, "room close", room=number)
    done = await driver.press(worker, prompt, "confirm")
    assert "closed and archived" in done.text
    await bot_post(driver, bob, room, "is closed")

    async def nobody_writes() -> bool:
        for who in (alice, worker):
            if await say(driver, who, room, "still here?") is not None:
                return False
        return True

    await eventually(nobody_writes)
    listed = await driver.run(bob, "room list")
    assert "No discussion rooms are open" in listed.text


async def test_a_room_closes_itself_after_its_duration(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    alice = await driver.member("alice")
    opened = await driver.run(worker, "room open", topic="Short talk", duration="10m")
    room = await room_ref(driver, room_number(opened))
    await enter(driver, alice, room)
    await accept_rules(driver, alice, room)
    assert await say(driver, alice, room, "quick thought") is not None
    ran = await driver.app.scheduler.run_due(datetime.now(UTC) + timedelta(minutes=11))
    assert ran >= 1
    await bot_post(driver, alice, room, "is closed")
    assert await say(driver, alice, room, "too late?") is None
