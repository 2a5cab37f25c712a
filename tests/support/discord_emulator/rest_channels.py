"""REST routes for guild channels, permission overwrites, threads and thread members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import actions, lookups
from . import permissions as perm
from .rest_core import RestError, RestRequest, RestResponse, Route, invalid_form
from .state import (
    GUILD_CHANNEL_TYPES,
    GUILD_FORUM,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    THREAD_TYPES,
    Json,
    normalize_overwrite,
)

if TYPE_CHECKING:
    from .app import DiscordEmulator

_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def _payload(emu: DiscordEmulator, channel: Json) -> Json:
    return emu.state.channel_payload(channel, for_user=emu.state.bot_user_id)


async def get_channel(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /channels/{channel_id}."""
    ch = lookups.channel(emu, req.params["channel_id"])
    if ch.get("guild_id"):
        lookups.require_channel_permission(emu, ch["id"], perm.VIEW_CHANNEL)
    return RestResponse(200, _payload(emu, ch))


async def edit_channel(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /channels/{channel_id} (guild channels and threads)."""
    ch = lookups.channel(emu, req.params["channel_id"])
    body = req.body()
    if ch["type"] in THREAD_TYPES:
        if ch["owner_id"] != emu.state.bot_user_id:
            lookups.require_channel_permission(emu, ch["id"], perm.MANAGE_THREADS)
        meta = ch["thread_metadata"]
        for key in ("archived", "locked", "invitable", "auto_archive_duration"):
            if key in body and body[key] is not None:
                if key == "invitable" and ch["type"] != PRIVATE_THREAD:
                    continue
                meta[key] = body[key]
        if "archived" in body:
            meta["archive_timestamp"] = emu.now_iso()
        for key in ("name", "rate_limit_per_user", "flags", "applied_tags"):
            if key in body and body[key] is not None:
                ch[key] = body[key]
    elif ch["type"] in GUILD_CHANNEL_TYPES:
        lookups.require_channel_permission(emu, ch["id"], perm.MANAGE_CHANNELS)
        for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position", "parent_id"):
            if key in body:
                ch[key] = body[key]
        if "permission_overwrites" in body:
            ch["permission_overwrites"] = [
                normalize_overwrite(o) for o in body["permission_overwrites"] or []
            ]
    else:
        raise RestError(403, 50003, "Cannot execute action on a DM channel")
    actions.dispatch_channel(emu, "UPDATE", ch)
    return RestResponse(200, _payload(emu, ch))


async def delete_channel(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /channels/{channel_id} -> the deleted channel."""
    ch = lookups.channel(emu, req.params["channel_id"])
    if ch["type"] in THREAD_TYPES:
        lookups.require_channel_permission(emu, ch["id"], perm.MANAGE_THREADS)
    elif ch.get("guild_id"):
        lookups.require_channel_permission(emu, ch["id"], perm.MANAGE_CHANNELS)
    payload = _payload(emu, ch)
    payload.pop("member", None)
    emu.state.delete_channel(ch["id"])
    actions.dispatch_channel(emu, "DELETE", ch)
    return RestResponse(200, payload)


async def put_overwrite(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT /channels/{channel_id}/permissions/{overwrite_id}."""
    ch = lookups.channel(emu, req.params["channel_id"])
    if ch["type"] not in GUILD_CHANNEL_TYPES:
        raise RestError(400, 50024, "Cannot execute action on this channel type")
    lookups.require_guild_permission(emu, ch["guild_id"], perm.MANAGE_ROLES)
    body = req.body()
    if body.get("type") not in (0, 1):
        raise invalid_form("type", "Value must be one of {0, 1}.")
    ow = normalize_overwrite({**body, "id": req.params["overwrite_id"]})
    ch["permission_overwrites"] = [o for o in ch["permission_overwrites"] if o["id"] != ow["id"]]
    ch["permission_overwrites"].append(ow)
    actions.dispatch_channel(emu, "UPDATE", ch)
    return RestResponse(204)


async def delete_overwrite(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /channels/{channel_id}/permissions/{overwrite_id}."""
    ch = lookups.channel(emu, req.params["channel_id"])
    lookups.require_guild_permission(emu, ch["guild_id"], perm.MANAGE_ROLES)
    oid = req.params["overwrite_id"]
    ch["permission_overwrites"] = [o for o in ch["permission_overwrites"] if o["id"] != oid]
    actions.dispatch_channel(emu, "UPDATE", ch)
    return RestResponse(204)


async def list_guild_channels(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/channels (threads excluded, like Discord)."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    chans = [
        _payload(emu, c)
        for c in emu.state.channels.values()
        if c.get("guild_id") == gid and c["type"] not in THREAD_TYPES
    ]
    return RestResponse(200, chans)


async def create_guild_channel(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /guilds/{guild_id}/channels -> 201 GuildChannelResponse."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    lookups.require_guild_permission(emu, gid, perm.MANAGE_CHANNELS)
    body = req.body()
    if not body.get("name"):
        raise invalid_form("name", "This field is required")
    ctype = int(body.get("type") or 0)
    if ctype not in GUILD_CHANNEL_TYPES:
        raise invalid_form("type", "Value is not a valid guild channel type.")
    parent = body.get("parent_id")
    if parent is not None:
        p = emu.state.channels.get(str(parent))
        if p is None or p.get("guild_id") != gid or p["type"] != 4:
            raise invalid_form("parent_id", "Not a category", "CHANNEL_PARENT_INVALID_TYPE")
    for ow in body.get("permission_overwrites") or []:
        target = str(ow.get("id"))
        if target not in emu.state.roles and target not in emu.state.members[gid]:
            raise invalid_form("permission_overwrites", "Unknown overwrite target")
    ch = emu.state.new_channel(
        gid,
        str(body["name"]),
        type=ctype,
        topic=body.get("topic"),
        parent_id=str(parent) if parent is not None else None,
        permission_overwrites=body.get("permission_overwrites"),
        nsfw=bool(body.get("nsfw", False)),
        rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        position=body.get("position"),
    )
    actions.dispatch_channel(emu, "CREATE", ch)
    return RestResponse(201, _payload(emu, ch))


async def reorder_guild_channels(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /guilds/{guild_id}/channels (positions)."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    lookups.require_guild_permission(emu, gid, perm.MANAGE_CHANNELS)
    for entry in req.json if isinstance(req.json, list) else []:
        ch = emu.state.channels.get(str(entry.get("id")))
        if ch is None or ch.get("guild_id") != gid:
            raise invalid_form("id", "Unknown channel")
        if entry.get("position") is not None:
            ch["position"] = entry["position"]
        if "parent_id" in entry:
            ch["parent_id"] = entry["parent_id"]
        actions.dispatch_channel(emu, "UPDATE", ch)
    return RestResponse(204)


def _thread_options(body: Json) -> dict:
    duration = int(body.get("auto_archive_duration") or 1440)
    if duration not in _ARCHIVE_DURATIONS:
        raise invalid_form(
            "auto_archive_duration", "Value must be one of (60, 1440, 4320, 10080)."
        )
    name = str(body.get("name") or "")
    if not 1 <= len(name) <= 100:
        raise invalid_form("name", "Must be between 1 and 100 in length.")
    return {
        "auto_archive_duration": duration,
        "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
    }


async def create_thread(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /channels/{channel_id}/threads (without a starter message; forum posts)."""
    parent = lookups.channel(emu, req.params["channel_id"])
    body = req.body()
    options = _thread_options(body)
    bot = emu.state.bot_user_id
    if parent["type"] == GUILD_FORUM:
        lookups.require_channel_permission(emu, parent["id"], perm.SEND_MESSAGES)
        starter = body.get("message") or {}
        thread = emu.state.new_thread(
            parent, body["name"], owner_id=bot, type=PUBLIC_THREAD, **options
        )
        actions.dispatch_channel(emu, "CREATE", thread)
        msg = actions.post_message(emu, thread["id"], bot, starter, req.files)
        out = _payload(emu, thread)
        out["message"] = emu.state.message_payload(msg)
        return RestResponse(201, out)
    if parent["type"] not in (0, 5):
        raise RestError(400, 50024, "Cannot execute action on this channel type")
    ttype = int(body.get("type") or PRIVATE_THREAD)
    if ttype not in (PUBLIC_THREAD, PRIVATE_THREAD):
        raise invalid_form("type", "Invalid thread type")
    needed = perm.CREATE_PUBLIC_THREADS if ttype == PUBLIC_THREAD else perm.CREATE_PRIVATE_THREADS
    lookups.require_channel_permission(emu, parent["id"], perm.VIEW_CHANNEL | needed)
    thread = emu.state.new_thread(
        parent, body["name"], owner_id=bot, type=ttype, invitable=body.get("invitable"), **options
    )
    actions.dispatch_channel(emu, "CREATE", thread)
    if ttype == PUBLIC_THREAD:
        actions.post_message(
            emu,
            parent["id"],
            bot,
            {"content": thread["name"], "allowed_mentions": {"parse": []}},
            msg_type=actions.TYPE_THREAD_CREATED,
            extra={
                "message_reference": {
                    "type": 0,
                    "channel_id": thread["id"],
                    "guild_id": thread["guild_id"],
                }
            },
        )
    return RestResponse(201, _payload(emu, thread))


async def create_thread_from_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /channels/{channel_id}/messages/{message_id}/threads (thread id = message id)."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    parent = emu.state.channels[cid]
    if parent["type"] not in (0, 5):
        raise RestError(400, 50024, "Cannot execute action on this channel type")
    if msg["id"] in emu.state.channels:
        raise RestError(400, 160004, "A thread has already been created for this message")
    lookups.require_channel_permission(
        emu, cid, perm.VIEW_CHANNEL | perm.CREATE_PUBLIC_THREADS | perm.READ_MESSAGE_HISTORY
    )
    options = _thread_options(req.body())
    ttype = 10 if parent["type"] == 5 else PUBLIC_THREAD
    thread = emu.state.new_thread(
        parent,
        req.body()["name"],
        owner_id=emu.state.bot_user_id,
        type=ttype,
        thread_id=msg["id"],
        **options,
    )
    actions.dispatch_channel(emu, "CREATE", thread)
    msg["flags"] |= actions.FLAG_HAS_THREAD
    msg["thread"] = emu.state.channel_payload(thread)
    emu.gateway.dispatch("MESSAGE_UPDATE", actions.gateway_message(emu, msg))
    return RestResponse(201, _payload(emu, thread))


def _thread(emu: DiscordEmulator, channel_id: str) -> Json:
    ch = lookups.channel(emu, channel_id)
    if ch["type"] not in THREAD_TYPES:
        raise RestError(400, 50024, "Cannot execute action on this channel type")
    return ch


async def join_thread(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT /channels/{channel_id}/thread-members/@me and /{user_id}."""
    th = _thread(emu, req.params["channel_id"])
    uid = req.params.get("user_id", emu.state.bot_user_id)
    lookups.member(emu, th["guild_id"], uid)
    if th["thread_metadata"]["archived"]:
        raise RestError(400, 50083, "Thread is archived")
    if uid != emu.state.bot_user_id:
        lookups.require_channel_permission(emu, th["id"], perm.SEND_MESSAGES_IN_THREADS)
    if emu.state.add_thread_member(th["id"], uid):
        actions.dispatch_thread_members(emu, th["id"], added=[uid])
    return RestResponse(204)


async def leave_thread(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /channels/{channel_id}/thread-members/@me and /{user_id}."""
    th = _thread(emu, req.params["channel_id"])
    uid = req.params.get("user_id", emu.state.bot_user_id)
    if uid != emu.state.bot_user_id and th["owner_id"] != emu.state.bot_user_id:
        lookups.require_channel_permission(emu, th["id"], perm.MANAGE_THREADS)
    if emu.state.remove_thread_member(th["id"], uid):
        actions.dispatch_thread_members(emu, th["id"], removed=[uid])
    return RestResponse(204)


async def get_thread_member(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /channels/{channel_id}/thread-members/{user_id}."""
    th = _thread(emu, req.params["channel_id"])
    uid = req.params["user_id"]
    if uid not in emu.state.thread_members[th["id"]]:
        raise RestError(404, 10007, "Unknown Member")
    out = emu.state.thread_member_payload(th["id"], uid)
    if req.flag("with_member"):
        out["member"] = emu.state.member_payload(th["guild_id"], uid)
    return RestResponse(200, out)


async def list_thread_members(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /channels/{channel_id}/thread-members."""
    th = _thread(emu, req.params["channel_id"])
    out = []
    for uid in emu.state.thread_members[th["id"]]:
        entry = emu.state.thread_member_payload(th["id"], uid)
        if req.flag("with_member"):
            entry["member"] = emu.state.member_payload(th["guild_id"], uid)
        out.append(entry)
    return RestResponse(200, out)


async def active_threads(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /guilds/{guild_id}/threads/active."""
    gid = req.params["guild_id"]
    lookups.guild(emu, gid)
    bot = emu.state.bot_user_id
    threads = [
        c
        for c in emu.state.channels.values()
        if c.get("guild_id") == gid
        and c["type"] in THREAD_TYPES
        and not c["thread_metadata"]["archived"]
    ]
    members = [
        emu.state.thread_member_payload(t["id"], bot)
        for t in threads
        if bot in emu.state.thread_members[t["id"]]
    ]
    return RestResponse(
        200,
        {
            "threads": [emu.state.channel_payload(t) for t in threads],
            "members": members,
            "has_more": False,
        },
    )


_C = "/channels/{channel_id}"
_TM = _C + "/thread-members"

ROUTES = [
    Route("GET", _C, get_channel),
    Route("PATCH", _C, edit_channel),
    Route("DELETE", _C, delete_channel),
    Route("PUT", _C + "/permissions/{overwrite_id}", put_overwrite),
    Route("DELETE", _C + "/permissions/{overwrite_id}", delete_overwrite),
    Route("GET", "/guilds/{guild_id}/channels", list_guild_channels),
    Route("POST", "/guilds/{guild_id}/channels", create_guild_channel),
    Route("PATCH", "/guilds/{guild_id}/channels", reorder_guild_channels),
    Route("POST", _C + "/threads", create_thread),
    Route("POST", _C + "/messages/{message_id}/threads", create_thread_from_message),
    Route("PUT", _TM + "/@me", join_thread),
    Route("DELETE", _TM + "/@me", leave_thread),
    Route("PUT", _TM + "/{user_id}", join_thread),
    Route("DELETE", _TM + "/{user_id}", leave_thread),
    Route("GET", _TM + "/{user_id}", get_thread_member),
    Route("GET", _TM, list_thread_members),
    Route("GET", "/guilds/{guild_id}/threads/active", active_threads),
]
