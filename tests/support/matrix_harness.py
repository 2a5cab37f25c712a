"""Running Haven on a provisioned test space, and acting as its members."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nio
from pydantic import SecretStr

from bot.app import Haven
from bot.embedded.provision import SpaceLayout, provision_space
from bot.embedded.simulated_member import SimulatedMember, body, in_reply_to
from bot.settings import DatabaseSettings, MatrixSettings, Secrets, Settings
from tests.support.synapse_fixtures import MatrixTestUser

__all__ = ["MatrixSpace", "body", "in_reply_to", "member_for", "start_haven"]


def member_for(user: MatrixTestUser, homeserver: str) -> SimulatedMember:
    """A simulated member logged in as a registered test user."""
    return SimulatedMember(user.user_id, user.access_token, user.device_id, homeserver)


@dataclass
class MatrixSpace:
    """A provisioned Haven space and the bot account that owns it."""

    homeserver: str
    bot: MatrixTestUser
    coordinator: MatrixTestUser
    layout: SpaceLayout

    def settings(self, db_path: Path, **matrix: Any) -> Settings:
        options: dict[str, Any] = {
            "enabled": True,
            "homeserver": self.homeserver,
            "user_id": self.bot.user_id,
            "space_id": self.layout.space_id,
            "rooms": self.layout.rooms,
            "sync_timeout_ms": 2000,
        }
        options.update(matrix)
        return Settings(database=DatabaseSettings(path=db_path), matrix=MatrixSettings(**options))

    def secrets(self) -> Secrets:
        return Secrets(matrix_access_token=SecretStr(self.bot.access_token))

    async def admin_client(self) -> nio.AsyncClient:
        client = nio.AsyncClient(self.homeserver, self.bot.user_id)
        client.access_token = self.bot.access_token
        return client

    async def invite(self, user_id: str, *rooms: str) -> None:
        client = await self.admin_client()
        try:
            for room in rooms or (self.layout.space_id, *self.layout.rooms.values()):
                resp = await client.room_invite(room, user_id)
                assert isinstance(resp, nio.RoomInviteResponse), resp
        finally:
            await client.close()

    async def set_power(self, user_id: str, level: int) -> None:
        client = await self.admin_client()
        try:
            state = await client.room_get_state_event(self.layout.space_id, "m.room.power_levels")
            assert isinstance(state, nio.RoomGetStateEventResponse), state
            content = dict(state.content)
            content.setdefault("users", {})[user_id] = level
            resp = await client.room_put_state(
                self.layout.space_id, "m.room.power_levels", content
            )
            assert isinstance(resp, nio.RoomPutStateResponse), resp
        finally:
            await client.close()


async def provision_test_space(
    homeserver: str, bot: MatrixTestUser, coordinator: MatrixTestUser
) -> MatrixSpace:
    layout = await provision_space(
        homeserver, bot.access_token, bot.user_id, coordinator.user_id, space_name="Haven test"
    )
    return MatrixSpace(homeserver, bot, coordinator, layout)


async def start_haven(
    space: MatrixSpace, db_path: Path, setup=None, secrets: Secrets | None = None, **matrix: Any
) -> Haven:
    """Start Haven on the space; `setup(app)` may add test commands before it serves."""
    app = Haven(space.settings(db_path, **matrix), secrets or space.secrets())
    await app.open()
    if setup is not None:
        setup(app)
    await app.start()
    return app
