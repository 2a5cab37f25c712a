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
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.embedded.simulated_member import SimulatedMember, body, in_reply_to
from tests.support.waiting import eventually

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


def _matrix_value(value: Any) -> str:
    if isinstance(value, SimulatedMember):
        return value.user_id
    return shlex.quote(str(value))


def _matrix_line(app: Haven, command: str, args: dict[str, Any]) -> str:
    declared = app.registry.get(command)
    assert declared is not None, command
    parts = [f"!{command}"]
    for param in declared.positionals:
        if param.name in args and args[param.name] is not None:
            parts.append(_matrix_value(args[param.name]))
    for param in declared.options:
        if param.name in args and args[param.name] is not None:
            parts.append(f"--{param.shown_name}")
            parts.append(_matrix_value(args[param.name]))
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
            self.app.catalogues.translator(loc).gettext("common.sent_privately")
            for loc in self.app.catalogues.locales()
        }
        if body(event) in pointers:
            shared = set(self.space.layout.rooms.values())  # a private answer is elsewhere
            _, private = await who.wait_for(
                lambda r, e: (
                    r not in shared
                    and e.get("type") == "m.room.message"
                    and e.get("sender") == self.space.bot.user_id
                    and e.get("event_id") not in _seen(who)
                    and not _unsolicited(self.app, e)
                )
            )
            _seen(who).add(private["event_id"])
            return Answer(body(private), True, (), private)
        return Answer(_strip_hints(body(event)), False, _matrix_actions(self.app, event), event)

    async def wait_posted(self, who: SimulatedMember, needle: str) -> str:
        """The text of a message the bot posted (anywhere `who` can see) containing `needle`."""
        _, event = await who.wait_for(
            lambda r, e: e.get("sender") == self.space.bot.user_id and needle in body(e)
        )
        return body(event)

    async def room_closed(self, who: SimulatedMember, room: RoomRef) -> bool:
        member_rooms = (await who.client.joined_rooms()).rooms
        bot_rooms = (await self.adapter.client.joined_rooms()).rooms
        return room.room_id not in member_rooms and room.room_id not in bot_rooms

    async def announcement(self, who: SimulatedMember, tournament: int) -> Answer:
        """The bot's announcement of a tournament, wherever it was posted."""
        _, event = await who.wait_for(
            lambda r, e: (
                e.get("sender") == self.space.bot.user_id
                and body(e).startswith(f"🏆 Tournament #{tournament}:")
            )
        )
        return Answer(_strip_hints(body(event)), False, (), event)

    async def restart(self) -> None:
        """Stop Haven and start it again on the same database."""
        from tests.support.matrix_harness import start_haven

        db = self.app.settings.database.path
        await self.app.close()
        self.app = await start_haven(self.space, db)

    async def press(self, who: SimulatedMember, answer: Answer, action_prefix: str) -> Answer:
        import json

        prompt = answer.raw["event_id"]
        # The bot stores a prompt's controls right after sending it; its echo can be faster.
        await eventually(lambda: self.adapter.state.get(f"buttons:{prompt}"))
        spec = json.loads(await self.adapter.state.get(f"buttons:{prompt}"))
        emoji = next(e for e, a in spec["actions"].items() if a.startswith(action_prefix + ":"))
        before = len(who.replies_to(prompt))
        room = next((r for r, e in who.events if e.get("event_id") == prompt), self.lobby)
        await who.react(room, prompt, emoji)
        _, event = await who.wait_for(
            lambda r, e: in_reply_to(e) == prompt and len(who.replies_to(prompt)) > before
        )
        return Answer(body(event), False, (), event)

    @property
    def adapter(self) -> Any:
        return self.app.adapters[0]

    def person(self, who: SimulatedMember) -> PersonRef:
        return PersonRef("matrix", who.user_id, who.user_id)

    @property
    def lobby_ref(self) -> RoomRef:
        return RoomRef("matrix", self.lobby, "lobby")

    def room(self, room_id: str) -> RoomRef:
        return RoomRef("matrix", room_id)

    async def post(self, who: SimulatedMember, text: str) -> MessageRef:
        event_id = await who.send(self.lobby, text)
        return MessageRef("matrix", self.lobby, event_id, self.person(who), text)

    async def run_on_message(
        self, who: SimulatedMember, command: str, target: MessageRef
    ) -> Answer:
        relates = {"m.in_reply_to": {"event_id": target.message_id}}
        event_id = await who.send(self.lobby, f"!{command}", **{"m.relates_to": relates})
        event = await who.reply_to(self.lobby, event_id)
        return Answer(body(event), False, (), event)

    async def wait_message_removed(self, observer: SimulatedMember, ref: MessageRef) -> None:
        await observer.wait_for(
            lambda r, e: (
                e.get("type") == "m.room.redaction"
                and (e.get("redacts") or e.get("content", {}).get("redacts")) == ref.message_id
            )
        )

    async def level(self, who: SimulatedMember, room_id: str | None = None) -> int | None:
        import nio

        state = await self.adapter.client.room_get_state_event(
            room_id or self.lobby, "m.room.power_levels"
        )
        assert isinstance(state, nio.RoomGetStateEventResponse), state
        return (state.content.get("users") or {}).get(who.user_id)

    async def is_muted(self, who: SimulatedMember) -> bool:
        return await self.level(who) == -1

    async def in_space(self, who: SimulatedMember) -> bool:
        import nio

        state = await self.adapter.client.room_get_state_event(
            self.space.layout.space_id, "m.room.member", who.user_id
        )
        assert isinstance(state, nio.RoomGetStateEventResponse), state
        return state.content.get("membership") == "join"

    async def wait_invited(self, who: SimulatedMember, room: RoomRef) -> None:
        await eventually(lambda: room.room_id in who.invites)

    async def wait_seen(self, who: SimulatedMember, message: MessageRef, text: str) -> None:
        _, event = await who.wait_for(lambda r, e: e.get("event_id") == message.message_id)
        assert body(event) == text and r_of(who, event) == message.room_id

    async def attachments_of(
        self, who: SimulatedMember, answer: Answer
    ) -> list[tuple[str, bytes]]:
        _, event = await who.wait_for(
            lambda r, e: (
                r == self.lobby
                and e.get("sender") == self.space.bot.user_id
                and e.get("content", {}).get("msgtype") == "m.image"
                and e.get("origin_server_ts", 0) >= answer.raw.get("origin_server_ts", 0)
            )
        )
        content = event["content"]
        downloaded = await who.client.download(mxc=content["url"])
        return [(content["filename"], downloaded.body)]

    async def mentioned_users(self, who: SimulatedMember, message: MessageRef) -> list[str]:
        _, event = await who.wait_for(lambda r, e: e.get("event_id") == message.message_id)
        return list(event["content"]["m.mentions"]["user_ids"])


