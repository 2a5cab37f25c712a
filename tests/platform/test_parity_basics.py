"""Foundation commands behave the same on Matrix and Discord (same texts, same rules)."""

from __future__ import annotations

import pytest

from bot.core.capabilities import Role
from bot.core.commands import Command, Param, ParamType
from bot.core.replies import Reply
from tests.support.test_commands import wipe_command


@pytest.fixture
def haven_setup():
    wiped: list[int] = []

    async def wait(ctx, length) -> Reply:
        return Reply(f"waiting {int(length.total_seconds())} s")

    def setup(app) -> None:
        app.wiped = wiped
        app.registry.add(wipe_command(wiped))
        app.registry.add(
            Command("wait", wait, group="test", params=(Param("length", ParamType.DURATION),))
        )

    return setup


async def test_ping(driver):
    alice = await driver.member("alice")
    answer = await driver.run(alice, "ping")
    assert answer.text == "Pong! I'm listening."


async def test_help_overview_and_detail(driver):
    alice = await driver.member("alice")
    overview = (await driver.run(alice, "help")).text
    prefix = "!" if driver.platform == "matrix" else "/"
    for name in ("about", "help", "language", "ping"):
        assert f"• {prefix}{name}" in overview
    assert f"{prefix}test wipe" not in overview  # needs RUN_EVENTS
    detail = (await driver.run(alice, "help", command="language")).text
    assert detail.splitlines()[1] == "See or change the language I use with you."
    assert "one of: en, nl, fr, default" in detail
    unknown = await driver.run(alice, "help", command="teleport")
    assert unknown.text == "There is no command “teleport”."


async def test_about(driver):
    alice = await driver.member("alice")
    text = (await driver.run(alice, "about")).text
    assert "a person always decides" in text and f"on {driver.platform}" in text


async def test_language_per_person(driver):
    alice = await driver.member("alice")
    bob = await driver.member("bob")
    assert (await driver.run(alice, "language", language="fr")).text == (
        "Je te parlerai désormais en français."
    )
    assert (await driver.run(alice, "ping")).text == "Pong ! Je t'écoute."
    assert (await driver.run(bob, "ping")).text == "Pong! I'm listening."
    current = await driver.run(alice, "language")
    assert current.text == "Ta langue est fr." and current.private, current.raw


async def test_bad_input_is_refused_and_changes_nothing(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    answer = await driver.run(worker, "test wait", length="5 parsecs")
    assert answer.text.startswith("“5 parsecs” is not a duration.")
    assert "Usage:" in answer.text
    if driver.platform == "discord":
        assert answer.private  # errors are ephemeral on Discord
    ok = await driver.run(worker, "test wait", length="1h30m")
    assert ok.text == "waiting 5400 s"


async def test_permission_refusal(driver):
    member = await driver.member("member")
    answer = await driver.run(member, "test wipe", count=3)
    assert answer.text.startswith("You are not allowed to use this command")
    assert driver.app.wiped == []


async def test_confirmation_by_button_or_reaction(driver):
    worker = await driver.member("worker", Role.YOUTH_WORKER)
    prompt = await driver.run(worker, "test wipe", count=3)
    assert prompt.text.startswith("Done.\nConfirm within 10 minutes (code ")
    assert [a.split(":")[0] for a in prompt.actions] == ["confirm", "cancel"]
    assert driver.app.wiped == []
    done = await driver.press(worker, prompt, "confirm")
    assert done.text == "wiped 3" and driver.app.wiped == [3]
    prompt = await driver.run(worker, "test wipe", count=4)
    cancelled = await driver.press(worker, prompt, "cancel")
    assert cancelled.text == "Cancelled. Nothing was changed." and driver.app.wiped == [3]
