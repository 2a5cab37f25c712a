"""State changes that the connected client must hear about (mutate state + dispatch).

Used by both the REST handlers (the bot acting) and the test API (users acting), so a
message posted either way produces the same stored object and the same MESSAGE_CREATE.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from .snowflake import iso_now
from .state import DM, THREAD_TYPES, Json

if TYPE_CHECKING:
    from .app import DiscordEmulator

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_HAS_THREAD = 1 << 5
FLAG_SUPPRESS_EMBEDS = 1 << 2

TYPE_DEFAULT = 0
TYPE_THREAD_CREATED = 18
TYPE_REPLY = 19
TYPE_CHAT_INPUT_COMMAND = 20
TYPE_THREAD_STARTER_MESSAGE = 21
TYPE_CONTEXT_MENU_COMMAND = 23

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


# ----------------------------------------------------------------- components
def normalize_components(components: list[Json] | None) -> list[Json]:
    """Give components the numeric ``id`` Discord assigns (depth-first, from 1)."""
    counter = 0

    def walk(items: list[Json]) -> list[Json]:
        nonlocal counter
        out = []
        for raw in items:
            comp = {k: v for k, v in raw.items() if v is not None}
            counter += 1
            comp.setdefault("id", counter)
            for key in ("components",):
                if isinstance(comp.get(key), list):
                    comp[key] = walk(comp[key])
            if isinstance(comp.get("emoji"), dict):
                # Responses carry an emoji id only for custom emoji (never null).
                comp["emoji"] = {k: v for k, v in comp["emoji"].items() if v is not None}
            if isinstance(comp.get("accessory"), dict):
                comp["accessory"] = walk([comp["accessory"]])[0]
            out.append(comp)
        return out

    return walk(list(components or []))


def normalize_embeds(embeds: list[Json] | None) -> list[Json]:
    """Embeds as Discord returns them (``type`` defaults to ``rich``)."""
    out = []
    for raw in embeds or []:
        embed = {k: v for k, v in raw.items() if v is not None}
        embed.setdefault("type", "rich")
        out.append(embed)
    return out


def find_component(components: list[Json], custom_id: str) -> Json | None:
    """Depth-first search for a component with ``custom_id``."""
    for comp in components:
        if comp.get("custom_id") == custom_id:
            return comp
        found = find_component(comp.get("components", []), custom_id)
        if found is not None:
            return found
        if isinstance(comp.get("accessory"), dict):
            found = find_component([comp["accessory"]], custom_id)
            if found is not None:
                return found
    return None


# ------------------------------------------------------------------- messages
def _mentions(emu: DiscordEmulator, content: str, body: Json, reply_author: str | None) -> Json:
    allowed = body.get("allowed_mentions")
    parse = set(allowed.get("parse", [])) if isinstance(allowed, dict) else None

    def user_ok(uid: str) -> bool:
        if parse is None:
            return True
        return "users" in parse or uid in {str(u) for u in allowed.get("users", [])}

    def role_ok(rid: str) -> bool:
        if parse is None:
            return True
        return "roles" in parse or rid in {str(r) for r in allowed.get("roles", [])}

    state = emu.state
    user_ids: list[str] = []
    for uid in _USER_MENTION.findall(content):
        if uid in state.users and uid not in user_ids and user_ok(uid):
            user_ids.append(uid)
    replied = allowed.get("replied_user", False) if isinstance(allowed, dict) else True
    if reply_author is not None and replied and reply_author not in user_ids:
        user_ids.append(reply_author)
    role_ids = [r for r in dict.fromkeys(_ROLE_MENTION.findall(content)) if r in state.roles]
    everyone = ("@everyone" in content or "@here" in content) and (
        parse is None or "everyone" in parse
    )
    return {
        "mentions": [state.user_payload(u) for u in user_ids],
        "mention_roles": [r for r in role_ids if role_ok(r)],
        "mention_everyone": everyone,
    }


def _attachments(emu: DiscordEmulator, channel_id: str, body: Json, files: list[Json]) -> list:
    described = {str(a.get("id")): a for a in body.get("attachments", []) or []}
    out = []
    for index, f in enumerate(files):
        aid = emu.state.ids.next()
        meta = described.get(str(index), {})
        filename = meta.get("filename") or f["filename"] or f"file{index}"
        url = f"{emu.base_url}/attachments/{channel_id}/{aid}/{filename}"
        emu.attachments[aid] = f["data"]
        att: Json = {
            "id": aid,
            "filename": filename,
            "size": f["size"],
            "url": url,
            "proxy_url": url,
        }
        if f.get("content_type"):
            att["content_type"] = f["content_type"]
        if meta.get("description"):
            att["description"] = meta["description"]
        out.append(att)
    return out


def build_message(
    emu: DiscordEmulator,
    channel_id: str,
    author_id: str,
    body: Json,
    files: list[Json] | None = None,
    *,
    msg_type: int | None = None,
    extra: Json | None = None,
) -> Json:
    """Make (but do not store) a MessageResponse-shaped dict from a create body."""
    state = emu.state
    content = str(body.get("content") or "")
    ref_in = body.get("message_reference")
    referenced: Json | None = None
    if isinstance(ref_in, dict) and ref_in.get("message_id"):
        referenced = state.messages.get(str(ref_in["message_id"]))
    msg: Json = {
        "type": msg_type if msg_type is not None else (TYPE_REPLY if referenced else 0),
        "content": content,
        "attachments": _attachments(emu, channel_id, body, files or []),
        "embeds": normalize_embeds(body.get("embeds")),
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "flags": int(body.get("flags") or 0),
        "components": normalize_components(body.get("components")),
        "id": state.ids.next(),
        "channel_id": channel_id,
        "author": state.user_payload(author_id),
        "pinned": False,
        "tts": bool(body.get("tts", False)),
    }
    msg.update(_mentions(emu, content, body, referenced["author"]["id"] if referenced else None))
    if body.get("nonce") is not None:
        msg["nonce"] = body["nonce"]
    if referenced is not None:
        ref_out: Json = {"type": 0, "channel_id": referenced["channel_id"]}
        ref_out["message_id"] = referenced["id"]
        gid = state.channels[referenced["channel_id"]].get("guild_id")
        if gid:
            ref_out["guild_id"] = gid
        msg["message_reference"] = ref_out
        msg["referenced_message"] = {
            k: v for k, v in referenced.items() if k not in ("referenced_message", "reactions")
        }
    if extra:
        msg.update(extra)
    return msg


def gateway_message(emu: DiscordEmulator, msg: Json) -> Json:
    """Gateway form of a message: adds ``guild_id`` and the author's partial ``member``."""
    state = emu.state
    out = dict(msg)
    gid = state.channels[msg["channel_id"]].get("guild_id")
    if gid:
        out["guild_id"] = gid
        author = msg["author"]["id"]
        if author in state.members.get(gid, {}) and not msg.get("webhook_id"):
            out["member"] = state.member_payload(gid, author, with_user=False)
        out["mentions"] = []
        for user in msg.get("mentions", []):
            user = dict(user)
            if user["id"] in state.members.get(gid, {}):
                user["member"] = state.member_payload(gid, user["id"], with_user=False)
            out["mentions"].append(user)
    return out


