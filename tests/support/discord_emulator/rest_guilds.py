"""REST routes for guilds, members (timeouts, roles, nicknames, kicks), roles and bans."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import unquote

from . import actions, lookups
from . import permissions as perm
from .rest_core import RestError, RestRequest, RestResponse, Route, invalid_form, not_found
from .snowflake import snowflake_time
from .state import parse_iso

if TYPE_CHECKING:
    from .app import DiscordEmulator

MAX_TIMEOUT = dt.timedelta(days=28)


async def get_guild(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id} (``with_counts`` adds approximate counts)."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    return RestResponse(200, emu.state.guild_payload(gid, with_counts=req.flag("with_counts")))


async def list_members(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/members (``limit``/``after``)."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    limit = max(1, min(1000, int(req.query.get("limit", 1))))
    after = int(req.query.get("after", 0))
    ids = sorted((u for u in emu.state.members[gid] if int(u) > after), key=int)[:limit]
    return RestResponse(200, [emu.state.member_payload(gid, u) for u in ids])


async def get_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/members/{user_id}."""
    gid, uid = req.params["guild_id"], req.params["user_id"]
    lookups.member(emu, gid, uid)
    return RestResponse(200, emu.state.member_payload(gid, uid))


def _check_timeout(emu: DiscordEmulator, gid: str, uid: str, value: str | None) -> None:
    lookups.require_guild_permission(emu, gid, perm.MODERATE_MEMBERS)
    lookups.require_hierarchy(emu, gid, uid)
    if value is None:
        return
    if emu.state.guild_permissions(gid, uid) & perm.ADMINISTRATOR:
        raise lookups.missing_permissions()
    try:
        until = parse_iso(value)
    except ValueError:
        raise invalid_form("communication_disabled_until", "Invalid timestamp") from None
    if until - dt.datetime.now(dt.UTC) > MAX_TIMEOUT:
        raise invalid_form(
            "communication_disabled_until",
            "Timeout must be less than 28 days in the future",
            "BASE_TYPE_BAD_TIMESTAMP",
        )


async def edit_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /guilds/{guild_id}/members/{user_id} and /members/@me."""
    gid = req.params["guild_id"]
    uid = req.params.get("user_id", emu.state.bot_user_id)
    member = lookups.member(emu, gid, uid)
    body = req.body()
    if "nick" in body:
        if uid == emu.state.bot_user_id:
            needed = perm.CHANGE_NICKNAME
        else:
            needed = perm.MANAGE_NICKNAMES
            lookups.require_hierarchy(emu, gid, uid)
        lookups.require_guild_permission(emu, gid, needed)
    if "roles" in body:
        lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
        for rid in body["roles"] or []:
            _assignable_role(emu, gid, str(rid))
    if "communication_disabled_until" in body:
        _check_timeout(emu, gid, uid, body["communication_disabled_until"])
    if "nick" in body:
        member.nick = body["nick"] or None
    if "roles" in body:
        member.roles = [str(r) for r in dict.fromkeys(body["roles"] or [])]
    if "communication_disabled_until" in body:
        value = body["communication_disabled_until"]
        member.communication_disabled_until = (
            None if value is None else parse_iso(value).astimezone(dt.UTC).isoformat()
        )
    for key in ("mute", "deaf"):
        if key in body and body[key] is not None:
            setattr(member, key, bool(body[key]))
    if "flags" in body and body["flags"] is not None:
        member.flags = int(body["flags"])
    actions.dispatch_member_update(emu, gid, uid)
    return RestResponse(200, emu.state.member_payload(gid, uid))


def _assignable_role(emu: DiscordEmulator, gid: str, rid: str) -> None:
    role = lookups.role(emu, gid, rid)
    state = emu.state
    if state.bot_user_id == state.guilds[gid]["owner_id"]:
        return
    bot_top = max(
        (state.roles[r]["position"] for r in state.members[gid][state.bot_user_id].roles),
        default=0,
    )
    if role["managed"] or role["position"] >= bot_top:
        raise lookups.missing_permissions()


async def add_member_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}."""
    gid, uid, rid = req.params["guild_id"], req.params["user_id"], req.params["role_id"]
    member = lookups.member(emu, gid, uid)
    lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
    _assignable_role(emu, gid, rid)
    if rid not in member.roles:
        member.roles.append(rid)
        actions.dispatch_member_update(emu, gid, uid)
    return RestResponse(204)


async def remove_member_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}."""
    gid, uid, rid = req.params["guild_id"], req.params["user_id"], req.params["role_id"]
    member = lookups.member(emu, gid, uid)
    lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
    _assignable_role(emu, gid, rid)
    if rid in member.roles:
        member.roles.remove(rid)
        actions.dispatch_member_update(emu, gid, uid)
    return RestResponse(204)


def _remove_member(emu: DiscordEmulator, gid: str, uid: str) -> None:
    del emu.state.members[gid][uid]
    emu.gateway.dispatch(
        "GUILD_MEMBER_REMOVE", {"guild_id": gid, "user": emu.state.user_payload(uid)}
    )


async def kick_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /guilds/{guild_id}/members/{user_id}."""
    gid, uid = req.params["guild_id"], req.params["user_id"]
    lookups.member(emu, gid, uid)
    lookups.require_guild_permission(emu, gid, perm.KICK_MEMBERS)
    lookups.require_hierarchy(emu, gid, uid)
    _remove_member(emu, gid, uid)
    return RestResponse(204)


