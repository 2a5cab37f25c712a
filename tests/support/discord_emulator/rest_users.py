"""REST routes about the bot's own user, its application, users and DM channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import lookups
from .rest_core import RestRequest, RestResponse, Route, invalid_form

if TYPE_CHECKING:
    from .app import DiscordEmulator


async def get_me(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /users/@me -> UserPIIResponse."""
    return RestResponse(200, emu.bot_user_payload(pii=True))


async def get_user(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /users/{user_id} -> UserResponse."""
    return RestResponse(200, emu.state.user_payload(lookups.user(emu, req.params["user_id"])))


async def get_application(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /oauth2/applications/@me and /applications/@me -> PrivateApplicationResponse."""
    return RestResponse(200, emu.application_payload())


async def my_guilds(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /users/@me/guilds -> list of MyGuildResponse."""
    state = emu.state
    out = []
    for gid, g in state.guilds.items():
        if state.bot_user_id not in state.members[gid]:
            continue
        out.append(
            {
                "id": gid,
                "name": g["name"],
                "icon": g["icon"],
                "banner": g["banner"],
                "owner": g["owner_id"] == state.bot_user_id,
                "permissions": str(state.guild_permissions(gid, state.bot_user_id)),
                "features": list(g["features"]),
            }
        )
    return RestResponse(200, out)


async def create_dm(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /users/@me/channels -> PrivateChannelResponse."""
    recipient = req.body().get("recipient_id")
    if recipient is None:
        raise invalid_form("recipient_id", "This field is required")
    user = lookups.user(emu, str(recipient))
    channel = emu.state.dm_channel(user)
    return RestResponse(200, emu.state.channel_payload(channel))


ROUTES = [
    Route("GET", "/users/@me", get_me),
    Route("GET", "/users/{user_id}", get_user),
    Route("GET", "/users/@me/guilds", my_guilds),
    Route("POST", "/users/@me/channels", create_dm),
    Route("GET", "/oauth2/applications/@me", get_application),
    Route("GET", "/applications/@me", get_application),
]
