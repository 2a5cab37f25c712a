"""The discussion-room scene of `haven demo` (played by `demo.scenes()`)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from bot.embedded.simulated_member import body

if TYPE_CHECKING:
    from bot.embedded.demo import DemoStage
    from bot.embedded.simulated_member import SimulatedMember


async def _write(stage: DemoStage, name: str, room_id: str, text: str) -> str | None:
    """`name` writes in the discussion room; the transcript shows whether it went through."""
    stage.say(f"{name:>8} │ (in the room) {text}")
    try:
        event_id = await stage.members[name].send(room_id, text)
    except RuntimeError:
        stage.say(f"{'':>8} │ → refused by the server (power levels)")
        return None
    return event_id


async def _bot_post(stage: DemoStage, member: SimulatedMember, room_id: str, needle: str) -> str:
    bot = stage.setup.settings.matrix.user_id
    _, event = await member.wait_for(
        lambda r, e: r == room_id and e.get("sender") == bot and needle in body(e), timeout=20
    )
    stage._shown.add(event["event_id"])  # printed here, not again by `announcements`
    return body(event)


async def scene_discussion_room(stage: DemoStage) -> None:
    """A youth worker opens a discussion room; members accept the rules, ask, slow down."""
    stage.narrate("A youth worker opens a discussion room; members accept its house rules")
    if "Worker" not in stage.members:
        await stage.member("Worker", power=20)
    for name in ("Fay", "Gus"):
        await stage.member(name)
    reply = await stage.command("Worker", '!room open "Feeling left out online" --for 1h')
    number = int(re.search(r"#(\d+)", reply)[1])  # type: ignore[index]
    room = await stage.app.services["rooms"].repo.get(number)
    room_id = room.platform_room_id
    for name in ("Worker", "Fay", "Gus"):
        await stage.members[name].join(room_id)
    for needle in ("Discussion room #", "House rules"):
        stage._print("Haven", await _bot_post(stage, stage.members["Fay"], room_id, needle))
    await _write(stage, "Fay", room_id, "hi, can I say something?")
    await stage.command("Fay", f"!room accept {number}")
    await _write(stage, "Fay", room_id, "sometimes I feel nobody online gets me")

    stage.narrate("An anonymous question: the typed command vanishes, the bot asks it")
    await stage.command("Gus", f"!room accept {number}")
    line = f"!room ask Is it normal to feel angry about this? --room {number}"
    stage.say(f"{'Gus':>8} │ {line}")
    await stage.members["Gus"].send(stage.setup.layout.rooms["lobby"], line)
    stage._print("Haven", await _bot_post(stage, stage.members["Fay"], room_id, "Anonymous"))

    stage.narrate("Slow mode: Haven removes a message sent too soon (Matrix has none itself)")
    await stage.command("Worker", f"!room slowmode 30 --room {number}")
    await _write(stage, "Fay", room_id, "one more thing")
    await _write(stage, "Fay", room_id, "and another!")
    await asyncio.sleep(1.0)
    stage._print("Haven", "(the second message was redacted; Fay was told privately)")
    await stage.command("Fay", "!room list")

    stage.narrate("The facilitator closes the room: nobody can write any more")
    prompt = await stage.command("Worker", f"!room close {number}")
    code = re.search(r"\(code ([0-9A-F]{6})\)", prompt)
    if code is not None:
        await stage.command("Worker", f"!confirm {code[1]}")
    await _bot_post(stage, stage.members["Fay"], room_id, "is closed")  # shown by announcements
    await _write(stage, "Fay", room_id, "wait, one last thing")
