"""Private messages the bot sends on its own (notice, export file, erasure details), read
through either parity driver: a direct room on Matrix, the DM channel on Discord."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.embedded.simulated_member import body
from tests.support.drivers import _seen


def _matrix_private(driver: Any, who: Any) -> list[tuple[str, dict[str, Any]]]:
    bot = driver.space.bot.user_id
    return [(r, e) for r, e in who.events if r != driver.lobby and e.get("sender") == bot]


def _discord_dm(driver: Any, who: Any) -> list[dict[str, Any]]:
    dm = driver.emulator.dm_channel(who)["id"]
    return [
        driver.emulator.state.messages[m]
        for m in driver.emulator.message_log
        if m in driver.emulator.state.messages
        and driver.emulator.state.messages[m]["channel_id"] == dm
    ]


def private_texts(driver: Any, who: Any) -> list[str]:
    """Every private text the bot sent `who` so far."""
    if driver.platform == "matrix":
        return [body(e) for _, e in _matrix_private(driver, who)]
    return [m["content"] for m in _discord_dm(driver, who)]


async def wait_private(driver: Any, who: Any, match: Callable[[str], bool]) -> str:
    """The first private text matching `match` (on Matrix, marked as seen for `run`)."""
    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        _, event = await who.wait_for(
            lambda r, e: (
                r != driver.lobby
                and e.get("sender") == bot
                and e.get("event_id") not in _seen(who)
                and match(body(e))
            )
        )
        _seen(who).add(event["event_id"])
        return body(event)
    dm = driver.emulator.dm_channel(who)["id"]
    message = await driver.emulator.wait_for_message(
        predicate=lambda m: m["channel_id"] == dm and match(m["content"]), timeout=10
    )
    return message["content"]


async def export_file(driver: Any, who: Any) -> dict[str, Any]:
    """The next exported data file sent to `who` privately, parsed."""
    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        _, event = await who.wait_for(
            lambda r, e: (
                r != driver.lobby
                and e.get("sender") == bot
                and e.get("content", {}).get("msgtype") == "m.file"
                and e.get("event_id") not in _seen(who)
            )
        )
        _seen(who).add(event["event_id"])
        content = event["content"]
        assert content["info"]["mimetype"] == "application/json"
        downloaded = await who.client.download(mxc=content["url"])
        return json.loads(downloaded.body)
    dm = driver.emulator.dm_channel(who)["id"]
    message = await driver.emulator.wait_for_message(
        predicate=lambda m: m["channel_id"] == dm and bool(m.get("attachments")), timeout=10
    )
    [item] = message["attachments"]
    assert item["filename"].endswith(".json")
    return json.loads(driver.emulator.attachments[item["id"]])
