"""`haven demo` scene: a young person asks a youth worker for help (add to `SCENES`)."""

from __future__ import annotations

import re
from typing import Any

from bot.embedded.simulated_member import body


async def _discreet(stage: Any, name: str, line: str, needle: str) -> str:
    """`name` types a discreet command: it vanishes from the lobby, the answer comes privately."""
    member = stage.members[name]
    bot = stage.setup.settings.matrix.user_id
    stage.say(f"{name:>8} │ {line}")
    await member.send(stage.setup.layout.rooms["lobby"], line)
    _, event = await member.wait_for(
        lambda r, e: e.get("sender") == bot and needle in body(e), timeout=20
    )
    stage._shown.add(event["event_id"])
    stage._print("Haven", f"(privately) {body(event)}")
    return body(event)


async def _write(stage: Any, name: str, room_id: str, text: str) -> None:
    """`name` writes in a private room."""
    stage.say(f"{name:>8} │ (help room) {text}")
    await stage.members[name].send(room_id, text)


async def scene_help_request(stage: Any) -> None:
    """Ask a youth worker: queued while nobody is on duty, handed over at shift start,
    talked about in a private room, closed."""
    import asyncio

    stage.narrate("A young person looks for help and asks a youth worker, privately")
    await stage.member("Noor")
    await stage.member("Yusuf", power=20)
    await stage.command("Noor", "!resources feelings")
    answer = await _discreet(
        stage, "Noor", "!helpme family Things are hard at home lately", "is saved"
    )
    request = int(re.search(r"#(\d+)", answer)[1])  # type: ignore[index]
    stage.narrate("Nobody was on duty: the request waits until a youth worker comes on duty")
    await stage.command("Yusuf", "!helpdesk queue")
    await stage.command("Yusuf", "!oncall start")
    service = stage.app.services["helpdesk"]
    room = (await service.repo.get(request)).room_id
    await stage.announcements("Noor")
    stage.narrate("They talk in the private room; Haven keeps the transcript")
    await asyncio.sleep(1.0)  # Noor's client accepts the invitation
    await _write(stage, "Noor", room, "My parents fight a lot and I can't sleep.")
    await _write(stage, "Yusuf", room, "Thanks for telling me. Want to talk about it now?")
    await asyncio.sleep(1.0)
    lines = await service.repo.transcript(request)
    stage.say(f"{'':>8} │ (stored transcript lines: {len(lines)})")
    stage.narrate("The youth worker closes the request with its outcome, after confirming")
    prompt = await stage.command("Yusuf", f"!helpdesk close {request} resolved")
    code = re.search(r"\(code ([0-9A-F]{6})\)", prompt)
    if code is not None:
        await stage.command("Yusuf", f"!confirm {code[1]}")
    await stage.announcements("Noor")