def post_message(
    emu: DiscordEmulator,
    channel_id: str,
    author_id: str,
    body: Json,
    files: list[Json] | None = None,
    *,
    msg_type: int | None = None,
    extra: Json | None = None,
) -> Json:
    """Create, store and dispatch a message (ephemeral ones are stored unlisted)."""
    msg = build_message(emu, channel_id, author_id, body, files, msg_type=msg_type, extra=extra)
    ephemeral = bool(msg["flags"] & FLAG_EPHEMERAL)
    emu.state.store_message(msg, listed=not ephemeral)
    if not ephemeral:
        emu.gateway.dispatch("MESSAGE_CREATE", gateway_message(emu, msg))
    emu._message_posted(msg)
    return msg


def edit_message(
    emu: DiscordEmulator, message_id: str, body: Json, files: list[Json] | None = None
) -> Json:
    """Apply a PATCH body to a stored message and dispatch MESSAGE_UPDATE."""
    state = emu.state
    msg = state.message(message_id)
    if "content" in body:
        msg["content"] = str(body["content"] or "")
        msg.update(_mentions(emu, msg["content"], body, None))
    if "embeds" in body:
        msg["embeds"] = normalize_embeds(body["embeds"])
    if "components" in body:
        msg["components"] = normalize_components(body["components"])
    if "flags" in body and body["flags"] is not None:
        keep = msg["flags"] & (FLAG_EPHEMERAL | FLAG_HAS_THREAD)
        msg["flags"] = keep | (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS)
    elif msg["flags"] & FLAG_LOADING:
        msg["flags"] &= ~FLAG_LOADING
    if "attachments" in body or files:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in msg["attachments"] if a["id"] in kept_ids]
        msg["attachments"] = kept + _attachments(emu, msg["channel_id"], body, files or [])
    msg["flags"] &= ~FLAG_LOADING
    msg["edited_timestamp"] = iso_now()
    if not msg["flags"] & FLAG_EPHEMERAL:
        emu.gateway.dispatch("MESSAGE_UPDATE", gateway_message(emu, msg))
    emu._message_posted(msg)
    return msg


def remove_message(emu: DiscordEmulator, message_id: str) -> Json:
    """Delete a stored message and dispatch MESSAGE_DELETE."""
    msg = emu.state.delete_message(message_id)
    if not msg["flags"] & FLAG_EPHEMERAL:
        event: Json = {"id": msg["id"], "channel_id": msg["channel_id"]}
        gid = emu.state.channels[msg["channel_id"]].get("guild_id")
        if gid:
            event["guild_id"] = gid
        emu.gateway.dispatch("MESSAGE_DELETE", event)
    return msg


