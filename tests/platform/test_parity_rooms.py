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


async def test_discord_room_sits_beside_the_discussion_channel_with_overwrites(
    discord_emulator, discord_harness, tmp_path
):
    from pydantic import SecretStr

    from bot.app import Haven
    from bot.settings import DatabaseSettings, DiscordSettings, Secrets, Settings

    emu = discord_emulator
    guild = emu.create_guild("Rooms")
    lobby = emu.create_channel(guild, "lobby")
    category = emu.create_channel(guild, "Talk", type=4)
    discussion = emu.create_channel(guild, "discussion", parent=category)
    worker_role = emu.create_role(guild, "worker")["id"]
    worker, alice = emu.create_user("worker"), emu.create_user("alice")
    emu.add_member(guild, worker, roles=[worker_role])
    emu.add_member(guild, alice)
    settings = Settings(
        database=DatabaseSettings(path=tmp_path / "h.db"),
        discord=DiscordSettings(
            enabled=True,
            guild_ids=[int(guild["id"])],
            roles={Role.YOUTH_WORKER: [int(worker_role)]},
            channels={"discussion": int(discussion["id"])},
            api_base_url=emu.api_base,
            gateway_url=emu.gateway_url,
            guild_ready_timeout=0.2,
        ),
    )
    app = Haven(settings, Secrets(discord_token=SecretStr(emu.bot_token)))
    await app.start()
    try:
        handle = await emu.invoke_slash(worker, lobby, "room open", {"topic": "Online hate"})
        await handle.wait_final(timeout=10)
        stored = await app.services["rooms"].repo.get(1)
        channel = emu.channel(stored.platform_room_id)
        assert channel["parent_id"] == category["id"] and channel["name"] == "online-hate"
        send = 1 << 11

        def overwrite(target: str) -> dict | None:
            found = emu.channel(channel["id"])["permission_overwrites"]
            return next((o for o in found if o["id"] == target), None)

        assert int(overwrite(guild["id"])["deny"]) & send
        assert int(overwrite(worker["id"])["allow"]) & send
        assert overwrite(alice["id"]) is None
        click = await emu.invoke_slash(alice, lobby, "room accept", {"room": 1})
        await click.wait_final(timeout=10)
        assert int(overwrite(alice["id"])["allow"]) & send
        slow = await emu.invoke_slash(worker, lobby, "room slowmode", {"seconds": 60, "room": 1})
        await slow.wait_final(timeout=10)
        assert emu.channel(channel["id"])["rate_limit_per_user"] == 60
        closing = await emu.invoke_slash(worker, lobby, "room close", {"room": 1})
        prompt = (await closing.wait_final(timeout=10)).message
        confirm = next(
            item["custom_id"]
            for row in prompt["components"]
            for item in row["components"]
            if item["custom_id"].startswith("haven:confirm:")
        )
        await (await emu.click_button(worker, prompt, confirm)).wait_response(timeout=10)
        await emu.wait_until(lambda: overwrite(alice["id"]) is None)
        assert overwrite(worker["id"]) is None and int(overwrite(guild["id"])["deny"]) & send
    finally:
        await app.close()
