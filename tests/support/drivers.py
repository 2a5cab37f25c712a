"""Parity drivers: one scenario, run as a member on Matrix (Synapse) or Discord (emulator).

A scenario asks a driver for people (`member`), runs commands by qualified name with
keyword arguments (`run`), and presses the buttons of a reply (`press`). The driver
turns that into `!group sub args` on Matrix or a slash command on Discord, and returns
what the person saw as an `Answer`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.app import Haven
from bot.core.capabilities import Role
from bot.embedded.simulated_member import SimulatedMember, body, in_reply_to

MATRIX_POWER = {Role.YOUTH_WORKER: 20, Role.MODERATOR: 50, Role.COORDINATOR: 100}


@dataclass(frozen=True)
class Answer:
    """What a person saw in answer to a command."""

    text: str
    private: bool
    actions: tuple[str, ...] = ()
    raw: Any = field(default=None, compare=False, repr=False)


class Driver(Protocol):
    """One platform, acting as people."""

    platform: str
    app: Haven

    async def member(self, name: str, role: Role | None = None) -> Any: ...

    async def run(self, who: Any, command: str, /, **args: Any) -> Answer: ...

    async def press(self, who: Any, answer: Answer, action_prefix: str) -> Answer: ...


def _matrix_line(app: Haven, command: str, args: dict[str, Any]) -> str:
    declared = app.registry.get(command)
    assert declared is not None, command
    parts = [f"!{command}"]
    for param in declared.positionals:
        if param.name in args and args[param.name] is not None:
            parts.append(shlex.quote(str(args[param.name])))
    for param in declared.options:
        if param.name in args and args[param.name] is not None:
            parts.append(f"--{param.name}")
            parts.append(shlex.quote(str(args[param.name])))
    return " ".join(parts)


@dataclass
class MatrixDriver:
    """Scenarios on a real Synapse through real matrix-nio users."""

    app: Haven
    space: Any
    make_member: Any
    platform: str = "matrix"

    async def member(self, name: str, role: Role | None = None) -> SimulatedMember:
        return await self.make_member(name, power=MATRIX_POWER.get(role) if role else None)

    @property
    def lobby(self) -> str:
        return self.space.layout.rooms["lobby"]

    async def run(self, who: SimulatedMember, command: str, /, **args: Any) -> Answer:
        line = _matrix_line(self.app, command, args)
        event_id = await who.send(self.lobby, line)
        event = await who.reply_to(self.lobby, event_id)
        pointers = {
            self.app.catalogues.translator(loc).gettext("matrix.sent_privately")
            for loc in self.app.catalogues.locales()
        }
        if body(event) in pointers:
            _, private = await who.wait_for(
                lambda r, e: (
                    r != self.lobby
                    and e.get("type") == "m.room.message"
                    and e.get("sender") == self.space.bot.user_id
                    and e.get("event_id") not in _seen(who)
                )
            )
            _seen(who).add(private["event_id"])
            return Answer(body(private), True, (), private)
        return Answer(_strip_hints(body(event)), False, _matrix_actions(self.app, event), event)

    async def press(self, who: SimulatedMember, answer: Answer, action_prefix: str) -> Answer:
        emoji = {"confirm": "✅", "cancel": "❌"}[action_prefix]
        prompt = answer.raw["event_id"]
        before = len(who.replies_to(prompt))
        await who.react(self.lobby, prompt, emoji)
        _, event = await who.wait_for(
            lambda r, e: in_reply_to(e) == prompt and len(who.replies_to(prompt)) > before
        )
        return Answer(body(event), False, (), event)


_SEEN: dict[int, set[str]] = {}


def _seen(who: SimulatedMember) -> set[str]:
    return _SEEN.setdefault(id(who), set())


def _strip_hints(text: str) -> str:
    lines = text.splitlines()
    if lines and "✅" in lines[-1]:
        lines = lines[:-1]
    return "\n".join(lines)


def _matrix_actions(app: Haven, event: dict[str, Any]) -> tuple[str, ...]:
    text = body(event)
    if "✅" not in text:
        return ()
    code = text.split("(code ")[1].split(")")[0] if "(code " in text else ""
    return (f"confirm:{code}", f"cancel:{code}")


@dataclass
class DiscordDriver:
    """Scenarios through the real discord.py client on the local Discord emulator."""

    app: Haven
    emulator: Any
    guild: dict[str, Any]
    lobby: dict[str, Any]
    role_ids: dict[Role, str]
    platform: str = "discord"
    locale: str = "en-US"

    async def member(self, name: str, role: Role | None = None) -> dict[str, Any]:
        user = self.emulator.create_user(name)
        roles = [self.role_ids[role]] if role else []
        self.emulator.add_member(self.guild, user, roles=roles)
        return user

    async def run(self, who: dict[str, Any], command: str, /, **args: Any) -> Answer:
        declared = self.app.registry.get(command)
        assert declared is not None, command
        options = {k: v for k, v in args.items() if v is not None}
        handle = await self.emulator.invoke_slash(
            who, self.lobby, command, options, locale=self.locale
        )
        reply = await handle.wait_final(timeout=10)
        return _discord_answer(reply)

    async def press(self, who: dict[str, Any], answer: Answer, action_prefix: str) -> Answer:
        message = answer.raw.message
        custom_id = next(f"haven:{a}" for a in answer.actions if a.startswith(action_prefix + ":"))
        handle = await self.emulator.click_button(who, message, custom_id)
        reply = await handle.wait_response(timeout=10)
        return _discord_answer(reply)


def _discord_answer(reply: Any) -> Answer:
    actions: list[str] = []
    message = reply.message or reply.data
    for row in message.get("components") or []:
        for item in row.get("components") or []:
            custom_id = item.get("custom_id", "")
            if custom_id.startswith("haven:"):
                actions.append(custom_id[len("haven:") :])
    return Answer(reply.content or "", reply.ephemeral, tuple(actions), reply)


def haven_db(tmp_path: Path) -> Path:
    """A fresh database path for one test."""
    return tmp_path / "haven.db"
