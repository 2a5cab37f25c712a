"""Running discreet commands (`case ...`) through the parity drivers.

On Discord a discreet slash command is answered ephemerally, which `driver.run` already
reads. On Matrix the typed line is redacted at once and every answer (prompts and errors
too) arrives in the direct room with the bot, which `driver.run` does not wait for.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import MessageRef
from bot.embedded.simulated_member import body
from tests.support.drivers import (
    Answer,
    _matrix_actions,
    _matrix_line,
    _seen,
    _strip_hints,
    _unsolicited,
)


async def run_discreet(
    driver: Any, who: Any, command: str, /, typed: list[MessageRef] | None = None, **args: Any
) -> Answer:
    """Run `command` and return the private answer; `typed` collects the typed line (Matrix)."""
    if driver.platform != "matrix":
        return await driver.run(who, command, **args)
    line = _matrix_line(driver.app, command, args)
    event_id = await who.send(driver.lobby, line)
    if typed is not None:
        typed.append(MessageRef("matrix", driver.lobby, event_id, driver.person(who), line))
    return await _next_private(driver, who)


async def press_discreet(driver: Any, who: Any, answer: Answer, action_prefix: str) -> Answer:
    """Press a control of a private prompt; the answer is remembered as seen (Matrix)."""
    pressed = await driver.press(who, answer, action_prefix)
    if driver.platform == "matrix":
        _seen(who).add(pressed.raw["event_id"])
    return pressed


async def _next_private(driver: Any, who: Any) -> Answer:
    bot = driver.space.bot.user_id
    shared = set(driver.space.layout.rooms.values())  # e.g. an earlier test's announcement
    _, event = await who.wait_for(
        lambda r, e: (
            r not in shared
            and e.get("type") == "m.room.message"
            and e.get("sender") == bot
            and e.get("event_id") not in _seen(who)
            and not _unsolicited(driver.app, e)
        )
    )
    _seen(who).add(event["event_id"])
    return Answer(_strip_hints(body(event)), True, _matrix_actions(driver.app, event), event)