def r_of(who: SimulatedMember, event: dict[str, Any]) -> str:
    return next(r for r, e in who.events if e is event)


_SEEN: dict[int, set[str]] = {}


def _seen(who: SimulatedMember) -> set[str]:
    return _SEEN.setdefault(id(who), set())


def _unsolicited(app: Haven, event: dict[str, Any]) -> bool:
    """A private message that answers no command: the privacy notice, or a sent file."""
    if event.get("content", {}).get("msgtype") in ("m.file", "m.image"):
        return True
    framework = app.services.get("framework")
    notices = framework.notices.values() if framework is not None else ()
    # The privacy notice sent on first contact starts with it (`privacy` shows a title first).
    return any(body(event).startswith(f"🔒 {notice}") for notice in notices)


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
        options = {
            (p.shown_name if (p := declared.param(k)) else k): v
            for k, v in args.items()
            if v is not None
        }
        handle = await self.emulator.invoke_slash(
            who, self.lobby, command, options, locale=self.locale
        )
        reply = await handle.wait_final(timeout=10)
        return _discord_answer(reply)

    async def wait_posted(self, who: dict[str, Any], needle: str) -> str:
        """The text of a message the bot posted in a channel containing `needle`."""
        message = await self.emulator.wait_for_message(
            predicate=lambda m: needle in m["content"], consume=False
        )
        return message["content"]

    async def room_closed(self, who: dict[str, Any], room: RoomRef) -> bool:
        return room.room_id not in self.emulator.state.channels

    async def announcement(self, who: dict[str, Any], tournament: int) -> Answer:
        """The bot's announcement of a tournament, wherever it was posted."""
        for handle in self.emulator.interactions.values():
            for reply in handle.replies:
                if (reply.content or "").startswith(f"🏆 Tournament #{tournament}:"):
                    return _discord_answer(reply)
        message = await self.emulator.wait_for_message(
            predicate=lambda m: m["content"].startswith(f"🏆 Tournament #{tournament}:"),
            consume=False,
        )
        return Answer(message["content"], False, (), _Posted(message))

    async def restart(self) -> None:
        """Stop Haven and start it again on the same database and guild."""
        from pydantic import SecretStr

        from bot.settings import Secrets

        settings = self.app.settings
        await self.app.close()
        self.app = Haven(settings, Secrets(discord_token=SecretStr(self.emulator.bot_token)))
        await self.app.start()

    async def press(self, who: dict[str, Any], answer: Answer, action_prefix: str) -> Answer:
        message = answer.raw.message
        buttons = [
            item["custom_id"]
            for row in message.get("components") or []
            for item in row.get("components") or []
        ]
        custom_id = next(c for c in buttons if c.split(":", 1)[1].startswith(action_prefix + ":"))
        handle = await self.emulator.click_button(who, message, custom_id)
        reply = await handle.wait_response(timeout=10)
        return _discord_answer(reply)

    @property
    def adapter(self) -> Any:
        return self.app.adapters[0]

    def person(self, who: dict[str, Any]) -> PersonRef:
        return PersonRef("discord", who["id"], who.get("username", ""))

    @property
    def lobby_ref(self) -> RoomRef:
        return RoomRef("discord", self.lobby["id"], "lobby")

    def room(self, room_id: str) -> RoomRef:
        return RoomRef("discord", room_id)

    async def post(self, who: dict[str, Any], text: str) -> MessageRef:
        message = await self.emulator.send_message(who, self.lobby, text)
        return MessageRef("discord", self.lobby["id"], message["id"], self.person(who), text)

    async def run_on_message(
        self, who: dict[str, Any], command: str, target: MessageRef
    ) -> Answer:
        declared = self.app.registry.get(command)
        assert declared is not None and declared.message_menu_key
        label = self.app.catalogues.translator("en").gettext(declared.message_menu_key)
        handle = await self.emulator.invoke_message_command(
            who, self.lobby, label, target.message_id
        )
        return _discord_answer(await handle.wait_final(timeout=10))

    async def wait_message_removed(self, observer: Any, ref: MessageRef) -> None:
        await self.emulator.wait_until(lambda: self.emulator.message(ref.message_id) is None)

    async def is_muted(self, who: dict[str, Any]) -> bool:
        member = self.emulator.member(self.guild, who)
        return member.get("communication_disabled_until") is not None

    async def in_space(self, who: dict[str, Any]) -> bool:
        try:
            self.emulator.member(self.guild, who)
        except Exception:
            return False
        return True

    async def wait_invited(self, who: dict[str, Any], room: RoomRef) -> None:
        await self.emulator.wait_until(
            lambda: who["id"] in self.emulator.state.thread_members.get(room.room_id, {})
        )

    async def wait_seen(self, who: dict[str, Any], message: MessageRef, text: str) -> None:
        stored = await self.emulator.wait_until(lambda: self.emulator.message(message.message_id))
        assert stored["content"] == text and stored["channel_id"] == message.room_id
        if message.room_id != self.lobby["id"]:  # private: it must be the DM with `who`
            assert self.emulator.dm_channel(who)["id"] == message.room_id

    async def attachments_of(self, who: dict[str, Any], answer: Answer) -> list[tuple[str, bytes]]:
        message = answer.raw.message
        found = []
        for item in message.get("attachments", []):
            found.append((item["filename"], self.emulator.attachments[item["id"]]))
        return found

    async def mentioned_users(self, who: dict[str, Any], message: MessageRef) -> list[str]:
        stored = self.emulator.message(message.message_id)
        return [u["id"] for u in stored.get("mentions", [])]


@dataclass(frozen=True)
class _Posted:
    """A channel message shaped like an interaction reply (for `press`)."""

    message: dict[str, Any]


def _discord_answer(reply: Any) -> Answer:
    actions: list[str] = []
    message = reply.message or reply.data
    for row in message.get("components") or []:
        for item in row.get("components") or []:
            custom_id = item.get("custom_id", "")
            for prefix in ("haven:", "haven+:"):
                if custom_id.startswith(prefix):
                    actions.append(custom_id[len(prefix) :])
    return Answer(reply.content or "", reply.ephemeral, tuple(actions), reply)


def haven_db(tmp_path: Path) -> Path:
    """A fresh database path for one test."""
    return tmp_path / "haven.db"
