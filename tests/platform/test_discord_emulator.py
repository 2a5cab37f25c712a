"""The Discord emulator driven by a bare discord.py bot (not Haven's).

Run: ``.venv/bin/python -m pytest -p tests.support.discord_fixtures
tests/platform/test_discord_emulator.py -q``
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.support.discord_emulator import DiscordEmulator, SpecValidator, validate_calls
from tests.support.discord_emulator.gateway import RESUME_PATH
from tests.support.discord_fixtures import DiscordHarness, default_intents

pytestmark = pytest.mark.discord

Json = dict[str, Any]


@dataclass
class World:
    """A small guild: general + mod-log channels, a moderator role, two members."""

    guild: Json
    general: Json
    modlog: Json
    mod_role: Json
    alice: Json
    bob: Json


@pytest.fixture
def world(discord_emulator: DiscordEmulator) -> World:
    emu = discord_emulator
    guild = emu.create_guild("Haven Test")
    general = emu.create_channel(guild, "general", topic="hello")
    mod_role = emu.create_role(guild, "Moderator", permissions=1 << 40, hoist=True)
    modlog = emu.create_channel(
        guild,
        "mod-log",
        overwrites=[
            {"id": guild["id"], "type": 0, "allow": "0", "deny": str(1 << 10)},
            {"id": mod_role["id"], "type": 0, "allow": str(1 << 10), "deny": "0"},
        ],
    )
    alice = emu.create_user("alice")
    bob = emu.create_user("bob")
    emu.add_member(guild, alice)
    emu.add_member(guild, bob, roles=[mod_role])
    return World(guild, general, modlog, mod_role, alice, bob)


async def _echo_client(harness: DiscordHarness, **options: Any) -> tuple[discord.Client, list]:
    """A client recording every message and echoing user messages."""
    client = harness.make_client(**options)
    seen: list[discord.Message] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if message.author.id != client.user.id:
            await message.reply(f"echo: {message.content}")

    await harness.connect(client)
    return client, seen


# --------------------------------------------------------------------- gateway
async def test_login_ready_and_guild_cache(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    await discord_harness.connect(client)

    assert client.user is not None and client.user.id == int(emu.bot_user["id"])
    assert client.application_id == int(emu.application_id)
    guild = client.get_guild(int(world.guild["id"]))
    assert guild is not None and guild.name == "Haven Test"
    assert guild.member_count == 4  # owner, bot, alice, bob
    assert {m.name for m in guild.members} >= {"alice", "bob", "HavenTest"}
    assert {c.name for c in guild.text_channels} == {"general", "mod-log"}
    assert guild.get_channel(int(world.general["id"])).topic == "hello"
    me = guild.me
    assert me.guild_permissions.administrator
    assert me.top_role.managed and me.top_role.is_bot_managed()
    bob = guild.get_member(int(world.bob["id"]))
    assert [r.name for r in bob.roles[1:]] == ["Moderator"]
    modlog = guild.get_channel(int(world.modlog["id"]))
    everyone = guild.default_role
    assert modlog.overwrites_for(everyone).view_channel is False
    assert not modlog.permissions_for(guild.get_member(int(world.alice["id"]))).view_channel
    assert modlog.permissions_for(bob).view_channel

    conn = emu.gateway.connections[0]
    assert conn.compress == "zlib-stream" and conn.query["v"] == "10"
    sent = [f for f in emu.gateway.frames if f.direction == "sent"]
    assert sent[0].op == 10
    assert [f.t for f in sent if f.op == 0][:2] == ["READY", "GUILD_CREATE"]


async def test_zlib_stream_frames_decode(discord_emulator: DiscordEmulator, world: World) -> None:
    """Raw client: compressed HELLO/READY decode with one shared zlib context."""
    emu = discord_emulator
    inflator = zlib.decompressobj()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(emu.gateway_url + "?v=10&encoding=json&compress=zlib-stream") as ws,
    ):
        hello = json.loads(inflator.decompress(await ws.receive_bytes(timeout=2)))
        assert hello == {"op": 10, "d": {"heartbeat_interval": 1000}}
        await ws.send_json({"op": 1, "d": None})
        ack = json.loads(inflator.decompress(await ws.receive_bytes(timeout=2)))
        assert ack["op"] == 11
        await ws.send_json(
            {"op": 2, "d": {"token": emu.bot_token, "intents": 1, "properties": {}}}
        )
        ready = json.loads(inflator.decompress(await ws.receive_bytes(timeout=2)))
        guild_create = json.loads(inflator.decompress(await ws.receive_bytes(timeout=2)))
    assert ready["t"] == "READY" and ready["s"] == 1
    assert ready["d"]["resume_gateway_url"].endswith(RESUME_PATH)
    assert ready["d"]["guilds"] == [{"id": world.guild["id"], "unavailable": True}]
    assert guild_create["t"] == "GUILD_CREATE" and guild_create["s"] == 2
    # Without GUILD_MEMBERS only the bot's own member is sent, but the count is complete.
    assert [m["user"]["id"] for m in guild_create["d"]["members"]] == [emu.bot_user["id"]]
    assert guild_create["d"]["member_count"] == 4


async def test_gateway_bad_token_closes_4004(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(emu.gateway_url + "?v=10&encoding=json") as ws,
    ):
        assert (await ws.receive_json(timeout=2))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 0, "properties": {}}})
        msg = await ws.receive(timeout=2)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4004
    assert emu.gateway.connections[0].close_code == 4004


async def test_bad_token_raises_login_failure(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness
) -> None:
    client = discord_harness.make_client()
    with pytest.raises(discord.LoginFailure):
        await discord_harness.connect(client, token="not-the-token")
    assert [c.status for c in discord_emulator.calls] == [401]
    assert discord_emulator.calls[0].response_json == {"message": "401: Unauthorized", "code": 0}


# -------------------------------------------------------------------- messages
async def test_message_echo_round_trip(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client, seen = await _echo_client(discord_harness)

    sent = await emu.send_message(world.alice, world.general, f"hi <@{emu.bot_user['id']}>")
    reply = await emu.wait_for_message(world.general)
    assert reply["content"] == f"echo: hi <@{emu.bot_user['id']}>"
    assert reply["type"] == 19
    assert reply["message_reference"]["message_id"] == sent["id"]
    assert reply["referenced_message"]["id"] == sent["id"]
    # the echoed text mentions the bot; the reply pings alice (replied_user)
    assert [u["id"] for u in reply["mentions"]] == [emu.bot_user["id"], world.alice["id"]]
    # The bot hears its own REST-sent message back over the gateway.
    await emu.wait_until(lambda: len(seen) == 2, what="bot sees its echo")
    first, own = seen
    assert first.content.startswith("hi") and client.user in first.mentions
    assert own.author == client.user and own.id == int(reply["id"])
    assert own.reference.message_id == int(sent["id"])

    # user edits and deletes reach the bot
    edits: list[tuple[str, str]] = []
    deletes: list[int] = []
    client.event(_named("on_message_edit", lambda b, a: edits.append((b.content, a.content))))
    client.event(_named("on_raw_message_delete", lambda p: deletes.append(p.message_id)))
    await emu.edit_message(world.alice, sent, "edited")
    await emu.delete_message(sent)
    await emu.wait_until(lambda: edits and deletes, what="edit+delete events")
    assert edits == [(f"hi <@{emu.bot_user['id']}>", "edited")]
    assert deletes == [int(sent["id"])]


def _named(name: str, fn: Any) -> Any:
    async def handler(*args: Any) -> None:
        fn(*args)

    handler.__name__ = name
    return handler


async def test_message_content_requires_intent(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    intents = discord.Intents.default()  # no message_content
    client = discord_harness.make_client(intents=intents)
    seen: list[discord.Message] = []
    client.event(_named("on_message", seen.append))
    await discord_harness.connect(client)
    await emu.send_message(world.alice, world.general, "secret words")
    await emu.send_message(world.alice, world.general, f"<@{emu.bot_user['id']}> hello")
    await emu.wait_until(lambda: len(seen) == 2, what="two messages")
    assert seen[0].content == ""
    assert seen[1].content == f"<@{emu.bot_user['id']}> hello"


async def test_dm_both_directions(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.guild is None and message.author != client.user:
            await message.author.send(f"got your DM: {message.content}")

    await discord_harness.connect(client)
    dm = emu.dm_channel(world.alice)
    await emu.send_message(world.alice, dm, "help me")
    reply = await emu.wait_for_message(dm)
    assert reply["content"] == "got your DM: help me"
    assert (
        emu.calls_to("POST /users/@me/channels")[0].response_json["recipients"][0]["id"]
        == (world.alice["id"])
    )

    member = client.get_guild(int(world.guild["id"])).get_member(int(world.bob["id"]))
    await member.send("hello bob")
    to_bob = await emu.wait_for_message(emu.dm_channel(world.bob))
    assert to_bob["content"] == "hello bob"


# ------------------------------------------------------------ app commands
def _mod_tree(client: discord.Client, log: list) -> app_commands.CommandTree:
    tree = app_commands.CommandTree(client)
    mod = app_commands.Group(name="mod", description="Moderation")
    case = app_commands.Group(name="case", description="Cases", parent=mod)

    @case.command(name="note", description="Add a note")
    @app_commands.describe(user="who", reason="why", count="how many")
    async def note(
        interaction: discord.Interaction,
        user: discord.Member,
        reason: str,
        count: app_commands.Range[int, 1, 10] = 1,
        urgent: bool = False,
    ) -> None:
        log.append((user, reason, count, urgent, interaction.locale))
        await interaction.response.send_message(f"noted {user.name} x{count}", ephemeral=True)
        await interaction.followup.send("follow-up", ephemeral=True)
        await interaction.edit_original_response(content="noted (edited)")

    @mod.command(name="ping", description="Deferred reply")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("pong")

    tree.add_command(mod)
    return tree


async def _sync(tree: app_commands.CommandTree, world: World) -> list:
    guild = discord.Object(int(world.guild["id"]))
    tree.copy_global_to(guild=guild)
    return await tree.sync(guild=guild)


async def test_slash_subcommand_ephemeral_followup_edit(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    log: list = []
    tree = _mod_tree(client, log)
    await discord_harness.connect(client)
    synced = await _sync(tree, world)
    assert [c.name for c in synced] == ["mod"]
    assert [c.payload["name"] for c in emu.state.commands.values()] == ["mod"]

    handle = await emu.invoke_slash(
        world.bob,
        world.general,
        "mod case note",
        {"user": world.alice, "reason": "spam", "count": 3},
        locale="de",
    )
    first = await handle.wait_response()
    assert first.type == 4 and first.ephemeral and first.content == "noted alice x3"
    followup = await handle.wait_followup()
    assert followup.ephemeral and followup.content == "follow-up"
    edit = await handle.wait_edit()
    assert edit.content == "noted (edited)" and edit.ephemeral
    assert handle.original["content"] == "noted (edited)"
    (user, reason, count, urgent, locale) = log[0]
    assert isinstance(user, discord.Member) and user.id == int(world.alice["id"])
    assert (reason, count, urgent, locale) == ("spam", 3, False, discord.Locale.german)
    # ephemeral responses never appear in the channel
    assert emu.messages(world.general) == []

    with pytest.raises(ValueError, match="unknown option"):
        await emu.invoke_slash(world.bob, world.general, "mod case note", {"nope": 1})
    with pytest.raises(ValueError, match="min_value"):
        await emu.invoke_slash(
            world.bob,
            world.general,
            "mod case note",
            {"user": world.bob, "reason": "x", "count": 0},
        )

    deferred = await emu.invoke_slash(world.alice, world.general, "mod ping")
    assert (await deferred.wait_response()).type == 5
    final = await deferred.wait_followup()
    assert final.content == "pong" and not final.ephemeral
    assert deferred.original["content"] == "pong"
    posted = await emu.wait_for_message(world.general)
    assert posted["content"] == "pong" and posted["interaction_metadata"]["type"] == 2


async def test_message_context_menu(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)

    @tree.context_menu(name="Report to a moderator")
    async def report(interaction: discord.Interaction, message: discord.Message) -> None:
        modlog = interaction.guild.get_channel(int(world.modlog["id"]))
        await modlog.send(f"report by {interaction.user.name}: {message.content}")
        await interaction.response.send_message("Thanks, a moderator will look.", ephemeral=True)

    await discord_harness.connect(client)
    await _sync(tree, world)
    target = await emu.send_message(world.bob, world.general, "something nasty")
    handle = await emu.invoke_message_command(
        world.alice, world.general, "Report to a moderator", target
    )
    reply = await handle.wait_response()
    assert reply.ephemeral and reply.content == "Thanks, a moderator will look."
    report_msg = await emu.wait_for_message(world.modlog)
    assert report_msg["content"] == "report by alice: something nasty"
    assert handle.payload["data"]["target_id"] == target["id"]


async def test_button_click_via_view(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    clicked: list[int] = []

    class Confirm(discord.ui.View):
        @discord.ui.button(label="Confirm", style=discord.ButtonStyle.green, custom_id="confirm")
        async def confirm(
            self, interaction: discord.Interaction, button: discord.ui.Button
        ) -> None:
            clicked.append(interaction.user.id)
            await interaction.response.edit_message(content="confirmed", view=None)

        @discord.ui.button(label="Later", custom_id="later")
        async def later(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.defer()  # DEFERRED_UPDATE_MESSAGE
            await interaction.edit_original_response(content="maybe later")

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.content == "!ask":
            await message.channel.send("Are you sure?", view=Confirm(timeout=5))

    await discord_harness.connect(client)
    await emu.send_message(world.alice, world.general, "!ask")
    prompt = await emu.wait_for_message(world.general)
    button = prompt["components"][0]["components"][0]
    assert button["custom_id"] == "confirm" and button["style"] == 3
    deferred = await emu.click_button(world.bob, prompt, "later")
    assert (await deferred.wait_response()).type == 6
    assert (await deferred.wait_edit()).content == "maybe later"
    assert emu.message(prompt)["content"] == "maybe later"
    handle = await emu.click_button(world.alice, prompt, "confirm")
    reply = await handle.wait_response()
    assert reply.type == 7 and reply.content == "confirmed" and reply.components == []
    assert emu.message(prompt)["content"] == "confirmed"
    assert clicked == [int(world.alice["id"])]
    with pytest.raises(ValueError):
        await emu.click_button(world.alice, prompt, "confirm")  # the view was removed


async def test_modal_round_trip(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)

    class Feedback(discord.ui.Modal, title="Feedback"):
        text = discord.ui.TextInput(label="Your feedback", custom_id="text")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)

    @tree.command(name="feedback", description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    await discord_harness.connect(client)
    await _sync(tree, world)
    handle = await emu.invoke_slash(world.alice, world.general, "feedback")
    assert (await handle.wait_response()).type == 9
    submitted = await emu.submit_modal(handle, {"text": "lovely"})
    reply = await submitted.wait_response()
    assert reply.content == "thanks: lovely" and reply.ephemeral


# ------------------------------------------------------- guild management
async def test_threads(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    created: list[discord.Thread] = []
    client.event(_named("on_thread_create", created.append))
    await discord_harness.connect(client)
    guild = client.get_guild(int(world.guild["id"]))
    general = guild.get_channel(int(world.general["id"]))

    starter = await emu.send_message(world.alice, world.general, "discuss here")
    message = await general.fetch_message(int(starter["id"]))
    public = await message.create_thread(name="discussion")
    assert public.id == int(starter["id"])
    await public.send("first in thread")
    in_thread = await emu.wait_for_message(public.id)
    assert in_thread["content"] == "first in thread"

    private = await general.create_thread(
        name="support", type=discord.ChannelType.private_thread, invitable=False
    )
    await private.add_user(guild.get_member(int(world.alice["id"])))
    await emu.wait_until(lambda: len(created) == 2, what="two THREAD_CREATE")
    assert {t.name for t in created} == {"discussion", "support"}
    state = emu.channel(private.id)
    assert state["type"] == 12 and state["thread_metadata"]["invitable"] is False
    assert set(emu.state.thread_members[str(private.id)]) == {
        emu.bot_user["id"],
        world.alice["id"],
    }
    await emu.send_message(world.alice, private.id, "I need help")
    await private.edit(archived=True, locked=True)
    assert emu.channel(private.id)["thread_metadata"]["archived"] is True
    assert emu.message(starter)["thread"]["id"] == starter["id"]


async def test_member_timeout_roles_and_kick(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    updates: list[tuple[discord.Member, discord.Member]] = []
    client.event(_named("on_member_update", lambda b, a: updates.append((b, a))))
    await discord_harness.connect(client)
    guild = client.get_guild(int(world.guild["id"]))
    alice = guild.get_member(int(world.alice["id"]))

    await alice.timeout(dt.timedelta(minutes=10), reason="cool off")
    until = emu.member(world.guild, world.alice)["communication_disabled_until"]
    assert until is not None
    await emu.wait_until(lambda: updates, what="GUILD_MEMBER_UPDATE")
    assert updates[-1][1].is_timed_out()
    with pytest.raises(PermissionError, match="timed out"):
        await emu.send_message(world.alice, world.general, "let me talk")
    await alice.timeout(None)
    assert emu.member(world.guild, world.alice)["communication_disabled_until"] is None

    quiet = await guild.create_role(name="Quiet", permissions=discord.Permissions.none())
    await alice.add_roles(quiet)
    assert emu.member(world.guild, world.alice)["roles"] == [str(quiet.id)]
    await alice.edit(nick="Al")
    assert emu.member(world.guild, world.alice)["nick"] == "Al"
    await alice.remove_roles(quiet)
    await guild.kick(alice)
    assert world.alice["id"] not in emu.state.members[world.guild["id"]]
    bob = guild.get_member(int(world.bob["id"]))
    await guild.ban(bob, delete_message_seconds=0)
    assert world.bob["id"] in emu.state.bans[world.guild["id"]]
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(int(world.bob["id"]))


async def test_private_channel_with_overwrites(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    created: list[discord.abc.GuildChannel] = []
    client.event(_named("on_guild_channel_create", created.append))
    await discord_harness.connect(client)
    guild = client.get_guild(int(world.guild["id"]))
    alice = guild.get_member(int(world.alice["id"]))
    category = await guild.create_category("Support")
    channel = await guild.create_text_channel(
        "ticket-alice",
        category=category,
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            alice: discord.PermissionOverwrite(view_channel=True, send_messages=True),
        },
    )
    await emu.wait_until(lambda: len(created) == 2, what="CHANNEL_CREATE x2")
    stored = emu.channel(channel.id)
    assert stored["parent_id"] == str(category.id)
    assert not emu.state.channel_permissions(stored["id"], world.bob["id"]) & (1 << 10)
    assert emu.state.channel_permissions(stored["id"], world.alice["id"]) & (1 << 10)
    await emu.send_message(world.alice, channel.id, "my ticket")
    with pytest.raises(PermissionError):
        await emu.send_message(world.bob, channel.id, "peek")
    await channel.set_permissions(alice, overwrite=None)
    await channel.edit(name="closed-ticket")
    assert emu.channel(channel.id)["name"] == "closed-ticket"
    await channel.delete()
    assert str(channel.id) not in emu.state.channels


# ------------------------------------------------------------ resilience
async def test_resume_after_drop_no_loss_no_duplicates(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    seen: list[int] = []
    resumed: list[bool] = []
    client.event(_named("on_message", lambda m: seen.append(m.id)))
    client.event(_named("on_resumed", lambda: resumed.append(True)))
    await discord_harness.connect(client)

    first = await emu.send_message(world.alice, world.general, "one")
    await emu.wait_until(lambda: len(seen) == 1, what="first message")
    assert emu.drop_gateway() == 1
    missed = await emu.send_message(world.alice, world.general, "sent while disconnected")
    await emu.wait_for_gateway(resumed=True)
    await emu.wait_until(lambda: resumed, what="on_resumed")
    after = await emu.send_message(world.alice, world.general, "after resume")
    await emu.wait_until(lambda: len(seen) >= 3, what="three messages")
    await asyncio.sleep(0.05)
    assert seen == [int(first["id"]), int(missed["id"]), int(after["id"])]
    resumed_conn = emu.gateway.connections[-1]
    assert resumed_conn.path == RESUME_PATH
    session = emu.gateway.current_session
    seqs = [s for s, _, _ in session.buffer]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1


async def test_reconnect_op7_and_invalid_session(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client, _ = await _echo_client(discord_harness)
    first_session = emu.gateway.current_session.session_id

    emu.send_reconnect()
    await emu.wait_for_gateway(resumed=True)
    await emu.send_message(world.alice, world.general, "after op7")
    assert (await emu.wait_for_message(world.general))["content"] == "echo: after op7"
    assert emu.gateway.current_session.session_id == first_session

    emu.invalidate_session()
    await emu.wait_for_gateway(resumed=False, count=2)
    assert emu.gateway.current_session.session_id != first_session
    await client.wait_until_ready()
    await emu.send_message(world.alice, world.general, "after op9")
    assert (await emu.wait_for_message(world.general))["content"] == "echo: after op9"


async def test_reconnect_after_emulator_restart(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    _, seen = await _echo_client(discord_harness)
    port = emu.port
    # Down for 50 ms: the client's first reconnect attempts are refused and it backs off.
    await emu.restart(downtime=0.05)
    assert emu.port == port
    await emu.wait_for_gateway(resumed=True, timeout=5)
    await emu.send_message(world.alice, world.general, "still there?")
    reply = await emu.wait_for_message(world.general)
    assert reply["content"] == "echo: still there?"
    assert len([m for m in seen if m.content == "still there?"]) == 1


async def test_429_is_retried_and_nothing_lost(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    await discord_harness.connect(client)
    channel = client.get_channel(int(world.general["id"]))
    route = "POST /channels/{channel_id}/messages"
    emu.rate_limit(route, times=2, retry_after=0.02)
    sent = await channel.send("through the limit")
    statuses = [c.status for c in emu.calls_to(route)]
    assert statuses == [429, 429, 200]
    limited = emu.calls_to(route)[0].response_json
    assert limited["retry_after"] == 0.02 and limited["global"] is False
    assert [m["id"] for m in emu.messages(world.general)] == [str(sent.id)]


# ------------------------------------------------------------ fidelity
@pytest.mark.discord_allow_unknown_routes
async def test_unknown_routes_are_404_and_recorded(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    headers = {"Authorization": f"Bot {emu.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(emu.api_base + "/guilds/1/no-such-thing") as resp:
            assert resp.status == 404
            assert resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with session.put(emu.api_base + "/users/@me") as resp:
            assert resp.status == 405
            assert await resp.json() == {"message": "405: Method Not Allowed", "code": 0}
    assert [c.route for c in emu.unknown_routes] == [
        "GET /guilds/1/no-such-thing",
        "PUT /users/@me",
    ]


async def test_rest_surface_validates_against_spec(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    """Exercise many endpoints; every response must match the OpenAPI schemas."""
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("hi")

    await discord_harness.connect(client)
    await tree.sync()  # global
    assert len(await tree.fetch_commands()) == 1
    cmd = (await tree.fetch_commands())[0]
    await cmd.edit(description="Say hi")
    await cmd.delete()
    guild = await client.fetch_guild(int(world.guild["id"]))
    assert guild.approximate_member_count == 4
    members = [m async for m in guild.fetch_members(limit=10)]
    assert len(members) == 4
    await guild.fetch_roles()
    await guild.fetch_channels()
    channel = await client.fetch_channel(int(world.general["id"]))
    msg = await channel.send("hello", embed=discord.Embed(title="t", description="d"))
    await msg.add_reaction("👍")
    await msg.edit(content="hello again")
    await msg.pin()
    await msg.unpin()
    user_msg = await emu.send_message(world.alice, world.general, "react to me")
    fetched = await channel.fetch_message(int(user_msg["id"]))
    await fetched.add_reaction("🎉")
    await fetched.remove_reaction("🎉", client.user)
    history = [m async for m in channel.history(limit=10)]
    assert [m.content for m in history[:2]] == ["react to me", "hello again"]
    await msg.delete()
    role = await client.get_guild(int(world.guild["id"])).create_role(name="temp")
    await role.edit(name="temp2", colour=discord.Colour.red())
    await role.delete()
    async with channel.typing():
        pass
    assert await client.fetch_user(int(world.alice["id"]))
    assert emu.calls and validate_calls(emu.calls) == []


def test_spec_validator_is_strict() -> None:
    validator = SpecValidator()
    user = {
        "id": "1",
        "username": "u",
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "primary_guild": None,
    }
    assert validator.validate_response("GET", "/users/1", 200, user) == []
    bad_id = {**user, "id": 1}
    assert validator.validate_response("GET", "/users/1", 200, bad_id)
    missing = {k: v for k, v in user.items() if k != "global_name"}
    assert validator.validate_response("GET", "/users/1", 200, missing)
    # 204 must have no body; undeclared statuses are reported
    path = "/channels/1/messages/2"
    assert validator.validate_response("DELETE", path, 204, None) == []
    assert validator.validate_response("DELETE", path, 204, {"x": 1})
    assert validator.validate_response("DELETE", path, 200, {"x": 1})
    # formats are asserted: a timestamp without offset is not RFC 3339
    member = {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": "2024-01-01T00:00:00",
        "flags": 0,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "nick": None,
        "pending": False,
        "premium_since": None,
        "roles": [],
        "user": user,
        "mute": False,
        "deaf": False,
    }
    member_path = "/guilds/1/members/2"
    assert validator.validate_response("GET", member_path, 200, member)
    member["communication_disabled_until"] = None
    assert validator.validate_response("GET", member_path, 200, member) == []
    # literal segments win: /members/@me is its own operation (PATCH only)
    assert (
        validator.match_path("PATCH", "/guilds/1/members/@me") == "/guilds/{guild_id}/members/@me"
    )
    assert validator.match_path("GET", "/guilds/1/members/@me") == (
        "/guilds/{guild_id}/members/{user_id}"
    )
    # oneOf is exact: a DM channel with a guild channel type matches no branch
    dm = {"id": "1", "type": 0, "last_message_id": None, "flags": 0, "recipients": []}
    assert validator.validate_response("GET", "/channels/1", 200, dm)


async def test_default_intents_helper_matches_emulator_grants(
    discord_emulator: DiscordEmulator,
) -> None:
    intents = default_intents()
    assert intents.message_content and intents.members and not intents.presences


async def test_more_rest_surface_validates_against_spec(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    """Commands by id, reactions, bulk delete, threads, bans and interaction webhooks."""
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)
    gobj = discord.Object(int(world.guild["id"]))

    @tree.command(name="webhooks", description="Exercise the interaction webhook", guild=gobj)
    async def webhooks(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("original")
        original = await interaction.original_response()
        assert original.content == "original"
        follow = await interaction.followup.send("follow", wait=True)
        fetched = await interaction.followup.fetch_message(follow.id)
        await fetched.edit(content="follow edited")
        await interaction.delete_original_response()
        await follow.delete()

    await discord_harness.connect(client)
    await tree.sync(guild=gobj)
    app_id = int(emu.application_id)
    [cmd] = await tree.fetch_commands(guild=gobj)
    assert (await tree.fetch_command(cmd.id, guild=gobj)).name == "webhooks"
    created = await client.http.upsert_global_command(
        app_id, {"name": "extra", "description": "d", "type": 1}
    )
    assert (await tree.fetch_command(int(created["id"]))).name == "extra"
    guild_cmd = await client.http.upsert_guild_command(
        app_id, gobj.id, {"name": "menu", "type": 3}
    )
    await client.http.edit_guild_command(app_id, gobj.id, guild_cmd["id"], {"nsfw": True})
    await client.http.delete_guild_command(app_id, gobj.id, guild_cmd["id"])
    await client.http.request(discord.http.Route("GET", "/applications/@me"))
    assert [g.id async for g in client.fetch_guilds()] == [gobj.id]

    handle = await emu.invoke_slash(world.alice, world.general, "webhooks")
    await handle.wait_reply("delete_followup")
    kinds = [r.kind for r in handle.replies]
    assert kinds == ["callback", "followup", "edit_followup", "delete_original", "delete_followup"]
    assert emu.messages(world.general) == []

    guild = client.get_guild(gobj.id)
    channel = guild.get_channel(int(world.general["id"]))
    alice = guild.get_member(int(world.alice["id"]))
    user_msg = await emu.send_message(world.alice, world.general, "react")
    msg = await channel.fetch_message(int(user_msg["id"]))
    await emu.add_reaction(world.alice, user_msg, "👍")
    await msg.add_reaction("👍")
    msg = await channel.fetch_message(msg.id)
    assert msg.reactions[0].count == 2 and msg.reactions[0].me
    assert {u.id async for u in msg.reactions[0].users()} == {alice.id, client.user.id}
    await msg.remove_reaction("👍", alice)
    await msg.clear_reaction("👍")
    await msg.add_reaction("🎉")
    await msg.clear_reactions()
    a = await channel.send("a")
    b = await channel.send("b")
    await channel.delete_messages([a, b])
    assert [m["content"] for m in emu.messages(world.general)] == ["react"]

    await channel.set_permissions(guild.get_role(int(world.mod_role["id"])), send_messages=False)
    await channel.edit(position=1)
    thread = await channel.create_thread(name="t", type=discord.ChannelType.public_thread)
    await thread.leave()
    await thread.join()
    await thread.add_user(alice)
    assert (await thread.fetch_member(alice.id)).id == alice.id
    assert len(await thread.fetch_members()) == 2
    await thread.remove_user(alice)
    assert [t.id for t in await guild.active_threads()] == [thread.id]
    await guild.me.edit(nick="Haven")
    assert emu.member(world.guild, emu.bot_user)["nick"] == "Haven"
    assert (await guild.fetch_role(int(world.mod_role["id"]))).name == "Moderator"
    await guild.ban(alice, reason="bye, spammer")
    ban = await guild.fetch_ban(alice)
    assert ban.reason == "bye, spammer"
    assert emu.calls_to("PUT /guilds/{guild_id}/bans/{user_id}")[0].audit_log_reason == (
        "bye, spammer"
    )
    await guild.unban(alice)
    with pytest.raises(discord.NotFound):
        await guild.fetch_ban(alice)
    assert validate_calls(emu.calls) == []


async def test_attachments_both_directions(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    contents: list[bytes] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.attachments and message.author != client.user:
            contents.append(await message.attachments[0].read())
            data = io.BytesIO(b"report body")
            await message.channel.send("report", file=discord.File(data, "report.txt"))

    await discord_harness.connect(client)
    await emu.send_message(
        world.alice, world.general, "see file", attachments=[("evidence.png", b"\x89PNG")]
    )
    reply = await emu.wait_for_message(world.general)
    assert contents == [b"\x89PNG"]
    [attachment] = reply["attachments"]
    assert attachment["filename"] == "report.txt" and attachment["size"] == 11
    assert emu.attachments[attachment["id"]] == b"report body"


async def test_handler_errors_are_collected(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="boom", description="Fails")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaboom")

    @client.event
    async def on_message(message: discord.Message) -> None:
        raise ValueError("bad handler")

    await discord_harness.connect(client)
    await _sync(tree, world)
    await emu.invoke_slash(world.alice, world.general, "boom")
    await emu.send_message(world.alice, world.general, "trigger")
    await emu.wait_until(lambda: len(discord_harness.errors) == 2, what="two handler errors")
    text = "\n".join(e.traceback for e in discord_harness.errors)
    assert "kaboom" in text and "bad handler" in text
    with pytest.raises(AssertionError, match="2 handler error"):
        discord_harness.raise_errors()
    assert discord_harness.errors == []


async def test_commands_bot_prefix_command_and_role_events(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    bot = discord_harness.make_bot()
    roles: list[str] = []
    bot.add_listener(_named("on_guild_role_create", lambda r: roles.append(r.name)))

    @bot.command()
    async def ping(ctx: Any) -> None:
        await ctx.send(f"pong {ctx.author.display_name}")

    await discord_harness.connect(bot)
    await emu.send_message(world.alice, world.general, "!ping")
    assert (await emu.wait_for_message(world.general))["content"] == "pong alice"
    joined: list[discord.Guild] = []
    bot.add_listener(_named("on_guild_join", joined.append))
    second = emu.create_guild("Second")
    await emu.wait_until(lambda: joined, what="on_guild_join")
    assert joined[0].id == int(second["id"]) and joined[0].me is not None
    emu.create_role(world.guild, "Helper")
    await emu.wait_until(lambda: roles == ["Helper"], what="GUILD_ROLE_CREATE")
    helper = next(r for r in emu.state.roles.values() if r["name"] == "Helper")
    assert bot.get_guild(int(world.guild["id"])).get_role(int(helper["id"])) is not None


async def test_autocomplete_select_and_user_command(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness, world: World
) -> None:
    emu = discord_emulator
    client = discord_harness.make_client()
    tree = app_commands.CommandTree(client)

    async def topics(interaction: discord.Interaction, current: str) -> list:
        names = ["bullying", "burnout", "games"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    class Pick(discord.ui.View):
        @discord.ui.select(
            custom_id="pick",
            options=[discord.SelectOption(label="a"), discord.SelectOption(label="b")],
        )
        async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
            await interaction.response.send_message(f"picked {select.values}", ephemeral=True)

    @tree.command(name="help", description="Ask for help")
    @app_commands.autocomplete(topic=topics)
    async def help_cmd(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"help on {topic}", view=Pick())

    @tree.context_menu(name="Check user")
    async def check_user(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.name} ok", ephemeral=True)

    await discord_harness.connect(client)
    await _sync(tree, world)
    choices = await emu.autocomplete(world.alice, world.general, "help", {"topic": "bu"}, "topic")
    assert [c["value"] for c in choices] == ["bullying", "burnout"]

    handle = await emu.invoke_slash(world.alice, world.general, "help", {"topic": "games"})
    reply = await handle.wait_response()
    assert reply.content == "help on games"
    picked = await emu.select_options(world.alice, handle.original, "pick", ["b"])
    assert (await picked.wait_response()).content == "picked ['b']"

    checked = await emu.invoke_user_command(world.bob, world.general, "Check user", world.alice)
    assert (await checked.wait_response()).content == "alice ok"


async def test_privileged_intent_not_granted(
    discord_emulator: DiscordEmulator, discord_harness: DiscordHarness
) -> None:
    discord_emulator.configure(privileged_intents=0)
    client = discord_harness.make_client()  # asks for members + message_content
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await discord_harness.connect(client)
    assert discord_emulator.gateway.connections[0].close_code == 4014


async def test_harness_restores_discord_globals(discord_emulator: DiscordEmulator) -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    harness = DiscordHarness(discord_emulator)
    assert discord_emulator.api_base == discord.http.Route.BASE
    await harness.close()
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    assert discord.ui.View.on_error is discord.ui.view.BaseView.on_error
