"""Acting inside a discussion room on either platform (additions to the parity drivers)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core.context import MessageRef, RoomRef
from bot.embedded.simulated_member import body, in_reply_to
from tests.support.drivers import Answer
from tests.support.waiting import eventually


def room_number(answer: Answer) -> int:
    """The room number in `room open`'s answer."""
    found = re.search(r"#(\d+)", answer.text)
    assert found is not None, answer.text
    return int(found[1])


async def room_ref(driver: Any, number: int) -> RoomRef:
    """The platform room of discussion room `number`."""
    room = await driver.app.services["rooms"].repo.get(number)
    assert room is not None and room.platform_room_id is not None
    return RoomRef(driver.platform, room.platform_room_id, room.topic)


async def enter(driver: Any, who: Any, room: RoomRef) -> None:
    """Join the room (Matrix: restricted to the space; Discord: every member sees it)."""
    if driver.platform == "matrix":
        await who.join(room.room_id)


async def say(driver: Any, who: Any, room: RoomRef, text: str) -> MessageRef | None:
    """Write in the room; None when the platform refused the message."""
    if driver.platform == "matrix":
        try:
            event_id = await who.send(room.room_id, text)
        except RuntimeError:
            return None
        return MessageRef("matrix", room.room_id, event_id, driver.person(who), text)
    try:
        message = await driver.emulator.send_message(who, room.room_id, text)
    except PermissionError:
        return None
    return MessageRef("discord", room.room_id, message["id"], driver.person(who), text)


async def bot_post(driver: Any, who: Any, room: RoomRef, needle: str) -> dict[str, Any]:
    """The bot's message in the room containing `needle` (Matrix event / Discord message)."""
    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        _, event = await who.wait_for(
            lambda r, e: r == room.room_id and e.get("sender") == bot and needle in body(e)
        )
        return event
    return await driver.emulator.wait_for_message(
        room.room_id, predicate=lambda m: needle in m["content"], consume=False
    )


def text_of(driver: Any, post: dict[str, Any]) -> str:
    """The text of what `bot_post` returned."""
    return body(post) if driver.platform == "matrix" else post["content"]


async def accept_rules(driver: Any, who: Any, room: RoomRef) -> str:
    """Press Accept (Discord button) or react ✅ (Matrix) on the rules; the answer's text."""
    rules = await bot_post(driver, who, room, "House rules")
    if driver.platform == "matrix":
        adapter = driver.adapter
        key = f"buttons:{rules['event_id']}"
        await eventually(lambda: adapter.state.get(key))
        spec = json.loads(await adapter.state.get(key))
        emoji = next(e for e, a in spec["actions"].items() if a.startswith("room accept:"))
        await who.react(room.room_id, rules["event_id"], emoji)
        _, event = await who.wait_for(
            lambda r, e: in_reply_to(e) == rules["event_id"] and "accepted" in body(e)
        )
        return body(event)
    custom_id = next(
        item["custom_id"]
        for row in rules.get("components") or []
        for item in row.get("components") or []
        if "room accept:" in item["custom_id"]
    )
    handle = await driver.emulator.click_button(who, rules, custom_id)
    reply = await handle.wait_response(timeout=10)
    return reply.content or ""


async def message_gone(driver: Any, observer: Any, ref: MessageRef) -> None:
    """Wait until the message was removed (redacted / deleted)."""
    await driver.wait_message_removed(observer, ref)
