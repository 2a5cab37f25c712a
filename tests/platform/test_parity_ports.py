"""The platform ports (moderation, private rooms, roles, message menus) on both platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.capabilities import Role
from bot.core.commands import Command, Param, ParamType
from bot.core.errors import UserError
from bot.core.replies import Attachment, Reply
from tests.support.test_commands import wipe_command
from tests.support.waiting import eventually


@pytest.fixture
def haven_setup():
    async def quote(ctx, message) -> Reply:
        if message is None:
            return Reply("no message")
        return Reply(f"quoted: {message.body} by {message.author.user_id}", private=False)

    async def picture(ctx) -> Reply:
        return Reply(
            "here", attachments=(Attachment("dot.png", tiny_png(), "image/png", "a dot"),)
        )

    async def whisper(ctx, text: str) -> Reply:
        if text == "bad":
            raise UserError("error.internal", reference="x")
        return Reply(f"heard: {text}", private=True)

    def setup(app) -> None:
        app.registry.add(
            Command("whisper", whisper, params=(Param("text", ParamType.TEXT),), discreet=True)
        )
        app.registry.add(Command("picture", picture))
        app.registry.add(Command("quote", quote, message_menu_key="confirm.yes"))
        app.registry.add(wipe_command([], confirm=False))

    return setup


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


async def test_reply_with_an_image(driver):
    alice = await driver.member("alice")
    answer = await driver.run(alice, "picture")
    assert answer.text == "here"
    assert await driver.attachments_of(alice, answer) == [("dot.png", tiny_png())]


async def test_message_menu_receives_the_target_message(driver):
    alice = await driver.member("alice")
    bob = await driver.member("bob")
    target = await driver.post(alice, "look at this")
    answer = await driver.run_on_message(bob, "quote", target)
    assert answer.text == f"quoted: look at this by {driver.person(alice).user_id}"


async def test_remove_message(driver):
    alice = await driver.member("alice")
    observer = await driver.member("observer")
    message = await driver.post(alice, "something to remove")
    await driver.adapter.moderation.remove_message(message, "test")
    await driver.wait_message_removed(observer, message)


async def test_timeout_and_lift(driver):
    alice = await driver.member("alice")
    person = driver.person(alice)
    until = datetime.now(UTC) + timedelta(minutes=10)
    await driver.adapter.moderation.timeout(person, until, "cooling off")
    await eventually(lambda: driver.is_muted(alice))
    await driver.adapter.moderation.lift_timeout(person, "done")

    async def unmuted() -> bool:
        return not await driver.is_muted(alice)

    await eventually(unmuted)


async def test_remove_from_space(driver):
    alice = await driver.member("alice")
    assert await driver.in_space(alice)
    await driver.adapter.moderation.remove_from_space(driver.person(alice), "test")

    async def gone() -> bool:
        return not await driver.in_space(alice)

    await eventually(gone)


async def test_private_room_with_members(driver):
    alice = await driver.member("alice")
    room = await driver.adapter.space_admin.open_private_room(
        "help for alice", [driver.person(alice)], parent=driver.lobby_ref
    )
    assert room.private
    await driver.wait_invited(alice, room)


async def test_role_change_grants_capabilities(driver):
    alice = await driver.member("alice")
    refused = await driver.run(alice, "test wipe", count=1)
    assert refused.text.startswith("You are not allowed")
    await driver.adapter.space_admin.set_role(driver.person(alice), Role.YOUTH_WORKER.value, True)

    async def allowed() -> bool:
        return (await driver.run(alice, "test wipe", count=1)).text == "wiped 1"

    await eventually(allowed)


async def test_posting_in_a_room_and_privately_with_mentions(driver):
    alice = await driver.member("alice")
    bob = await driver.member("bob")
    platform = driver.adapter
    person = driver.person(bob)
    text = f"Welcome {platform.mention(person)}!"
    posted = await platform.send(driver.lobby_ref, Reply(text, mentions=(person,)))
    private = await platform.send_private(person, Reply("Only for you."))
    assert posted.room_id == driver.lobby_ref.room_id
    assert private.room_id != driver.lobby_ref.room_id
    await driver.wait_seen(bob, posted, text)
    await driver.wait_seen(bob, private, "Only for you.")
    mentioned = await driver.mentioned_users(alice, posted)
    assert mentioned == [person.user_id]


async def test_closing_a_private_room(driver):
    alice = await driver.member("alice")
    room = await driver.adapter.space_admin.open_private_room(
        "to be closed", [driver.person(alice)], parent=driver.lobby_ref
    )
    await driver.wait_invited(alice, room)
    await driver.adapter.space_admin.close_room(room, "retention")
    await eventually(lambda: driver.room_closed(alice, room))


async def test_discreet_command_leaves_no_trace_in_the_room(driver):
    ann, observer = await driver.member("ann"), await driver.member("obs")
    for line, expected in (("!whisper secret words", "heard: secret words"),
                           ("!whisper bad", "reference x")):  # fmt: skip
        typed = await driver.post(ann, line)
        await driver.wait_message_removed(observer, typed)
        assert expected in await private_text(driver, ann, expected)
        assert not await lobby_mentions(driver, observer, expected)
    if driver.platform == "discord":  # slash: answered only to the person who asked
        answer = await driver.run(ann, "whisper", text="quiet")
        assert answer.private and answer.text == "heard: quiet"


async def private_text(driver, who, needle: str) -> str:
    """A bot message containing `needle` that only `who` received (DM)."""
    if driver.platform == "matrix":
        lobby = driver.lobby
        _, event = await who.wait_for(
            lambda r, e: r != lobby and e.get("sender") == driver.space.bot.user_id
            and needle in e.get("content", {}).get("body", "")
        )  # fmt: skip
        return event["content"]["body"]
    dm = driver.emulator.dm_channel(who)
    await eventually(lambda: any(needle in m["content"] for m in driver.emulator.messages(dm)))
    return next(m["content"] for m in driver.emulator.messages(dm) if needle in m["content"])


async def lobby_mentions(driver, observer, needle: str) -> bool:
    """True when anything in the lobby, as `observer` sees it, contains `needle`."""
    if driver.platform == "matrix":
        return any(
            r == driver.lobby and needle in e.get("content", {}).get("body", "")
            for r, e in observer.events
        )
    return any(needle in m["content"] for m in driver.emulator.messages(driver.lobby))
