"""In-memory world of the Discord emulator: users, guilds, roles, members, channels, messages.

Everything is stored as plain dicts already in the shape Discord's API uses (the response
schemas of the OpenAPI spec), so REST answers and gateway dispatches are copies of the
stored objects.  Relations (which guild a role belongs to, member role lists, thread
members, reactions) are kept in side indexes so no private keys leak into payloads.

This module performs no I/O and sends no gateway events; see ``actions.py`` for the
operations that change state *and* tell the connected client about it.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import permissions as perm
from .snowflake import SnowflakeGenerator, iso_now

Json = dict[str, Any]

GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_STAGE_VOICE = 13
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})
GUILD_CHANNEL_TYPES = frozenset(
    {GUILD_TEXT, GUILD_VOICE, GUILD_CATEGORY, GUILD_ANNOUNCEMENT, GUILD_STAGE_VOICE, 14, 15}
)


def ref(obj: Json | str | int) -> str:
    """Return the id of ``obj`` (a payload dict, or an id given as str/int)."""
    if isinstance(obj, dict):
        return str(obj["id"])
    return str(obj)


@dataclass
class MemberRecord:
    """A guild membership; serialised by :meth:`EmulatorState.member_payload`."""

    user_id: str
    roles: list[str] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)
    communication_disabled_until: str | None = None
    mute: bool = False
    deaf: bool = False
    pending: bool = False
    flags: int = 0


@dataclass
class CommandRecord:
    """A registered application command and its scope (``guild_id`` None = global)."""

    payload: Json
    guild_id: str | None


class StateError(LookupError):
    """Raised when an id does not name an object of the expected kind."""


class EmulatorState:
    """All objects the emulated Discord knows about."""

    def __init__(self, ids: SnowflakeGenerator) -> None:
        self.ids = ids
        self.users: dict[str, Json] = {}
        self.guilds: dict[str, Json] = {}
        self.guild_roles: dict[str, list[str]] = {}
        self.roles: dict[str, Json] = {}
        self.role_guild: dict[str, str] = {}
        self.members: dict[str, dict[str, MemberRecord]] = {}
        self.bans: dict[str, dict[str, str | None]] = {}
        self.channels: dict[str, Json] = {}
        self.thread_members: dict[str, dict[str, str]] = {}
        self.dm_channels: dict[str, str] = {}
        self.messages: dict[str, Json] = {}
        self.channel_messages: dict[str, list[str]] = {}
        self.reaction_users: dict[tuple[str, str], list[str]] = {}
        self.commands: dict[str, CommandRecord] = {}
        self.bot_user_id: str = ""
        self.application_id: str = ""

    # ------------------------------------------------------------------ users
    def new_user(
        self, username: str, *, bot: bool = False, global_name: str | None = None
    ) -> Json:
        """Create and store a user object (UserResponse shape)."""
        uid = self.ids.next()
        user: Json = {
            "id": uid,
            "username": username,
            "avatar": None,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "global_name": global_name if global_name is not None else (None if bot else username),
            "primary_guild": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
        }
        if bot:
            user["bot"] = True
        self.users[uid] = user
        return user

    def user(self, user: Json | str | int) -> Json:
        """Return the stored user for ``user`` (dict or id)."""
        uid = ref(user)
        try:
            return self.users[uid]
        except KeyError:
            raise StateError(f"unknown user {uid}") from None

    def user_payload(self, user: Json | str | int) -> Json:
        """Return a copy of a user in UserResponse shape."""
        return copy.deepcopy(self.user(user))

    # ----------------------------------------------------------------- guilds
    def new_guild(self, name: str, owner_id: str) -> Json:
        """Create a guild with its ``@everyone`` role; returns the stored guild dict."""
        gid = self.ids.next()
        guild: Json = {
            "id": gid,
            "name": name,
            "icon": None,
            "description": None,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "features": [],
            "banner": None,
            "owner_id": owner_id,
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "mfa_level": 0,
            "explicit_content_filter": 0,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "nsfw_level": 0,
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }
        self.guilds[gid] = guild
        self.guild_roles[gid] = []
        self.members[gid] = {}
        self.bans[gid] = {}
        everyone = self._role_dict(gid, "@everyone", perm.DEFAULT_EVERYONE, position=0)
        everyone["id"] = gid
        self._store_role(gid, everyone)
        return guild

    def guild(self, guild: Json | str | int) -> Json:
        """Return the stored guild dict."""
        gid = ref(guild)
        try:
            return self.guilds[gid]
        except KeyError:
            raise StateError(f"unknown guild {gid}") from None

    def guild_payload(self, guild: Json | str | int, *, with_counts: bool = False) -> Json:
        """REST guild object (GuildResponse / GuildWithCountsResponse shape)."""
        g = self.guild(guild)
        out = copy.deepcopy(g)
        out["roles"] = [self.role_payload(r) for r in self.guild_roles[g["id"]]]
        if with_counts:
            out["approximate_member_count"] = len(self.members[g["id"]])
            out["approximate_presence_count"] = 0
        return out

    def guild_create_payload(self, guild: Json | str | int, *, all_members: bool) -> Json:
        """Gateway GUILD_CREATE object: guild plus channels, threads, members, counts."""
        g = self.guild(guild)
        gid = g["id"]
        out = self.guild_payload(gid)
        bot_member = self.members[gid].get(self.bot_user_id)
        members = list(self.members[gid]) if all_members else []
        if not all_members and bot_member is not None:
            members = [self.bot_user_id]
        out.update(
            {
                "unavailable": False,
                "large": False,
                "member_count": len(self.members[gid]),
                "joined_at": bot_member.joined_at if bot_member else iso_now(),
                "members": [self.member_payload(gid, uid) for uid in members],
                "channels": [
                    self.channel_payload(c)
                    for c in self.channels.values()
                    if c.get("guild_id") == gid and c["type"] not in THREAD_TYPES
                ],
                "threads": [
                    self.channel_payload(c)
                    for c in self.channels.values()
                    if c.get("guild_id") == gid
                    and c["type"] in THREAD_TYPES
                    and not c["thread_metadata"]["archived"]
                ],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "lazy": True,
            }
        )
        return out

    # ------------------------------------------------------------------ roles
    def _role_dict(self, guild_id: str, name: str, permissions: int, *, position: int) -> Json:
        return {
            "id": self.ids.next(),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def _store_role(self, guild_id: str, role: Json) -> None:
        self.roles[role["id"]] = role
        self.role_guild[role["id"]] = guild_id
        self.guild_roles[guild_id].append(role["id"])

    def new_role(
        self,
        guild: Json | str | int,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        managed_for_bot: str | None = None,
        position: int | None = None,
    ) -> Json:
        """Create a role; like Discord it goes just above ``@everyone`` unless ``position``."""
        gid = self.guild(guild)["id"]
        position = 1 if position is None else max(1, position)
        for rid in self.guild_roles[gid]:
            if rid != gid and self.roles[rid]["position"] >= position:
                self.roles[rid]["position"] += 1
        role = self._role_dict(gid, name, permissions, position=position)
        role["color"] = color
        role["colors"]["primary_color"] = color
        role["hoist"] = hoist
        role["mentionable"] = mentionable
        if managed_for_bot is not None:
            role["managed"] = True
            role["tags"] = {"bot_id": managed_for_bot}
        self._store_role(gid, role)
        return role

    def role(self, role: Json | str | int) -> Json:
        """Return the stored role dict."""
        rid = ref(role)
        try:
            return self.roles[rid]
        except KeyError:
            raise StateError(f"unknown role {rid}") from None

    def role_payload(self, role: Json | str | int) -> Json:
        """Return a copy of a role (GuildRoleResponse shape)."""
        return copy.deepcopy(self.role(role))

    def delete_role(self, role_id: str) -> str:
        """Remove a role everywhere; returns its guild id."""
        gid = self.role_guild.pop(role_id)
        self.roles.pop(role_id)
        self.guild_roles[gid].remove(role_id)
        for member in self.members[gid].values():
            if role_id in member.roles:
                member.roles.remove(role_id)
        return gid

    # ---------------------------------------------------------------- members
    def add_member(
        self,
        guild: Json | str | int,
        user: Json | str | int,
        *,
        roles: list[str] | None = None,
        nick: str | None = None,
    ) -> MemberRecord:
        """Make ``user`` a member of ``guild``."""
        gid = self.guild(guild)["id"]
        uid = self.user(user)["id"]
        for rid in roles or []:
            if self.role_guild.get(rid) != gid:
                raise StateError(f"role {rid} is not in guild {gid}")
        record = MemberRecord(user_id=uid, roles=list(roles or []), nick=nick)
        self.members[gid][uid] = record
        return record

    def member(self, guild: Json | str | int, user: Json | str | int) -> MemberRecord:
        """Return the membership record of ``user`` in ``guild``."""
        gid, uid = ref(guild), ref(user)
        try:
            return self.members[gid][uid]
        except KeyError:
            raise StateError(f"user {uid} is not a member of guild {gid}") from None

    def member_payload(self, guild_id: str, user_id: str, *, with_user: bool = True) -> Json:
        """GuildMemberResponse-shaped dict for a member."""
        m = self.member(guild_id, user_id)
        out: Json = {
            "avatar": None,
            "banner": None,
            "communication_disabled_until": m.communication_disabled_until,
            "flags": m.flags,
            "joined_at": m.joined_at,
            "nick": m.nick,
            "pending": m.pending,
            "premium_since": None,
            "roles": list(m.roles),
            "mute": m.mute,
            "deaf": m.deaf,
        }
        if with_user:
            out["user"] = self.user_payload(user_id)
        return out

    def guild_permissions(self, guild_id: str, user_id: str) -> int:
        """Guild-wide permissions of a member."""
        g = self.guild(guild_id)
        m = self.member(guild_id, user_id)
        return perm.base_permissions(
            guild_owner_id=g["owner_id"],
            everyone_permissions=int(self.roles[guild_id]["permissions"]),
            user_id=user_id,
            role_permissions=[int(self.roles[r]["permissions"]) for r in m.roles],
        )

    def channel_permissions(self, channel_id: str, user_id: str) -> int:
        """Permissions of ``user_id`` in a guild channel (threads use their parent)."""
        ch = self.channel(channel_id)
        if ch["type"] in THREAD_TYPES:
            ch = self.channel(ch["parent_id"])
        gid = ch.get("guild_id")
        if gid is None:
            return perm.DEFAULT_EVERYONE
        base = self.guild_permissions(gid, user_id)
        overwrites = list(ch.get("permission_overwrites", []))
        if ch.get("parent_id") and not overwrites:
            parent = self.channels.get(ch["parent_id"])
            overwrites = list(parent.get("permission_overwrites", [])) if parent else []
        return perm.apply_overwrites(
            base,
            guild_id=gid,
            user_id=user_id,
            member_role_ids=self.member(gid, user_id).roles,
            overwrites=overwrites,
        )

    # --------------------------------------------------------------- channels
    def new_channel(
        self,
        guild: Json | str | int,
        name: str,
        *,
        type: int = GUILD_TEXT,
        topic: str | None = None,
        parent_id: str | None = None,
        permission_overwrites: list[Json] | None = None,
        nsfw: bool = False,
        rate_limit_per_user: int = 0,
        position: int | None = None,
    ) -> Json:
        """Create a guild channel (GuildChannelResponse shape)."""
        gid = self.guild(guild)["id"]
        if type not in GUILD_CHANNEL_TYPES:
            raise StateError(f"channel type {type} is not a guild channel type")
        siblings = [c for c in self.channels.values() if c.get("guild_id") == gid]
        ch: Json = {
            "id": self.ids.next(),
            "type": type,
            "last_message_id": None,
            "flags": 0,
            "guild_id": gid,
            "name": name,
            "parent_id": parent_id,
            "position": position if position is not None else len(siblings),
            "permission_overwrites": [
                normalize_overwrite(o) for o in (permission_overwrites or [])
            ],
            "nsfw": nsfw,
        }
        if type in (GUILD_VOICE, GUILD_STAGE_VOICE):
            ch.update(
                {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "rate_limit_per_user": 0}
            )
        elif type != GUILD_CATEGORY:
            ch.update({"topic": topic, "rate_limit_per_user": rate_limit_per_user})
        if type == GUILD_FORUM:
            ch.update(
                {
                    "available_tags": [],
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                }
            )
        self.channels[ch["id"]] = ch
        self.channel_messages[ch["id"]] = []
        return ch

    def new_thread(
        self,
        parent: Json | str | int,
        name: str,
        *,
        owner_id: str,
        type: int = PUBLIC_THREAD,
        thread_id: str | None = None,
        auto_archive_duration: int = 1440,
        invitable: bool | None = None,
        rate_limit_per_user: int = 0,
    ) -> Json:
        """Create a thread under ``parent`` (ThreadResponse shape); the owner joins it."""
        parent_ch = self.channel(parent)
        now = iso_now()
        metadata: Json = {
            "archived": False,
            "archive_timestamp": now,
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": now,
        }
        if type == PRIVATE_THREAD:
            metadata["invitable"] = True if invitable is None else invitable
        th: Json = {
            "id": thread_id or self.ids.next(),
            "type": type,
            "last_message_id": None,
            "flags": 0,
            "guild_id": parent_ch["guild_id"],
            "name": name,
            "parent_id": parent_ch["id"],
            "rate_limit_per_user": rate_limit_per_user,
            "owner_id": owner_id,
            "thread_metadata": metadata,
            "message_count": 0,
            "member_count": 0,
            "total_message_sent": 0,
            "applied_tags": [],
        }
        self.channels[th["id"]] = th
        self.channel_messages[th["id"]] = []
        self.thread_members[th["id"]] = {}
        self.add_thread_member(th["id"], owner_id)
        return th

    def add_thread_member(self, thread_id: str, user_id: str) -> bool:
        """Add a user to a thread; returns False if already a member."""
        members = self.thread_members[thread_id]
        if user_id in members:
            return False
        members[user_id] = iso_now()
        self.channels[thread_id]["member_count"] = min(len(members), 50)
        return True

    def remove_thread_member(self, thread_id: str, user_id: str) -> bool:
        """Remove a user from a thread; returns False if not a member."""
        members = self.thread_members[thread_id]
        if members.pop(user_id, None) is None:
            return False
        self.channels[thread_id]["member_count"] = min(len(members), 50)
        return True

    def thread_member_payload(self, thread_id: str, user_id: str) -> Json:
        """ThreadMemberResponse-shaped dict."""
        return {
            "id": thread_id,
            "user_id": user_id,
            "join_timestamp": self.thread_members[thread_id][user_id],
            "flags": 0,
        }

    def dm_channel(self, user: Json | str | int) -> Json:
        """Return (creating on first use) the DM channel between the bot and ``user``."""
        uid = self.user(user)["id"]
        cid = self.dm_channels.get(uid)
        if cid is None:
            cid = self.ids.next()
            self.channels[cid] = {
                "id": cid,
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [],
            }
            self.channel_messages[cid] = []
            self.dm_channels[uid] = cid
        return self.channels[cid]

    def dm_recipient(self, channel_id: str) -> str | None:
        """The non-bot user of a DM channel, or None for other channels."""
        for uid, cid in self.dm_channels.items():
            if cid == channel_id:
                return uid
        return None

    def channel(self, channel: Json | str | int) -> Json:
        """Return the stored channel/thread/DM dict."""
        cid = ref(channel)
        try:
            return self.channels[cid]
        except KeyError:
            raise StateError(f"unknown channel {cid}") from None

    def channel_payload(self, channel: Json | str | int, *, for_user: str | None = None) -> Json:
        """Copy of a channel; DMs get recipients, threads the caller's ``member`` entry."""
        ch = self.channel(channel)
        out = copy.deepcopy(ch)
        if ch["type"] == DM:
            recipient = self.dm_recipient(ch["id"])
            out["recipients"] = [self.user_payload(recipient)] if recipient else []
        in_thread = for_user is not None and for_user in self.thread_members.get(ch["id"], {})
        if ch["type"] in THREAD_TYPES and in_thread:
            out["member"] = self.thread_member_payload(ch["id"], for_user)  # type: ignore[arg-type]
        return out

    def delete_channel(self, channel_id: str) -> Json:
        """Remove a channel (and its threads and messages); returns the removed dict."""
        ch = self.channels.pop(channel_id)
        for mid in self.channel_messages.pop(channel_id, []):
            self.messages.pop(mid, None)
        self.thread_members.pop(channel_id, None)
        for child in [c for c in self.channels.values() if c.get("parent_id") == channel_id]:
            if child["type"] in THREAD_TYPES:
                self.delete_channel(child["id"])
            else:
                child["parent_id"] = None
        return ch

    # --------------------------------------------------------------- messages
    def store_message(self, message: Json, *, listed: bool = True) -> None:
        """Store a message; ``listed`` ones appear in history and bump channel counters."""
        cid = message["channel_id"]
        self.messages[message["id"]] = message
        if not listed:
            return
        self.channel_messages.setdefault(cid, []).append(message["id"])
        ch = self.channels[cid]
        ch["last_message_id"] = message["id"]
        if ch["type"] in THREAD_TYPES:
            ch["message_count"] += 1
            ch["total_message_sent"] += 1

    def message(self, message: Json | str | int) -> Json:
        """Return the stored message dict."""
        mid = ref(message)
        try:
            return self.messages[mid]
        except KeyError:
            raise StateError(f"unknown message {mid}") from None

    def message_payload(self, message: Json | str | int) -> Json:
        """Copy of a message (MessageResponse shape)."""
        return copy.deepcopy(self.message(message))

    def delete_message(self, message_id: str) -> Json:
        """Remove a message; returns it."""
        msg = self.messages.pop(message_id)
        ids = self.channel_messages.get(msg["channel_id"], [])
        if message_id in ids:
            ids.remove(message_id)
        ch = self.channels.get(msg["channel_id"])
        if ch is not None and ch["type"] in THREAD_TYPES:
            ch["message_count"] = max(0, ch["message_count"] - 1)
        return msg

    def channel_guild_id(self, channel_id: str) -> str | None:
        """Guild id of a channel (None for DMs)."""
        return self.channel(channel_id).get("guild_id")


def normalize_overwrite(raw: Json) -> Json:
    """Bring a permission overwrite into ChannelPermissionOverwriteResponse shape."""
    return {
        "id": str(raw["id"]),
        "type": int(raw.get("type", 0)),
        "allow": str(int(raw.get("allow", 0) or 0)),
        "deny": str(int(raw.get("deny", 0) or 0)),
    }


def parse_iso(value: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp as sent by discord.py (always timezone-aware)."""
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
