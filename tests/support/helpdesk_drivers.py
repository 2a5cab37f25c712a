"""Help-desk helpers for parity scenarios: writing in a private room, who is in it.

Kept apart from tests/support/drivers.py (additive, feature-owned).
"""

from __future__ import annotations

from typing import Any

from tests.support.waiting import eventually


async def write_in_room(driver: Any, who: Any, room_id: str, text: str) -> str:
    """`who` writes `text` in a private room they were invited to; returns the message id."""
    if driver.platform == "matrix":
        await eventually(lambda: room_id in who.client.rooms, timeout=10)  # auto-joined
        return await who.send(room_id, text)
    message = await driver.emulator.send_message(who, driver.emulator.channel(room_id), text)
    return str(message["id"])


async def in_room(driver: Any, who: Any, room_id: str) -> bool:
    """True when `who` is in (or invited to) the private room."""
    if driver.platform == "matrix":
        return room_id in who.invites or room_id in who.client.rooms
    members = driver.emulator.state.thread_members.get(room_id, {})
    return str(who["id"]) in members


async def answer_containing(driver: Any, who: Any, command: str, needle: str, **args: Any) -> str:
    """Run a command whose private answer contains `needle`, and return that answer.

    On Matrix, the driver takes the first unseen bot message outside the lobby as the
    private answer; a help room's welcome can arrive first, so look for `needle`. A
    discreet command's line vanishes and its answer goes to the direct room.
    """
    declared = driver.app.registry.get(command)
    if driver.platform == "matrix" and declared is not None and declared.discreet:
        # The typed line is redacted and the answer goes to the direct room.
        from tests.support.drivers import _matrix_line

        await who.send(driver.lobby, _matrix_line(driver.app, command, args))
        return await driver.wait_posted(who, needle)
    answer = await driver.run(who, command, **args)
    if needle in answer.text:
        return answer.text
    return await driver.wait_posted(who, needle)


async def private_offer(driver: Any, who: Any, needle: str) -> Any:
    """The bot's direct message to `who` containing `needle`, as an Answer for `press`."""
    from tests.support.drivers import Answer, _Posted

    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        _, event = await who.wait_for(
            lambda r, e: r != driver.lobby and e.get("sender") == bot and needle in body_of(e)
        )
        return Answer(body_of(event), True, (), event)
    dm = driver.emulator.dm_channel(who)

    def found() -> Any:
        return next((m for m in driver.emulator.messages(dm) if needle in m["content"]), None)

    await eventually(found, timeout=10)
    message = found()
    return Answer(message["content"], True, (), _Posted(message))


def body_of(event: dict[str, Any]) -> str:
    """A Matrix event's text body."""
    return str(event.get("content", {}).get("body", ""))
