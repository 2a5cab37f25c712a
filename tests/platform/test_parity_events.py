"""Ordinary messages and newcomers reach feature observers on both platforms; commands don't."""

from __future__ import annotations

import pytest

from bot.core.events import IncomingMessage, MemberJoined
from tests.support.waiting import eventually

SEEN: dict[str, list] = {}


@pytest.fixture
def haven_setup():
    SEEN.clear()
    SEEN["messages"], SEEN["joins"] = [], []

    async def on_message(event: IncomingMessage) -> None:
        SEEN["messages"].append(event)

    async def on_join(event: MemberJoined) -> None:
        SEEN["joins"].append(event)

    def setup(app) -> None:
        app.events.on_message(on_message)
        app.events.on_join(on_join)

    return setup


async def test_messages_and_joins_reach_observers(driver):
    ann = await driver.member("ann")
    ann_ref = driver.person(ann)
    await eventually(
        lambda: any(j.person.user_id == ann_ref.user_id for j in SEEN["joins"]), timeout=10
    )
    await driver.run(ann, "ping")
    posted = await driver.post(ann, "hello there, how is everyone?")
    await eventually(lambda: bool(SEEN["messages"]), timeout=10)
    [event] = SEEN["messages"]  # the `ping` command was not handed to observers
    assert event.text == "hello there, how is everyone?"
    assert event.author.user_id == ann_ref.user_id
    assert event.message.message_id == posted.message_id
    assert event.room.room_id == driver.lobby_ref.room_id
    assert event.message.link and posted.message_id in event.message.link
    assert await driver.app.events.purpose_of(event.room, event.configured_purpose) == (
        event.configured_purpose
    )
