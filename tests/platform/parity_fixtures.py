"""The `driver` fixture: every parity scenario runs once on Matrix and once on Discord.

A test module may override `haven_setup` to add test-only commands before Haven serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import Haven
from bot.core.capabilities import Role
from bot.settings import DatabaseSettings, DiscordSettings, Secrets, Settings
from tests.support.drivers import DiscordDriver, MatrixDriver
from tests.support.matrix_harness import start_haven

HavenSetup = Callable[[Haven], None] | None


@pytest.fixture
def haven_setup() -> HavenSetup:
    """Override in a test module to register extra commands."""
    return None


@pytest.fixture
async def matrix_driver(
    matrix_space, matrix_members, tmp_path: Path, haven_setup: HavenSetup
) -> AsyncIterator[MatrixDriver]:
    app = await start_haven(matrix_space, tmp_path / "haven.db", setup=haven_setup)
    driver = MatrixDriver(app, matrix_space, matrix_members)
    yield driver
    await driver.app.close()  # the driver's current app (a test may have restarted it)


async def start_discord_haven(
    emulator: Any, db_path: Path, setup: HavenSetup = None, **discord: Any
) -> tuple[Haven, dict[str, Any], dict[str, Any], dict[Role, str]]:
    """A guild with a lobby and role per Haven role, and Haven serving it."""
    guild = emulator.create_guild("Haven test")
    lobby = emulator.create_channel(guild, "lobby")
    purposes = discord.pop("purpose_channels", ())
    channels = {name: int(emulator.create_channel(guild, name)["id"]) for name in purposes}
    roles = {
        role: emulator.create_role(guild, role.value)["id"]
        for role in (Role.YOUTH_WORKER, Role.MODERATOR, Role.COORDINATOR, Role.PARTNER)
    }
    options: dict[str, Any] = {
        "enabled": True,
        "guild_ids": [int(guild["id"])],
        "roles": {role: [int(rid)] for role, rid in roles.items()},
        "api_base_url": emulator.api_base,
        "gateway_url": emulator.gateway_url,
        "guild_ready_timeout": 0.2,
        "channels": channels,
    }
    options.update(discord)
    settings = Settings(
        database=DatabaseSettings(path=db_path), discord=DiscordSettings(**options)
    )
    app = Haven(settings, Secrets(discord_token=SecretStr(emulator.bot_token)))
    await app.open()
    if setup is not None:
        setup(app)
    await app.start()
    return app, guild, lobby, roles


@pytest.fixture
async def discord_driver(
    discord_emulator, discord_harness, tmp_path: Path, haven_setup: HavenSetup
) -> AsyncIterator[DiscordDriver]:
    app, guild, lobby, roles = await start_discord_haven(
        discord_emulator, tmp_path / "haven.db", haven_setup
    )
    driver = DiscordDriver(app, discord_emulator, guild, lobby, roles)
    yield driver
    await driver.app.close()  # the driver's current app (a test may have restarted it)


@pytest.fixture(params=["matrix", "discord"])
def driver(request: pytest.FixtureRequest) -> Any:
    """The same scenario on each platform."""
    return request.getfixturevalue(f"{request.param}_driver")