async def ban_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT /guilds/{guild_id}/bans/{user_id} (``delete_message_seconds`` honoured)."""
    gid, uid = req.params["guild_id"], req.params["user_id"]
    lookups.guild(emu, gid)
    lookups.user(emu, uid)
    lookups.require_guild_permission(emu, gid, perm.BAN_MEMBERS)
    if uid in emu.state.members[gid]:
        lookups.require_hierarchy(emu, gid, uid)
    body = req.body()
    seconds = int(body.get("delete_message_seconds") or 0)
    if not 0 <= seconds <= 604800:
        raise invalid_form("delete_message_seconds", "Must be between 0 and 604800.")
    reason = req.headers.get("X-Audit-Log-Reason")
    emu.state.bans[gid][uid] = unquote(reason) if reason is not None else None
    emu.gateway.dispatch("GUILD_BAN_ADD", {"guild_id": gid, "user": emu.state.user_payload(uid)})
    if uid in emu.state.members[gid]:
        _remove_member(emu, gid, uid)
    if seconds:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
        for mid, msg in list(emu.state.messages.items()):
            ch = emu.state.channels.get(msg["channel_id"], {})
            if (
                msg["author"]["id"] == uid
                and ch.get("guild_id") == gid
                and snowflake_time(mid) >= cutoff
            ):
                actions.remove_message(emu, mid)
    return RestResponse(204)


async def unban_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /guilds/{guild_id}/bans/{user_id}."""
    gid, uid = req.params["guild_id"], req.params["user_id"]
    lookups.guild(emu, gid)
    lookups.require_guild_permission(emu, gid, perm.BAN_MEMBERS)
    if emu.state.bans[gid].pop(uid, "missing") == "missing":
        raise not_found("Ban", 10026)
    emu.gateway.dispatch(
        "GUILD_BAN_REMOVE", {"guild_id": gid, "user": emu.state.user_payload(uid)}
    )
    return RestResponse(204)


async def get_ban(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/bans/{user_id}."""
    gid, uid = req.params["guild_id"], req.params["user_id"]
    lookups.guild(emu, gid)
    lookups.require_guild_permission(emu, gid, perm.BAN_MEMBERS)
    if uid not in emu.state.bans[gid]:
        raise not_found("Ban", 10026)
    reason = emu.state.bans[gid][uid]
    return RestResponse(200, {"user": emu.state.user_payload(uid), "reason": reason})


async def list_roles(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/roles."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    return RestResponse(200, [emu.state.role_payload(r) for r in emu.state.guild_roles[gid]])


async def get_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/roles/{role_id}."""
    role = lookups.role(emu, req.params["guild_id"], req.params["role_id"])
    return RestResponse(200, emu.state.role_payload(role))


def _apply_role_body(role: dict, body: dict) -> None:
    for key in ("name", "hoist", "mentionable", "unicode_emoji", "icon"):
        if key in body and (body[key] is not None or key in ("unicode_emoji", "icon")):
            role[key] = body[key]
    if body.get("permissions") is not None:
        role["permissions"] = str(int(body["permissions"]))
    if body.get("color") is not None:
        role["color"] = int(body["color"])
        role["colors"]["primary_color"] = int(body["color"])
    colors = body.get("colors")
    if isinstance(colors, dict):
        role["colors"].update(colors)
        role["color"] = role["colors"]["primary_color"]


async def create_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /guilds/{guild_id}/roles."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
    body = req.body()
    role = emu.state.new_role(gid, str(body.get("name") or "new role"))
    _apply_role_body(role, body)
    emu.gateway.dispatch(
        "GUILD_ROLE_CREATE", {"guild_id": gid, "role": emu.state.role_payload(role)}
    )
    return RestResponse(200, emu.state.role_payload(role))


async def edit_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /guilds/{guild_id}/roles/{role_id}."""
    gid = req.params["guild_id"]
    role = lookups.role(emu, gid, req.params["role_id"])
    lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
    if role["id"] != gid:
        _assignable_role(emu, gid, role["id"])
    _apply_role_body(role, req.body())
    emu.gateway.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": gid, "role": emu.state.role_payload(role)}
    )
    return RestResponse(200, emu.state.role_payload(role))


async def delete_role(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /guilds/{guild_id}/roles/{role_id}."""
    gid = req.params["guild_id"]
    role = lookups.role(emu, gid, req.params["role_id"])
    lookups.require_guild_permission(emu, gid, perm.MANAGE_ROLES)
    if role["id"] == gid or role["managed"]:
        raise RestError(400, 50028, "Invalid role")
    _assignable_role(emu, gid, role["id"])
    emu.state.delete_role(role["id"])
    emu.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": gid, "role_id": role["id"]})
    return RestResponse(204)


_G = "/guilds/{guild_id}"

ROUTES = [
    Route("GET", _G, get_guild),
    Route("GET", _G + "/members", list_members),
    Route("GET", _G + "/members/{user_id}", get_member),
    Route("PATCH", _G + "/members/@me", edit_member),
    Route("PATCH", _G + "/members/{user_id}", edit_member),
    Route("DELETE", _G + "/members/{user_id}", kick_member),
    Route("PUT", _G + "/members/{user_id}/roles/{role_id}", add_member_role),
    Route("DELETE", _G + "/members/{user_id}/roles/{role_id}", remove_member_role),
    Route("PUT", _G + "/bans/{user_id}", ban_member),
    Route("DELETE", _G + "/bans/{user_id}", unban_member),
    Route("GET", _G + "/bans/{user_id}", get_ban),
    Route("GET", _G + "/roles", list_roles),
    Route("POST", _G + "/roles", create_role),
    Route("GET", _G + "/roles/{role_id}", get_role),
    Route("PATCH", _G + "/roles/{role_id}", edit_role),
    Route("DELETE", _G + "/roles/{role_id}", delete_role),
]
