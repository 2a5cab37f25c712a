"""A local Discord API emulator for testing bots with the real discord.py client.

Quick start::

    emu = DiscordEmulator(heartbeat_interval_ms=500)
    await emu.start()                       # free port on 127.0.0.1
    guild = emu.create_guild("Haven")       # bot is a member, with a managed role
    general = emu.create_channel(guild, "general")
    alice = emu.create_user("alice")
    emu.add_member(guild, alice)

    # point discord.py at it (the pytest plugin tests/support/discord_fixtures.py does this)
    discord.http.Route.BASE = emu.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)

    msg = await emu.send_message(alice, general, "hello")
    reply = await emu.wait_for_message(general)            # next message by the bot
    handle = await emu.invoke_slash(alice, general, "mod warn", {"user": alice})
    reply = await handle.wait_response()                   # .ephemeral, .content, ...

    assert not emu.unknown_routes
    assert validate_calls(emu.calls) == []                 # OpenAPI response check
    await emu.stop()

Modules: ``app`` (the emulator: lifecycle, identity, HTTP plumbing), ``world``
(creating guilds/channels/roles/users, inspection), ``acting`` (users sending messages,
invoking commands, clicking components), ``controls`` (waiting helpers, gateway
disruption, 429 injection), ``gateway`` (WebSocket protocol), ``rest_*`` (REST routes by
area), ``rest_core`` (routing, errors, call log), ``lookups`` (404/403 helpers),
``state`` (the in-memory world), ``actions`` (state changes + dispatch),
``interactions`` (interaction payloads and handles), ``spec_validation`` (OpenAPI checks),
``snowflake``, ``permissions``.  See README.md for the full API and limits.
"""

from __future__ import annotations

from .app import DiscordEmulator, EmulatorConfig
from .interactions import InteractionHandle, InteractionReply
from .rest_core import RecordedCall
from .spec_validation import SpecValidator, validate_calls

__all__ = [
    "DiscordEmulator",
    "EmulatorConfig",
    "InteractionHandle",
    "InteractionReply",
    "RecordedCall",
    "SpecValidator",
    "validate_calls",
]
