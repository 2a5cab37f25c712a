"""Discord-only behaviour of the adapter: command sync, localisation, resilience."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.commands import Command
from bot.core.replies import Reply
from tests.platform.parity_fixtures import start_discord_haven

SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


def join(emulator, guild: dict, name: str) -> dict:
    """A new user who is a member of `guild`."""
    user = emulator.create_user(name)
    emulator.add_member(guild, user)
    return user


def payload_named(call, name: str) -> dict:
    return next(c for c in call.request_json if c["name"] == name)


async def test_commands_sync_only_when_declarations_change(
    discord_emulator, discord_harness, tmp_path: Path
):
    db = tmp_path / "haven.db"
    app, guild, *_ = await start_discord_haven(discord_emulator, db)
    await app.close()
    assert len(discord_emulator.calls_to(SYNC)) == 1

    app = await _restart(discord_emulator, db, guild)
    await app.close()
    assert len(discord_emulator.calls_to(SYNC)) == 1  # unchanged: no second sync

    async def extra(ctx) -> Reply:
        return Reply("extra")

    app = await _restart(
        discord_emulator, db, guild, setup=lambda a: a.registry.add(Command("extra", extra))
    )
    await app.close()
    calls = discord_emulator.calls_to(SYNC)
    assert len(calls) == 2
    assert "extra" in {c["name"] for c in calls[-1].request_json}


async def _restart(emulator, db, guild, setup=None):
    from pydantic import SecretStr

    from bot.app import Haven
    from bot.settings import DatabaseSettings, DiscordSettings, Secrets, Settings

    settings = Settings(
        database=DatabaseSettings(path=db),
        discord=DiscordSettings(
            enabled=True,
            guild_ids=[int(guild["id"])],
            api_base_url=emulator.api_base,
            gateway_url=emulator.gateway_url,
            guild_ready_timeout=0.2,
        ),
    )
    app = Haven(settings, Secrets(discord_token=SecretStr(emulator.bot_token)))
    await app.open()
    if setup is not None:
        setup(app)
    await app.start()
    return app


async def test_descriptions_option_names_and_choices_are_localised(
    discord_emulator, discord_harness, tmp_path: Path
):
    app, *_ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        call = discord_emulator.calls_to(SYNC)[0]
        language = payload_named(call, "language")
        assert language["description"] == "See or change the language I use with you."
        assert language["description_localizations"]["nl"] == (
            "Bekijk of wijzig de taal die ik met je spreek."
        )
        assert language["description_localizations"]["fr"].startswith("Voir ou changer")
        option = language["options"][0]
        assert option["name"] == "language"
        assert option["name_localizations"] == {"nl": "taal", "fr": "langue"}
        default = next(c for c in option["choices"] if c["value"] == "default")
        assert default["name_localizations"] == {"nl": "Standaard", "fr": "Par défaut"}
        assert "confirm" not in {c["name"] for c in call.request_json}  # hidden
    finally:
        await app.close()


async def test_nl_locale_gets_dutch_answers(discord_emulator, discord_harness, tmp_path: Path):
    app, guild, lobby, _ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        user = join(discord_emulator, guild, "noor")
        handle = await discord_emulator.invoke_slash(user, lobby, "ping", locale="nl")
        assert (await handle.wait_final()).content == "Pong! Ik luister."
    finally:
        await app.close()


async def test_gateway_drop_resumes_without_losing_or_repeating(
    discord_emulator, discord_harness, tmp_path: Path
):
    app, guild, lobby, _ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        user = join(discord_emulator, guild, "alice")
        discord_emulator.drop_gateway()
        # Sent while the bot is disconnected: replayed on RESUME, answered once.
        handle = await discord_emulator.invoke_slash(user, lobby, "ping")
        await discord_emulator.wait_for_gateway(resumed=True)
        assert (await handle.wait_final(timeout=10)).content == "Pong! I'm listening."
        await asyncio.sleep(0.2)
        assert len([r for r in handle.replies if r.kind == "callback"]) == 1
    finally:
        await app.close()


async def test_emulator_restart_reconnects(discord_emulator, discord_harness, tmp_path: Path):
    app, guild, lobby, _ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        user = join(discord_emulator, guild, "alice")
        await discord_emulator.restart(downtime=0.3)
        await discord_emulator.wait_for_gateway(timeout=15)
        handle = await discord_emulator.invoke_slash(user, lobby, "ping")
        assert (await handle.wait_final(timeout=10)).content == "Pong! I'm listening."
    finally:
        await app.close()


async def test_rate_limited_answer_is_retried(discord_emulator, discord_harness, tmp_path: Path):
    app, guild, lobby, _ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        user = join(discord_emulator, guild, "alice")
        route = "POST /interactions/{interaction_id}/{interaction_token}/callback"
        discord_emulator.rate_limit(route, times=2, retry_after=0.05)
        handle = await discord_emulator.invoke_slash(user, lobby, "ping")
        assert (await handle.wait_final(timeout=10)).content == "Pong! I'm listening."
        statuses = [c.status for c in discord_emulator.calls_to(route)]
        assert statuses.count(429) == 2 and statuses.count(200) + statuses.count(204) >= 1
    finally:
        await app.close()


async def test_others_are_served_while_one_handler_is_slow_or_fails(
    discord_emulator, discord_harness, tmp_path: Path
):
    release = asyncio.Event()

    async def slow(ctx) -> Reply:
        await release.wait()
        return Reply("finally")

    async def broken(ctx) -> Reply:
        raise RuntimeError("boom")

    def setup(app) -> None:
        app.registry.add(Command("slow", slow))
        app.registry.add(Command("broken", broken))

    app, guild, lobby, _ = await start_discord_haven(
        discord_emulator, tmp_path / "haven.db", setup
    )
    try:
        alice = discord_emulator.create_user("alice")
        bob = discord_emulator.create_user("bob")
        discord_emulator.add_member(guild, alice)
        discord_emulator.add_member(guild, bob)
        slow_handle = await discord_emulator.invoke_slash(alice, lobby, "slow")
        broken_handle = await discord_emulator.invoke_slash(bob, lobby, "broken")
        failed = await broken_handle.wait_final()
        assert failed.ephemeral and "Something went wrong on our side" in failed.content
        assert "boom" not in failed.content
        ping = await discord_emulator.invoke_slash(bob, lobby, "ping")
        assert (await ping.wait_final()).content == "Pong! I'm listening."
        # The slow one was deferred (Discord's 3 s limit), then answered.
        deferred = await slow_handle.wait_response(timeout=5)
        assert deferred.type == 5
        release.set()
        assert (await slow_handle.wait_edit(timeout=5)).content == "finally"
    finally:
        await app.close()


async def test_text_commands_work_like_on_matrix(discord_emulator, discord_harness, tmp_path):
    app, guild, lobby, _ = await start_discord_haven(discord_emulator, tmp_path / "haven.db")
    try:
        alice = join(discord_emulator, guild, "alice")

        async def say(text: str) -> str:
            sent = await discord_emulator.send_message(alice, lobby, text)
            reply = await discord_emulator.wait_for_message(
                lobby, predicate=lambda m: (m.get("message_reference") or {}).get("message_id")
                == sent["id"],
            )  # fmt: skip
            return reply["content"]

        assert await say("!ping") == "Pong! I'm listening."
        assert await say("!language nl") == "Ik praat vanaf nu Nederlands met je."
        assert await say("!teleport") == (
            "Ik ken het commando “teleport” niet. Typ !help om te zien wat ik kan."
        )
        unknown = await say("!help teleport")
        assert unknown == "Er bestaat geen commando “teleport”."
        handle = await discord_emulator.invoke_slash(alice, lobby, "ping")
        assert (await handle.wait_final()).content == "Pong! Ik luister."
        plain = await discord_emulator.send_message(alice, lobby, "just chatting")
        await asyncio.sleep(0.2)
        assert not [
            m for m in discord_emulator.messages(lobby)
            if (m.get("message_reference") or {}).get("message_id") == plain["id"]
        ]  # fmt: skip
    finally:
        await app.close()


async def test_tournaments_are_announced_in_the_configured_channel(
    discord_emulator, discord_harness, tmp_path
):
    from datetime import UTC, datetime, timedelta

    from bot.core.capabilities import Role

    app, guild, lobby, roles = await start_discord_haven(
        discord_emulator, tmp_path / "haven.db", purpose_channels=("tournaments",)
    )
    try:
        worker = discord_emulator.create_user("worker")
        discord_emulator.add_member(guild, worker, roles=[roles[Role.YOUTH_WORKER]])
        start = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
        options = {"name": "Cup", "game": "Chess", "format": "swiss", "max_players": 8,
                   "start": start}  # fmt: skip
        handle = await discord_emulator.invoke_slash(worker, lobby, "tournament create", options)
        reply = await handle.wait_final()
        channel_id = str(app.settings.discord.channels["tournaments"])
        assert reply.content == "Tournament #1 is announced in tournaments."
        posted = discord_emulator.messages(channel_id)
        assert posted and posted[-1]["content"].startswith("🏆 Tournament #1: Cup")
        assert posted[-1]["components"]  # the Join button
    finally:
        await app.close()
