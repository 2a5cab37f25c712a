"""A canary in Haven's logs: what people write, and token-like strings, never reach them.

Every path a message can take on each platform carries a unique marker and two
token-shaped strings: an ordinary message in a room (with an observer that fails on it),
a command with the text as argument (slash or `!` command, and as text on Discord), a
command that fails with the text in its exception, a refused case-data command, and a
direct message (command and plain text). Haven's process logging is captured as `haven
run -v` configures it (root at DEBUG, nio and discord.py at WARNING); the emulator's and
Synapse's own logs are not Haven's and are left out. The real bot and user tokens must
not appear either.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context
from bot.core.events import IncomingMessage
from bot.core.replies import Reply
from tests.support.waiting import eventually

MARKER = f"canary-{uuid.uuid4().hex}"
MFA_TOKEN = "mfa." + secrets.token_urlsafe(63)
FAKE_DISCORD_TOKEN = ".".join(
    (
        base64.urlsafe_b64encode(str(10**17 + secrets.randbelow(10**17)).encode()).decode(),
        secrets.token_urlsafe(4)[:6],
        secrets.token_urlsafe(20)[:27],
    )
)
TEXT = f"{MARKER} {MFA_TOKEN} {FAKE_DISCORD_TOKEN}"
NEEDLES = (MARKER, MFA_TOKEN, FAKE_DISCORD_TOKEN)
# Loggers of the test's own servers (the Discord emulator serves aiohttp in-process).
NOT_HAVEN = ("tests.", "aiohttp.access", "aiohttp.server", "aiohttp.web")

SEEN: dict[str, int] = {}


class Capture(logging.Handler):
    """Keeps every record that reaches the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write of a record: message, args, exception, stack."""
    formatter = logging.Formatter()
    parts = [str(record.msg), repr(record.args)]
    with contextlib.suppress(Exception):  # a broken format string must not hide a leak
        parts.append(record.getMessage())
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    parts += [record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


def leaks(records: Iterable[logging.LogRecord], needles: Iterable[str]) -> Iterator[str]:
    """`logger: needle` for every record of Haven's process containing a needle."""
    needles = [n for n in needles if n]
    for record in records:
        if record.name.startswith(NOT_HAVEN):
            continue
        text = record_text(record)
        for needle in needles:
            if needle in text:
                yield f"{record.name}: {needle[:12]}… in {record.getMessage()[:80]!r}"


@pytest.fixture(autouse=True)
def captured() -> Iterator[Capture]:
    """Haven's logging as `haven run -v` sets it up, captured from before Haven starts."""
    root = logging.getLogger()
    handler = Capture()
    saved = root.level, {n: logging.getLogger(n).level for n in ("nio", "discord")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("nio").setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(logging.WARNING)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def haven_setup():
    SEEN.clear()

    async def echo(ctx: Context, text: str) -> Reply:
        SEEN["echo"] = SEEN.get("echo", 0) + 1
        return Reply("echoed")

    async def fail(ctx: Context, text: str) -> Reply:
        SEEN["fail"] = SEEN.get("fail", 0) + 1
        return Reply(str(int(text)))  # a handler bug: ValueError quoting the text

    async def observer(event: IncomingMessage) -> None:
        if MARKER in event.text:
            SEEN["observed"] = SEEN.get("observed", 0) + 1
            raise RuntimeError(f"cannot screen {event.text!r}")  # an observer bug

    def setup(app) -> None:
        text = (Param("text", ParamType.TEXT, max_length=500),)
        app.registry.add(Command("echo", echo, group="canary", params=text))
        app.registry.add(Command("fail", fail, group="canary", params=text))
        app.events.on_message(observer)

    return setup


async def wait_count(key: str, count: int) -> None:
    await eventually(lambda: SEEN.get(key, 0) >= count, timeout=15)


async def direct_messages(driver, who: Any) -> None:
    """`!canary echo`, `!canary fail` and plain text in a direct chat with the bot."""
    lines = (f"!canary echo {TEXT}", f"!canary fail {TEXT}", f"just between us: {TEXT}")
    if driver.platform == "matrix":
        bot = driver.space.bot.user_id
        dm = await who.client.room_create(is_direct=True, invite=[bot])
        await who.wait_for(
            lambda r, e: r == dm.room_id and e.get("state_key") == bot
            and e.get("content", {}).get("membership") == "join"
        )  # fmt: skip
        await who.command(dm.room_id, lines[0])
        await who.command(dm.room_id, lines[1])
        await who.send(dm.room_id, lines[2])
    else:
        emulator = driver.emulator
        channel = emulator.dm_channel(who)
        for line in lines[:2]:
            await emulator.send_message(who, channel, line)
            await emulator.wait_for_message(channel, timeout=10)
        await emulator.send_message(who, channel, lines[2])


async def test_nothing_people_write_reaches_the_logs(driver, captured: Capture) -> None:
    member = await driver.member("canary")
    await driver.post(member, f"hello everyone {TEXT}")  # ordinary message, observer fails
    await wait_count("observed", 1)
    assert (await driver.run(member, "canary echo", text=TEXT)).text == "echoed"
    failed = await driver.run(member, "canary fail", text=TEXT)
    assert failed.text.startswith("Something went wrong on our side")
    await driver.run(member, "help", command=MARKER)  # a real command, unknown argument
    refused = await driver.run(member, "audit show", object=MARKER)  # refused, audited
    assert refused.text.startswith("You are not allowed")
    await driver.post(member, f"!canary fail {TEXT}")  # a text command in the room
    await wait_count("fail", 2)
    await direct_messages(driver, member)
    await wait_count("echo", 2)
    await wait_count("fail", 3)

    records = list(captured.records)
    # The capture works: the failures were logged (so a leak there would show).
    failures = [r for r in records if "command canary fail failed" in r.getMessage()]
    assert len(failures) == 3
    assert any("message observer failed" in r.getMessage() for r in records)
    found = list(leaks(records, NEEDLES))
    assert found == [], "\n".join(found)

    real = [s.get_secret_value() for s in vars(driver.app.secrets).values() if s is not None]
    if driver.platform == "discord":
        real.append(driver.emulator.bot_token)
    else:
        real += [driver.space.bot.access_token, member.client.access_token]
    assert len(real) >= 2
    assert list(leaks(records, real)) == []


def test_the_canary_sees_a_leak() -> None:
    """The checker itself: a record carrying a needle in its args or exception is caught."""
    logger = logging.getLogger("bot.canary_check")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "got %s", (TEXT,), None)
    try:
        raise ValueError(MFA_TOKEN)
    except ValueError:
        import sys

        failing = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    found = list(leaks([record, failing], NEEDLES))
    assert len(found) == 4  # marker, MFA and Discord token in the args; MFA in the exception
    emulator = logger.makeRecord("tests.support.x", logging.INFO, __file__, 1, TEXT, (), None)
    assert list(leaks([emulator], NEEDLES)) == []
