"""Lookups used by REST handlers that turn missing objects into Discord's 404 errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rest_core import RestError, missing_permissions, not_found
from .state import Json, MemberRecord

if TYPE_CHECKING:
    from .app import DiscordEmulator


def guild(emu: DiscordEmulator, guild_id: str) -> Json:
    """The guild or 404 ``Unknown Guild`` (also when the bot is not in it)."""
    g = emu.state.guilds.get(guild_id)
    if g is None or emu.state.bot_user_id not in emu.state.members[guild_id]:
        raise not_found("Guild", 10004)
    return g


def channel(emu: DiscordEmulator, channel_id: str) -> Json:
    """The channel or 404 ``Unknown Channel``."""
    ch = emu.state.channels.get(channel_id)
    if ch is None:
        raise not_found("Channel", 10003)
    return ch


def message(emu: DiscordEmulator, channel_id: str, message_id: str) -> Json:
    """A message of ``channel_id`` or 404 ``Unknown Message``."""
    channel(emu, channel_id)
    msg = emu.state.messages.get(message_id)
    if msg is None or msg["channel_id"] != channel_id:
        raise not_found("Message", 10008)
    return msg


def user(emu: DiscordEmulator, user_id: str) -> Json:
    """The user or 404 ``Unknown User``."""
    u = emu.state.users.get(user_id)
    if u is None:
        raise not_found("User", 10013)
    return u


def member(emu: DiscordEmulator, guild_id: str, user_id: str) -> MemberRecord:
    """The member or 404 ``Unknown Member``."""
    guild(emu, guild_id)
    m = emu.state.members[guild_id].get(user_id)
    if m is None:
        raise not_found("Member", 10007)
    return m


def role(emu: DiscordEmulator, guild_id: str, role_id: str) -> Json:
    """A role of the guild or 404 ``Unknown Role``."""
    guild(emu, guild_id)
    r = emu.state.roles.get(role_id)
    if r is None or emu.state.role_guild.get(role_id) != guild_id:
        raise not_found("Role", 10011)
    return r


def application(emu: DiscordEmulator, application_id: str) -> None:
    """404 ``Unknown Application`` unless it is the bot's application."""
    if application_id != emu.state.application_id:
        raise not_found("Application", 10002)


def require_channel_permission(emu: DiscordEmulator, channel_id: str, bits: int) -> None:
    """403 ``Missing Permissions`` unless the bot has all ``bits`` in the channel."""
    ch = emu.state.channels[channel_id]
    if not ch.get("guild_id") and ch.get("parent_id") is None:
        return
    have = emu.state.channel_permissions(channel_id, emu.state.bot_user_id)
    if have & bits != bits:
        raise missing_permissions()


def require_guild_permission(emu: DiscordEmulator, guild_id: str, bits: int) -> None:
    """403 ``Missing Permissions`` unless the bot has all ``bits`` guild-wide."""
    have = emu.state.guild_permissions(guild_id, emu.state.bot_user_id)
    if have & bits != bits:
        raise missing_permissions()


def require_hierarchy(emu: DiscordEmulator, guild_id: str, target_user_id: str) -> None:
    """403 unless the bot's top role is above the target's (owner is untouchable)."""
    state = emu.state
    g = state.guilds[guild_id]
    if target_user_id == g["owner_id"]:
        raise missing_permissions()
    if state.bot_user_id == g["owner_id"]:
        return

    def top(uid: str) -> int:
        roles = state.members[guild_id][uid].roles
        return max((state.roles[r]["position"] for r in roles), default=0)

    if target_user_id != state.bot_user_id and top(state.bot_user_id) <= top(target_user_id):
        raise missing_permissions()


def unauthorized() -> RestError:
    """Discord's 401 for a missing or wrong token."""
    return RestError(401, 0, "401: Unauthorized")
