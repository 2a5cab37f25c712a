"""Discussion rooms end to end through the dispatcher: real SQLite, movable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.events import IncomingMessage
from bot.core.replies import Reply, ReplyKind
from bot.settings import DatabaseSettings, Settings
from tests.support.clock import MovableClock
from tests.support.rooms_fakes import RoomsPlatform

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LOBBY = RoomRef("recording", "lobby", "Lobby")
WORKER = PersonRef("recording", "wendy", "Wendy")
ALICE = PersonRef("recording", "alice", "Alice")
BOB = PersonRef("recording", "bob", "Bob")
MEMBER = frozenset({Role.MEMBER})
STAFF = frozenset({Role.MEMBER, Role.YOUTH_WORKER})


@pytest.fixture
async def app(tmp_path: Path):
    clock = MovableClock(T0)
    haven = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")), clock=clock)
    await haven.open()
    haven.adapters.append(RoomsPlatform())  # type: ignore[arg-type]
    yield haven
    await haven.close()


def platform(app: Haven) -> RoomsPlatform:
    return app.platform("recording")


def clock(app: Haven) -> MovableClock:
    return app.clock  # type: ignore[return-value]


async def run(
    app: Haven, who: PersonRef, roles: frozenset[Role], name: str, where: RoomRef = LOBBY, **args
) -> Reply:
    command = app.registry.get(name)
    assert command is not None, name
    invocation = Invocation(command, who, roles, where, args)
    return await app.dispatcher.invoke(invocation, platform(app))


async def confirm(app: Haven, who: PersonRef, roles, prompt: Reply, where: RoomRef = LOBBY):
    assert prompt.kind is ReplyKind.CONFIRM, prompt.text
    code = prompt.buttons[0].action.split(":")[1]
    return await run(app, who, roles, "confirm", where, code=code)


async def open_room(app: Haven, **args) -> tuple[int, RoomRef]:
    reply = await run(app, WORKER, STAFF, "room open", topic="Online hate", **args)
    assert reply.kind is ReplyKind.INFO, reply.text
    room = (await app.services["rooms"].repo.open_rooms("recording"))[-1]
    return room.room_id, RoomRef("recording", room.platform_room_id, room.topic)


async def rows(app: Haven, sql: str, *args) -> list:
    return list(await app.db.fetch(sql, *args))


async def test_a_worker_opens_a_room_with_rules_and_a_facilitator(app: Haven) -> None:
    room_id, room = await open_room(app)
    admin = platform(app).space_admin
    assert admin.rooms[room.room_id] == "Online hate"
    assert admin.can_write(room.room_id, "wendy") and not admin.can_write(room.room_id, "alice")
    welcome, rules = [r for where, r in platform(app).sent if where == room.room_id]
    assert "@wendy" in welcome.text and WORKER in welcome.mentions
    assert "House rules" in rules.text and "Respect everyone" in rules.text
    (button,) = rules.buttons
    assert button.action == f"room accept:{room_id}" and not button.personal
    assert await app.events.purpose_of(room) == "discussion"
    assert await app.events.purpose_of(LOBBY) is None


async def test_custom_rules_and_refusals_change_nothing(app: Haven) -> None:
    member = await run(app, ALICE, MEMBER, "room open", topic="Mine")
    assert member.kind is ReplyKind.ERROR and "not allowed" in member.text
    short = await run(app, WORKER, STAFF, "room open", topic="Quick", duration="1m")
    assert short.kind is ReplyKind.ERROR and "at least 10 minutes" in short.text
    assert await rows(app, "SELECT * FROM discussion_room") == []
    assert platform(app).space_admin.rooms == {}
    _, room = await open_room(app, rules="Be kind.")
    assert "Be kind." in platform(app).in_room(room.room_id)[1]


async def test_a_member_accepts_before_writing(app: Haven) -> None:
    room_id, room = await open_room(app)
    admin = platform(app).space_admin
    unknown = await run(app, ALICE, MEMBER, "room accept", room="99")
    assert unknown.kind is ReplyKind.ERROR and "no discussion room #99" in unknown.text
    reply = await run(app, ALICE, MEMBER, "room accept", room, room=str(room_id))
    assert reply.private and "accepted the house rules" in reply.text
    assert admin.can_write(room.room_id, "alice") and not admin.can_write(room.room_id, "bob")
    again = await run(app, ALICE, MEMBER, "room accept", room=str(room_id))
    assert "already accepted" in again.text
    stored = await rows(app, "SELECT room_id, user_id FROM discussion_room_acceptance")
    assert [tuple(r) for r in stored] == [(room_id, "alice")]


async def test_anonymous_question_names_nobody_but_the_audit_knows(app: Haven) -> None:
    room_id, room = await open_room(app)
    early = await run(app, ALICE, MEMBER, "room ask", room, question="Is it normal?")
    assert early.kind is ReplyKind.ERROR and "Accept the house rules" in early.text
    await run(app, ALICE, MEMBER, "room accept", room=str(room_id))
    elsewhere = await run(app, ALICE, MEMBER, "room ask", question="Where?")
    assert elsewhere.kind is ReplyKind.ERROR and "--room" in elsewhere.text
    reply = await run(app, ALICE, MEMBER, "room ask", room, question="Is it normal to be angry?")
    assert reply.private and "without your name" in reply.text
    posted = platform(app).in_room(room.room_id)[-1]
    assert posted == "❓ Anonymous question: Is it normal to be angry?"
    assert "alice" not in posted.lower()
    from_lobby = await run(app, ALICE, MEMBER, "room ask", question="And you?", room=str(room_id))
    assert from_lobby.kind is not ReplyKind.ERROR
    assert platform(app).in_room(room.room_id)[-1].endswith("And you?")
    alice = await app.people.ensure_person("recording", "alice")
    asked = await rows(app, "SELECT actor FROM audit_event WHERE action = 'room.ask'")
    assert [r[0] for r in asked] == [alice.person_id] * 2
    for table in ("discussion_room", "discussion_room_acceptance"):
        dump = " ".join(str(v) for r in await rows(app, f"SELECT * FROM {table}") for v in r)
        assert "angry" not in dump and "And you" not in dump


async def test_slow_mode_enforced_by_haven_where_the_platform_has_none(app: Haven) -> None:
    _, room = await open_room(app)
    refused = await run(app, ALICE, MEMBER, "room slowmode", room, seconds="30")
    assert refused.kind is ReplyKind.ERROR and "Only the facilitator" in refused.text
    too_long = await run(app, WORKER, STAFF, "room slowmode", room, seconds="99999")
    assert too_long.kind is ReplyKind.ERROR
    done = await run(app, WORKER, STAFF, "room slowmode", room, seconds="30")
    assert "30 seconds" in done.text and platform(app).space_admin.slow == {room.room_id: 30}
    assert "Slow mode" in platform(app).in_room(room.room_id)[-1]

    async def say(who: PersonRef, n: int) -> None:
        message = MessageRef("recording", room.room_id, f"msg{n}", who, "hi")
        await app.events.message(IncomingMessage(message, room, who, clock(app).now()))

    await say(ALICE, 1)
    clock(app).advance(timedelta(seconds=10))
    await say(ALICE, 2)
    await say(BOB, 3)
    await say(WORKER, 4)
    await say(WORKER, 5)  # the facilitator is not slowed down
    assert platform(app).moderation.removed == ["msg2"]
    sent = platform(app).sent
    dm = [r.text for where, r in sent if where == "dm:alice" and not r.text.startswith("🔒")]
    assert len(dm) == 1 and "20 seconds" in dm[0]
    clock(app).advance(timedelta(seconds=21))
    await say(ALICE, 6)
    assert platform(app).moderation.removed == ["msg2"]
    await run(app, WORKER, STAFF, "room slowmode", room, seconds="0")
    await say(ALICE, 7)
    assert platform(app).moderation.removed == ["msg2"]


async def test_slow_mode_left_to_a_platform_that_has_it(app: Haven) -> None:
    platform(app).space_admin.enforces_slow_mode = True
    _, room = await open_room(app)
    await run(app, WORKER, STAFF, "room slowmode", room, seconds="30")
    for n in range(2):
        message = MessageRef("recording", room.room_id, f"m{n}", ALICE, "hi")
        await app.events.message(IncomingMessage(message, room, ALICE, clock(app).now()))
    assert platform(app).moderation.removed == []


async def test_close_archives_after_confirmation(app: Haven) -> None:
    room_id, room = await open_room(app)
    await run(app, ALICE, MEMBER, "room accept", room=str(room_id))
    refused = await run(app, ALICE, MEMBER, "room close", room=str(room_id))
    assert refused.kind is ReplyKind.ERROR and "Only the facilitator" in refused.text
    nowhere = await run(app, WORKER, STAFF, "room close")
    assert nowhere.kind is ReplyKind.ERROR
    prompt = await run(app, WORKER, STAFF, "room close", room)
    assert platform(app).space_admin.archived == []
    done = await confirm(app, WORKER, STAFF, prompt, room)
    assert "closed and archived" in done.text
    admin = platform(app).space_admin
    assert admin.archived == [room.room_id] and not admin.can_write(room.room_id, "alice")
    assert "is closed" in platform(app).in_room(room.room_id)[-1]
    for name, args in (
        ("room accept", {"room": str(room_id)}),
        ("room ask", {"question": "hello?", "room": str(room_id)}),
        ("room slowmode", {"seconds": "5", "room": str(room_id)}),
        ("room close", {"room": str(room_id)}),
    ):
        reply = await run(app, WORKER, STAFF, name, **args)
        assert reply.kind is ReplyKind.ERROR and "is closed" in reply.text, name
    listed = await run(app, ALICE, MEMBER, "room list")
    assert "No discussion rooms are open" in listed.text


async def test_list_shows_open_rooms(app: Haven) -> None:
    await open_room(app, duration="2h")
    await run(app, WORKER, STAFF, "room open", topic="Gaming and friends")
    listed = await run(app, ALICE, MEMBER, "room list")
    lines = listed.text.splitlines()
    assert lines[0] == "Open discussion rooms:"
    assert lines[1].startswith("#1 Online hate — facilitator Wendy, open until 2026-03-02 1")
    assert (
        lines[2]
        == "#2 Gaming and friends — facilitator Wendy, open until the facilitator closes it"
    )


async def test_auto_close_after_the_duration(app: Haven) -> None:
    room_id, room = await open_room(app, duration="1h")
    clock(app).advance(timedelta(minutes=59))
    assert await app.scheduler.run_due() == 0
    clock(app).advance(timedelta(minutes=2))
    assert await app.scheduler.run_due() == 1
    assert platform(app).space_admin.archived == [room.room_id]
    stored = await app.services["rooms"].repo.get(room_id)
    assert stored.closed_at == clock(app).now()
    closed = await rows(app, "SELECT actor FROM audit_event WHERE action = 'room.close'")
    assert [r[0] for r in closed] == ["system"]


async def test_closing_by_hand_cancels_the_auto_close(app: Haven) -> None:
    room_id, room = await open_room(app, duration="1h")
    prompt = await run(app, WORKER, STAFF, "room close", room=str(room_id))
    await confirm(app, WORKER, STAFF, prompt)
    clock(app).advance(timedelta(hours=2))
    assert await app.scheduler.run_due() == 0
    assert platform(app).space_admin.archived == [room.room_id]


async def test_retention_closes_the_room_for_good_and_deletes_the_rows(app: Haven) -> None:
    old_id, old = await open_room(app)
    await run(app, ALICE, MEMBER, "room accept", room=str(old_id))
    await confirm(app, WORKER, STAFF, await run(app, WORKER, STAFF, "room close", old), old)
    clock(app).advance(timedelta(days=80))
    recent_id, recent = await open_room(app)
    await confirm(app, WORKER, STAFF, await run(app, WORKER, STAFF, "room close", recent), recent)
    counts = await app.services["retention"].purge(clock(app).advance(timedelta(days=11)))
    assert counts["discussion_room"] == 1
    assert platform(app).space_admin.closed == [old.room_id]
    left = await rows(app, "SELECT room_id FROM discussion_room")
    assert [r[0] for r in left] == [recent_id]
    assert await rows(app, "SELECT * FROM discussion_room_acceptance") == []


async def test_personal_data_export_and_erase(app: Haven) -> None:
    room_id, room = await open_room(app)
    await run(app, ALICE, MEMBER, "room accept", room=str(room_id))
    await run(app, ALICE, MEMBER, "room ask", room, question="Secret?")
    source = next(s for s in app.personal_data if s.name == "rooms")
    alice = await app.people.ensure_person("recording", "alice")
    exported = await source.export(alice.person_id)
    assert [a["topic"] for a in exported["accepted_rules"]] == ["Online hate"]
    assert "audit" in exported["anonymous_questions"]
    assert "Secret" not in str(exported)
    kept = await source.erase(alice.person_id, clock(app).now())
    assert kept == []
    assert (await source.export(alice.person_id))["accepted_rules"] == []
    assert not platform(app).space_admin.can_write(room.room_id, "alice")
    wendy = await app.people.ensure_person("recording", "wendy")
    (facilitated,) = await source.erase(wendy.person_id, clock(app).now())
    assert facilitated.data_class == "discussion_rooms" and facilitated.args == {"count": 1}


async def test_texts_follow_the_persons_language(app: Haven) -> None:
    await run(app, ALICE, MEMBER, "language", language="nl")
    reply = await run(app, ALICE, MEMBER, "room accept", room="7")
    assert reply.text == "Er is geen gesprekskamer #7."
    await run(app, BOB, MEMBER, "language", language="fr")
    reply = await run(app, BOB, MEMBER, "room list")
    assert reply.text == "Aucun salon de discussion n'est ouvert."


async def test_auto_close_survives_a_restart(app: Haven, tmp_path: Path) -> None:
    room_id, room = await open_room(app, duration="1h")
    await app.close()
    later = MovableClock(T0 + timedelta(hours=3))
    settings = Settings(database=DatabaseSettings(path=tmp_path / "h.db"))
    again = Haven(settings, clock=later)
    await again.open()
    again.adapters.append(RoomsPlatform())  # type: ignore[arg-type]
    try:
        assert await again.scheduler.run_due() == 1
        assert platform(again).space_admin.archived == [room.room_id]
        stored = await again.services["rooms"].repo.get(room_id)
        assert stored.closed_at == later.now()
    finally:
        await again.close()


def test_discord_channel_names_from_topics() -> None:
    from bot.adapters.discord.rooms import channel_name

    assert channel_name("Online hate") == "online-hate"
    assert channel_name("Wat vind jij? École & geloof!") == "wat-vind-jij-école-geloof"
    assert channel_name("???") == "discussion"
    assert len(channel_name("x" * 300)) == 100
