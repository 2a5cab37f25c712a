"""The dispatcher's rules, with a real SQLite file and a recording platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Haven
from bot.core.capabilities import Role
from bot.core.commands import Command
from bot.core.context import Context, PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.settings import DatabaseSettings, Settings
from tests.support.recording_platform import RecordingPlatform
from tests.support.test_commands import wipe_command

ALICE = PersonRef("recording", "alice", "Alice")
ROOM = RoomRef("recording", "lobby", "Lobby")
MEMBER = frozenset({Role.MEMBER})
WORKER = frozenset({Role.MEMBER, Role.YOUTH_WORKER})


@pytest.fixture
async def app(tmp_path: Path):
    haven = Haven(Settings(database=DatabaseSettings(path=tmp_path / "h.db")))
    await haven.open()
    wiped: list[int] = []

    async def check(ctx: Context, count: int) -> None:
        return None

    async def boom(ctx: Context) -> Reply:
        raise RuntimeError("handler bug")

    haven.registry.add(wipe_command(wiped, check=check))
    haven.registry.add(Command("boom", boom, group="test"))
    haven.wiped = wiped  # type: ignore[attr-defined]
    yield haven
    await haven.close()


async def run(app: Haven, name: str, roles=MEMBER, **args) -> Reply:
    command = app.registry.get(name)
    assert command is not None
    return await app.dispatcher.invoke(
        Invocation(command, ALICE, roles, ROOM, args), RecordingPlatform()
    )


async def test_permission_refusal_changes_nothing(app: Haven) -> None:
    reply = await run(app, "test wipe", count="3")
    assert reply.kind is ReplyKind.ERROR and "not allowed" in reply.text
    assert app.wiped == []  # type: ignore[attr-defined]


async def test_bad_argument_gets_error_with_usage(app: Haven) -> None:
    reply = await run(app, "test wipe", WORKER, count="zero")
    assert reply.kind is ReplyKind.ERROR
    assert "not a whole number" in reply.text and "Usage: !test wipe <count>" in reply.text


async def test_confirmation_flow(app: Haven) -> None:
    prompt = await run(app, "test wipe", WORKER, count="3")
    assert prompt.kind is ReplyKind.CONFIRM and app.wiped == []  # type: ignore[attr-defined]
    code = prompt.buttons[0].action.split(":")[1]
    wrong = await run(app, "confirm", WORKER, code="NOPE00")
    assert wrong.kind is ReplyKind.ERROR and app.wiped == []  # type: ignore[attr-defined]
    done = await run(app, "confirm", WORKER, code=code.lower())
    assert done.text == "wiped 3" and app.wiped == [3]  # type: ignore[attr-defined]
    again = await run(app, "confirm", WORKER, code=code)
    assert again.kind is ReplyKind.ERROR and app.wiped == [3]  # type: ignore[attr-defined]


async def test_cancel_runs_nothing(app: Haven) -> None:
    prompt = await run(app, "test wipe", WORKER, count="2")
    code = prompt.buttons[1].action.split(":")[1]
    reply = await run(app, "cancel", WORKER, code=code)
    assert "Nothing was changed" in reply.text and app.wiped == []  # type: ignore[attr-defined]


async def test_handler_crash_gives_a_reference_not_a_traceback(app: Haven) -> None:
    reply = await run(app, "test boom")
    assert reply.kind is ReplyKind.ERROR and "reference" in reply.text
    assert "handler bug" not in reply.text


async def test_language_is_per_person(app: Haven) -> None:
    set_reply = await run(app, "language", language="nl")
    assert set_reply.text == "Ik praat vanaf nu Nederlands met je."
    assert (await run(app, "ping")).text == "Pong! Ik luister."
    reply = await run(app, "language", language="klingon")
    assert reply.kind is ReplyKind.ERROR and "Kies uit: en, nl, fr, default" in reply.text
    await run(app, "language", language="default")
    assert (await run(app, "ping")).text == "Pong! I'm listening."
