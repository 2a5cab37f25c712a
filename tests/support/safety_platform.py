"""Platform-test helpers for the safety pipeline: moderators, reports, what people saw.

Additive to `tests/support/drivers.py`: functions that take a driver and branch on
`driver.platform`, so the parity scenarios read the same on Matrix and Discord.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.capabilities import Role
from bot.core.context import MessageRef
from bot.embedded.simulated_member import body, in_reply_to
from tests.support.drivers import Answer, _matrix_line, _seen
from tests.support.safety_fakes import FakeRoster, WordDetector
from tests.support.waiting import eventually

ROSTER = FakeRoster()


def use_fake_roster(app: Any) -> None:
    """Replace the rota with `ROSTER` (for a backup without scheduling shifts)."""
    app.services["rota"] = ROSTER


def safety_setup(app: Any) -> None:
    """The test detector, and the Discord lobby counted as a screened lobby."""
    app.services["safety"].detector = WordDetector()

    async def lobby(room: Any) -> str | None:
        return "lobby" if room.platform == "discord" and room.name == "lobby" else None

    if lobby not in app.events.purpose_resolvers:
        app.events.resolve_purpose(lobby)


async def person_id(driver: Any, who: Any) -> str:
    """Haven's pseudonymous id of a test member."""
    ref = driver.person(who)
    return (await driver.app.people.ensure_person(ref.platform, ref.user_id)).person_id


async def staff(driver: Any, name: str, role: Role = Role.MODERATOR) -> Any:
    """A member with `role` who can read the moderator room (test members join every room
    of the Matrix space on creation; on Discord the channel is open to the guild)."""
    return await driver.member(name, role)


async def member(driver: Any, name: str) -> Any:
    """An ordinary member, who on Matrix is not in the (invite-only) moderator room."""
    who = await driver.member(name)
    if driver.platform == "matrix":
        room = driver.space.layout.rooms["moderators"]

        async def joined() -> bool:
            return room in (await who.client.joined_rooms()).rooms

        await eventually(joined)  # the test member auto-joins every invited room
        await who.client.room_leave(room)
        who.events[:] = [(r, e) for r, e in who.events if r != room]
    return who


def moderators_room(driver: Any) -> str:
    """The moderator room's id."""
    return driver.app.platform(driver.platform).room_for("moderators").room_id


async def posted(driver: Any, who: Any, needle: str, timeout: float = 15.0) -> dict[str, Any]:
    """A bot message containing `needle` that `who` can see: {"room", "text", "raw"}."""
    if driver.platform == "matrix":
        room, event = await who.wait_for(
            lambda r, e: (
                e.get("sender") == driver.space.bot.user_id
                and e.get("type") == "m.room.message"
                and needle in body(e)
            ),
            timeout,
        )
        return {"room": room, "text": body(event), "raw": event}
    message = await driver.emulator.wait_for_message(
        predicate=lambda m: needle in m["content"], consume=False, timeout=timeout
    )
    return {"room": message["channel_id"], "text": message["content"], "raw": message}


async def report(driver: Any, who: Any, target: MessageRef, details: str) -> str:
    """Report `target` the way a member would; returns the private answer's text."""
    if driver.platform == "discord":
        declared = driver.app.registry.get("report")
        label = driver.app.catalogues.translator("en").gettext(declared.message_menu_key)
        handle = await driver.emulator.invoke_message_command(
            who, driver.lobby, label, target.message_id
        )
        reply = await handle.wait_final(timeout=15)
        assert reply.ephemeral, "a report answer must be private"
        return reply.content
    relates = {"m.in_reply_to": {"event_id": target.message_id}}
    command = await who.send(driver.lobby, f"!report {details}", **{"m.relates_to": relates})
    _, answer = await who.wait_for(
        lambda r, e: (
            r != driver.lobby
            and e.get("sender") == driver.space.bot.user_id
            and "Thank you" in body(e)
        ),
        15,
    )
    # The command itself was redacted from the lobby at once.
    await who.wait_for(
        lambda r, e: (
            e.get("type") == "m.room.redaction"
            and (e.get("redacts") or e.get("content", {}).get("redacts")) == command
        ),
        15,
    )
    return body(answer)


async def bot_texts_seen(driver: Any, who: Any) -> list[str]:
    """Every bot message `who` could see so far (rooms they are in, their DMs)."""
    await asyncio.sleep(0.5)  # let in-flight deliveries land before looking
    if driver.platform == "matrix":
        return [
            body(e)
            for _, e in who.events
            if e.get("sender") == driver.space.bot.user_id and e.get("type") == "m.room.message"
        ]
    emulator = driver.emulator
    dm = emulator.dm_channel(who)["id"]
    public = {driver.lobby["id"]}
    return [
        m["content"]
        for m in emulator.state.messages.values()
        if m["author"]["id"] == emulator.bot_user["id"]
        and m["channel_id"] in public | {dm}
        and not m.get("flags", 0) & 64  # an ephemeral answer is shown to its invoker only
    ]


async def run_private(driver: Any, who: Any, command: str, **args: Any) -> Answer:
    """Run a command whose answer is private: the text `who` got in their direct room
    (Matrix) or the ephemeral answer (Discord)."""
    if driver.platform == "discord":
        return await driver.run(who, command, **args)
    dm = await driver.adapter.private_room(who.user_id)
    before = {e.get("event_id") for r, e in who.events if r == dm}
    line = _matrix_line(driver.app, command, args)
    sent = await who.send(driver.lobby, line)
    # A private answer lands in the direct room; a refusal stays in the room as a reply.
    _, event = await who.wait_for(
        lambda r, e: (
            e.get("sender") == driver.space.bot.user_id
            and e.get("type") == "m.room.message"
            and ((r == dm and e.get("event_id") not in before) or in_reply_to(e) == sent)
            and body(e) not in _pointers(driver)
        ),
        15,
    )
    _seen(who).add(event["event_id"])
    return Answer(body(event), True, (), event)


def _pointers(driver: Any) -> set[str]:
    return {
        driver.app.catalogues.translator(loc).gettext("common.sent_privately")
        for loc in driver.app.catalogues.locales()
    }


__all__ = [
    "ROSTER",
    "WordDetector",
    "bot_texts_seen",
    "member",
    "moderators_room",
    "person_id",
    "posted",
    "report",
    "run_private",
    "safety_setup",
    "staff",
    "use_fake_roster",
]
