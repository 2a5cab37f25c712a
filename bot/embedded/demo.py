"""`haven demo`: a scripted walk-through on the embedded server with simulated members.

It prints a transcript of what the members type and what Haven answers. Each feature
adds its scenes to `scenes()`; a scene gets the `DemoStage` and plays its part.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import textwrap
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nio
from pydantic import SecretStr

from bot.embedded.simulated_member import SimulatedMember, body, in_reply_to
from bot.embedded.up import EmbeddedSetup, prepare
from bot.settings import Secrets

log = logging.getLogger(__name__)


@dataclass
class DemoStage:
    """The embedded server, Haven, and the simulated cast of a demo run."""

    setup: EmbeddedSetup
    app: Any = None
    members: dict[str, SimulatedMember] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    _shown: set[str] = field(default_factory=set)

    def narrate(self, text: str) -> None:
        """A line of stage direction in the transcript."""
        self.say(f"\n## {text}")

    def say(self, text: str) -> None:
        """Print a transcript line now (and keep it)."""
        self.lines.append(text)
        print(text, flush=True)

    async def member(self, name: str, power: int | None = None) -> SimulatedMember:
        """A new simulated member who has joined the space and its open rooms."""
        server = self.setup.server
        user = await server.aregister(
            f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex, displayname=name
        )
        member = SimulatedMember(user.user_id, user.access_token, user.device_id, server.base_url)
        await member.start()
        bot = nio.AsyncClient(server.base_url, self.setup.settings.matrix.user_id)
        bot.access_token = self.setup.bot_token
        try:
            layout = self.setup.layout
            for room in (layout.space_id, layout.rooms["lobby"]):
                await bot.room_invite(room, user.user_id)
                await member.join(room)
            if power is not None:
                state = await bot.room_get_state_event(layout.space_id, "m.room.power_levels")
                if isinstance(state, nio.RoomGetStateEventResponse):
                    content = dict(state.content)
                    content.setdefault("users", {})[user.user_id] = power
                    await bot.room_put_state(layout.space_id, "m.room.power_levels", content)
        finally:
            await bot.close()
        self.members[name] = member
        return member

    async def command(self, name: str, line: str, room: str = "lobby") -> str:
        """`name` types `line` in `room`; the transcript shows Haven's answer."""
        member = self.members[name]
        room_id = self.setup.layout.rooms.get(room, room)
        self.say(f"{name:>8} │ {line}")
        event = await member.command(room_id, line, timeout=20)
        self._shown.add(event["event_id"])
        reply = body(event)
        self._print("Haven", reply)
        await self.announcements(name)
        return reply

    def _print(self, who: str, text: str) -> None:
        first, *rest = text.splitlines() or [""]
        self.say(f"{who:>8} │ {first}")
        for extra in rest:
            self.say(f"{'':>8} │ {extra}")

    async def announcements(self, name: str) -> None:
        """Print what Haven posted in the rooms `name` sees, beyond direct answers."""
        await asyncio.sleep(0.3)
        bot = self.setup.settings.matrix.user_id
        for _, event in list(self.members[name].events):
            if event.get("sender") != bot or event.get("type") != "m.room.message":
                continue
            if event["event_id"] in self._shown or in_reply_to(event) is not None:
                continue
            self._shown.add(event["event_id"])
            content = event.get("content", {})
            if content.get("msgtype") == "m.image":
                self._print("Haven", f"[image: {content.get('body', '')}]")
            else:
                self._print("Haven", body(event))


Scene = Callable[[DemoStage], Awaitable[None]]


async def scene_welcome(stage: DemoStage) -> None:
    """A young person finds their way: help, about, language, bad input."""
    stage.narrate("A young person arrives in the lobby")
    await stage.member("Alice")
    await stage.command("Alice", "!help")
    await stage.command("Alice", "!about")
    stage.narrate("Bad input gets a clear answer and changes nothing")
    await stage.command("Alice", "!teleport home")
    await stage.command("Alice", "!language klingon")
    stage.narrate("Everyone chooses their own language")
    await stage.command("Alice", "!language nl")
    await stage.command("Alice", "!ping")
    await stage.command("Alice", "!help ping")


async def scene_tournament(stage: DemoStage) -> None:
    """A youth worker runs a small tournament, from sign-up to the debrief room."""
    from datetime import UTC, datetime, timedelta

    from bot.features.tournaments import brackets

    stage.narrate("A youth worker creates a tournament; young people join")
    await stage.member("Worker", power=20)
    players = ["Bo", "Cas", "Dana", "Eli"]
    for name in players:
        await stage.member(name)
    start = datetime.now(UTC) + timedelta(hours=1)
    local = start.astimezone(stage.app.settings.zone).strftime("%Y-%m-%d %H:%M")
    reply = await stage.command(
        "Worker", f'!tournament create "Friday Cup" "Mario Kart" single_elimination 8 "{local}"'
    )
    tid = int(re.search(r"#(\d+)", reply)[1])  # type: ignore[index]
    for name in players:
        await stage.command(name, f"!tournament join {tid}")
    stage.narrate("Check-in opens on schedule (the clock is moved forward for the demo)")
    await stage.app.scheduler.run_due(start - timedelta(minutes=29))
    await stage.announcements("Bo")
    for name in players:
        await stage.command(name, f"!tournament checkin {tid}")
    await stage.app.scheduler.run_due(start + timedelta(seconds=1))
    stage.narrate("The youth worker starts it; players report, opponents confirm")
    await stage.command("Worker", f"!tournament start {tid}")
    service = stage.app.services["tournaments"]
    ids = {}
    for name in players:
        member = stage.members[name]
        person = await stage.app.people.ensure_person("matrix", member.user_id)
        ids[person.person_id] = name
    while True:
        tournament = await service.repo.get(tid)
        ready = brackets.ready_matches(tournament.bracket)
        if not ready:
            break
        match = ready[0]
        await stage.command(ids[match.a], f"!tournament report {tid} {match.id} 2-1")
        await stage.command(ids[match.b], f"!tournament confirm {tid} {match.id}")
    await stage.command("Bo", f"!tournament bracket {tid}")
    stage.narrate("After the final, a private debrief room opens for the players")
    await stage.announcements("Worker")


def scenes() -> list[Scene]:
    """Every scene in play order (feature scenes live in their own `demo_*` modules)."""
    from bot.embedded.demo_helpdesk import scene_help_request
    from bot.embedded.demo_rooms import scene_discussion_room
    from bot.embedded.demo_safety import scene_safety

    return [
        scene_welcome,
        scene_tournament,
        scene_safety,
        scene_help_request,
        scene_discussion_room,
    ]


async def _demo(data_dir: Path) -> int:
    from bot.app import Haven

    setup = await prepare(data_dir, testing=True)
    app = Haven(setup.settings, Secrets(matrix_access_token=SecretStr(setup.bot_token)))
    stage = DemoStage(setup, app)
    try:
        await app.start()
        print(
            textwrap.dedent(f"""
            Haven demo on {setup.server.base_url} — simulated members, real homeserver.
            Transcript:""")
        )
        for scene in scenes():
            await scene(stage)
        stage.say("\nThe demo ran to the end.")
    finally:
        for member in stage.members.values():
            await member.stop()
        await app.close()
        await setup.server.astop()
    return 0


def run_demo(data_dir: Path | None = None) -> int:
    """Entry point of `haven demo`; uses a temporary folder unless one is given."""
    logging.getLogger().setLevel(logging.WARNING)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_demo(data_dir.resolve()))
    with tempfile.TemporaryDirectory(prefix="haven-demo-") as tmp:
        return asyncio.run(_demo(Path(tmp)))