# -------------------------------------------------------------------- members
def dispatch_member_update(emu: DiscordEmulator, guild_id: str, user_id: str) -> None:
    """GUILD_MEMBER_UPDATE for one member."""
    payload = emu.state.member_payload(guild_id, user_id)
    payload["guild_id"] = guild_id
    emu.gateway.dispatch("GUILD_MEMBER_UPDATE", payload)


# ------------------------------------------------------------------- channels
def dispatch_channel(emu: DiscordEmulator, event: str, channel: Json) -> None:
    """CHANNEL_* or THREAD_* event for ``channel`` (chooses the right family)."""
    if channel["type"] in THREAD_TYPES:
        if event == "DELETE":
            payload = {
                "id": channel["id"],
                "guild_id": channel["guild_id"],
                "parent_id": channel["parent_id"],
                "type": channel["type"],
            }
        else:
            payload = emu.state.channel_payload(channel, for_user=emu.state.bot_user_id)
        if event == "CREATE":
            payload["newly_created"] = True
        emu.gateway.dispatch(f"THREAD_{event}", payload)
    elif channel["type"] != DM:
        if event == "DELETE":
            payload = copy.deepcopy(channel)  # already gone from the state
        else:
            payload = emu.state.channel_payload(channel)
        emu.gateway.dispatch(f"CHANNEL_{event}", payload)


def dispatch_thread_members(
    emu: DiscordEmulator, thread_id: str, *, added: list[str] = (), removed: list[str] = ()
) -> None:
    """THREAD_MEMBERS_UPDATE for additions/removals."""
    state = emu.state
    thread = state.channel(thread_id)
    payload: Json = {
        "id": thread_id,
        "guild_id": thread["guild_id"],
        "member_count": thread["member_count"],
    }
    if added:
        entries = []
        for uid in added:
            entry = state.thread_member_payload(thread_id, uid)
            entry["member"] = state.member_payload(thread["guild_id"], uid)
            entries.append(entry)
        payload["added_members"] = entries
    if removed:
        payload["removed_member_ids"] = list(removed)
    emu.gateway.dispatch("THREAD_MEMBERS_UPDATE", payload)


def reaction_emoji(emoji: str) -> Json:
    """MessageReactionEmojiResponse for an emoji path parameter."""
    if ":" in emoji:
        name, _, eid = emoji.partition(":")
        return {"id": eid, "name": name}
    return {"id": None, "name": emoji}


def add_reaction(emu: DiscordEmulator, message_id: str, user_id: str, emoji: str) -> bool:
    """Record a reaction and dispatch MESSAGE_REACTION_ADD; False if it existed."""
    state = emu.state
    msg = state.message(message_id)
    users = state.reaction_users.setdefault((message_id, emoji), [])
    if user_id in users:
        return False
    users.append(user_id)
    _refresh_reactions(emu, msg)
    event: Json = {
        "user_id": user_id,
        "channel_id": msg["channel_id"],
        "message_id": message_id,
        "emoji": reaction_emoji(emoji),
        "burst": False,
        "type": 0,
        "message_author_id": msg["author"]["id"],
    }
    gid = state.channels[msg["channel_id"]].get("guild_id")
    if gid:
        event["guild_id"] = gid
        if user_id in state.members.get(gid, {}):
            event["member"] = state.member_payload(gid, user_id)
    emu.gateway.dispatch("MESSAGE_REACTION_ADD", event)
    return True


def remove_reaction(emu: DiscordEmulator, message_id: str, user_id: str, emoji: str) -> bool:
    """Remove a reaction and dispatch MESSAGE_REACTION_REMOVE; False if absent."""
    state = emu.state
    msg = state.message(message_id)
    users = state.reaction_users.get((message_id, emoji), [])
    if user_id not in users:
        return False
    users.remove(user_id)
    _refresh_reactions(emu, msg)
    event: Json = {
        "user_id": user_id,
        "channel_id": msg["channel_id"],
        "message_id": message_id,
        "emoji": reaction_emoji(emoji),
        "burst": False,
        "type": 0,
    }
    gid = state.channels[msg["channel_id"]].get("guild_id")
    if gid:
        event["guild_id"] = gid
    emu.gateway.dispatch("MESSAGE_REACTION_REMOVE", event)
    return True


def _refresh_reactions(emu: DiscordEmulator, msg: Json) -> None:
    reactions: list[Any] = []
    bot = emu.state.bot_user_id
    for (mid, emoji), users in emu.state.reaction_users.items():
        if mid != msg["id"] or not users:
            continue
        reactions.append(
            {
                "emoji": reaction_emoji(emoji),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "burst_colors": [],
                "me_burst": False,
                "me": bot in users,
            }
        )
    if reactions:
        msg["reactions"] = reactions
    else:
        msg.pop("reactions", None)
