"""REST routes for channel messages, reactions, pins and typing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import actions, lookups
from . import permissions as perm
from .rest_core import RestError, RestRequest, RestResponse, Route, invalid_form
from .snowflake import iso_now
from .state import THREAD_TYPES

if TYPE_CHECKING:
    from .app import DiscordEmulator


def _check_send(emu: DiscordEmulator, channel_id: str) -> None:
    ch = lookups.channel(emu, channel_id)
    if ch["type"] in THREAD_TYPES:
        needed = perm.VIEW_CHANNEL | perm.SEND_MESSAGES_IN_THREADS
        if ch["thread_metadata"]["locked"]:
            needed |= perm.MANAGE_THREADS
    else:
        needed = perm.VIEW_CHANNEL | perm.SEND_MESSAGES
    lookups.require_channel_permission(emu, channel_id, needed)


async def list_messages(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /channels/{channel_id}/messages (newest first; before/after/around, limit)."""
    cid = req.params["channel_id"]
    lookups.channel(emu, cid)
    lookups.require_channel_permission(emu, cid, perm.VIEW_CHANNEL | perm.READ_MESSAGE_HISTORY)
    limit = max(1, min(100, int(req.query.get("limit", 50))))
    ids = sorted(emu.state.channel_messages.get(cid, []), key=int)
    if "before" in req.query:
        ids = [i for i in ids if int(i) < int(req.query["before"])][-limit:]
    elif "after" in req.query:
        ids = [i for i in ids if int(i) > int(req.query["after"])][:limit]
    elif "around" in req.query:
        pivot = int(req.query["around"])
        before = [i for i in ids if int(i) < pivot][-(limit // 2) :] if limit > 1 else []
        rest = [i for i in ids if int(i) >= pivot][: limit - len(before)]
        ids = before + rest
    else:
        ids = ids[-limit:]
    return RestResponse(200, [emu.state.message_payload(i) for i in reversed(ids)])


async def create_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /channels/{channel_id}/messages."""
    cid = req.params["channel_id"]
    _check_send(emu, cid)
    body = req.body()
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or req.files
    ):
        raise RestError(400, 50006, "Cannot send an empty message")
    if len(str(body.get("content") or "")) > 2000:
        raise invalid_form("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    ref = body.get("message_reference")
    if isinstance(ref, dict) and ref.get("message_id"):
        target = emu.state.messages.get(str(ref["message_id"]))
        if target is None and ref.get("fail_if_not_exists", True):
            raise invalid_form("message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN")
    msg = actions.post_message(emu, cid, emu.state.bot_user_id, body, req.files)
    return RestResponse(200, emu.state.message_payload(msg))


async def get_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /channels/{channel_id}/messages/{message_id}."""
    msg = lookups.message(emu, req.params["channel_id"], req.params["message_id"])
    return RestResponse(200, emu.state.message_payload(msg))


async def edit_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /channels/{channel_id}/messages/{message_id} (only the bot's own messages)."""
    msg = lookups.message(emu, req.params["channel_id"], req.params["message_id"])
    if msg["author"]["id"] != emu.state.bot_user_id or msg.get("webhook_id"):
        raise RestError(403, 50005, "Cannot edit a message authored by another user")
    actions.edit_message(emu, msg["id"], req.body(), req.files)
    return RestResponse(200, emu.state.message_payload(msg["id"]))


async def delete_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /channels/{channel_id}/messages/{message_id}."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    if msg["author"]["id"] != emu.state.bot_user_id:
        lookups.require_channel_permission(emu, cid, perm.MANAGE_MESSAGES)
    actions.remove_message(emu, msg["id"])
    return RestResponse(204)


async def bulk_delete(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /channels/{channel_id}/messages/bulk-delete."""
    cid = req.params["channel_id"]
    lookups.channel(emu, cid)
    lookups.require_channel_permission(emu, cid, perm.MANAGE_MESSAGES)
    ids = [str(i) for i in req.body().get("messages", [])]
    if not 2 <= len(ids) <= 100:
        raise invalid_form("messages", "Must be between 2 and 100 in length.")
    removed = []
    for mid in ids:
        msg = emu.state.messages.get(mid)
        if msg is not None and msg["channel_id"] == cid:
            emu.state.delete_message(mid)
            removed.append(mid)
    event = {"ids": removed, "channel_id": cid}
    gid = emu.state.channels[cid].get("guild_id")
    if gid:
        event["guild_id"] = gid
    emu.gateway.dispatch("MESSAGE_DELETE_BULK", event)
    return RestResponse(204)


async def add_own_reaction(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT .../reactions/{emoji_name}/@me."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    lookups.require_channel_permission(emu, cid, perm.READ_MESSAGE_HISTORY | perm.ADD_REACTIONS)
    actions.add_reaction(emu, msg["id"], emu.state.bot_user_id, req.params["emoji_name"])
    return RestResponse(204)


async def remove_own_reaction(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE .../reactions/{emoji_name}/@me."""
    msg = lookups.message(emu, req.params["channel_id"], req.params["message_id"])
    actions.remove_reaction(emu, msg["id"], emu.state.bot_user_id, req.params["emoji_name"])
    return RestResponse(204)


async def remove_user_reaction(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE .../reactions/{emoji_name}/{user_id}."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    uid = req.params["user_id"]
    if uid != emu.state.bot_user_id:
        lookups.require_channel_permission(emu, cid, perm.MANAGE_MESSAGES)
    actions.remove_reaction(emu, msg["id"], uid, req.params["emoji_name"])
    return RestResponse(204)


async def list_reactions(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET .../reactions/{emoji_name} -> users who reacted."""
    msg = lookups.message(emu, req.params["channel_id"], req.params["message_id"])
    users = emu.state.reaction_users.get((msg["id"], req.params["emoji_name"]), [])
    limit = max(1, min(100, int(req.query.get("limit", 25))))
    after = int(req.query.get("after", 0))
    chosen = sorted((u for u in users if int(u) > after), key=int)[:limit]
    return RestResponse(200, [emu.state.user_payload(u) for u in chosen])


async def clear_reactions(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE .../reactions and .../reactions/{emoji_name}."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    lookups.require_channel_permission(emu, cid, perm.MANAGE_MESSAGES)
    emoji = req.params.get("emoji_name")
    for key in list(emu.state.reaction_users):
        if key[0] == msg["id"] and (emoji is None or key[1] == emoji):
            del emu.state.reaction_users[key]
    actions._refresh_reactions(emu, msg)
    event = {"channel_id": cid, "message_id": msg["id"]}
    gid = emu.state.channels[cid].get("guild_id")
    if gid:
        event["guild_id"] = gid
    if emoji is None:
        emu.gateway.dispatch("MESSAGE_REACTION_REMOVE_ALL", event)
    else:
        event["emoji"] = actions.reaction_emoji(emoji)
        emu.gateway.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", event)
    return RestResponse(204)


async def typing(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /channels/{channel_id}/typing."""
    lookups.channel(emu, req.params["channel_id"])
    return RestResponse(204)


async def pin(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT/DELETE /channels/{channel_id}/(messages/)pins/{message_id}."""
    cid = req.params["channel_id"]
    msg = lookups.message(emu, cid, req.params["message_id"])
    lookups.require_channel_permission(emu, cid, perm.MANAGE_MESSAGES)
    msg["pinned"] = req.method == "PUT"
    emu.gateway.dispatch("MESSAGE_UPDATE", actions.gateway_message(emu, msg))
    pins_event = {"channel_id": cid, "last_pin_timestamp": iso_now()}
    gid = emu.state.channels[cid].get("guild_id")
    if gid:
        pins_event["guild_id"] = gid
    emu.gateway.dispatch("CHANNEL_PINS_UPDATE", pins_event)
    return RestResponse(204)


_M = "/channels/{channel_id}/messages"
_R = _M + "/{message_id}/reactions"

ROUTES = [
    Route("GET", _M, list_messages),
    Route("POST", _M, create_message),
    Route("POST", _M + "/bulk-delete", bulk_delete),
    Route("GET", _M + "/{message_id}", get_message),
    Route("PATCH", _M + "/{message_id}", edit_message),
    Route("DELETE", _M + "/{message_id}", delete_message),
    Route("PUT", _R + "/{emoji_name}/@me", add_own_reaction),
    Route("DELETE", _R + "/{emoji_name}/@me", remove_own_reaction),
    Route("DELETE", _R + "/{emoji_name}/{user_id}", remove_user_reaction),
    Route("GET", _R + "/{emoji_name}", list_reactions),
    Route("DELETE", _R + "/{emoji_name}", clear_reactions),
    Route("DELETE", _R, clear_reactions),
    Route("POST", "/channels/{channel_id}/typing", typing),
    Route("PUT", _M + "/pins/{message_id}", pin),
    Route("DELETE", _M + "/pins/{message_id}", pin),
    Route("PUT", "/channels/{channel_id}/pins/{message_id}", pin),
    Route("DELETE", "/channels/{channel_id}/pins/{message_id}", pin),
]
