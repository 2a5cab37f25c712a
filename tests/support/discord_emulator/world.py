"""World building and inspection methods of the emulator (mixed into DiscordEmulator)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from . import actions
from . import permissions as perm
from .base import EmulatorBase
from .state import THREAD_TYPES, Json, ref

_ANY = object()


class WorldMixin(EmulatorBase):
    """Create guilds, channels, roles, users and members; read back current state."""

    # ============================================================ world building
    def create_user(self, name: str, *, bot: bool = False, global_name: str | None = None) -> Json:
        """Create a user (not in any guild yet)."""
        return self.state.new_user(name, bot=bot, global_name=global_name)

    def create_guild(
        self,
        name: str,
        *,
        owner: Json | str | None = None,
        bot_permissions: int | None = None,
        preferred_locale: str = "en-US",
    ) -> Json:
        """Create a guild the bot is in (with a managed bot role); returns the guild dict.

        ``owner`` defaults to a fresh user ``"<name>-owner"``.  If the bot is connected
        it receives GUILD_CREATE, as when a bot is added to a server.
        """
        owner_user = (
            self.state.user(owner) if owner is not None else self.create_user(f"{name}-owner")
        )
        guild = self.state.new_guild(name, owner_user["id"])
        guild["preferred_locale"] = preferred_locale
        self.state.add_member(guild, owner_user)
        permissions = self.config.bot_permissions if bot_permissions is None else bot_permissions
        bot_role = self.state.new_role(
            guild,
            self.bot_user["username"],
            permissions=permissions,
            managed_for_bot=self.state.bot_user_id,
        )
        self.state.add_member(guild, self.state.bot_user_id, roles=[bot_role["id"]])
        self._dispatch_guild_create(guild["id"])
        return guild

    def _dispatch_guild_create(self, guild_id: str) -> None:
        for session in self.gateway.sessions.values():
            if not session.valid or not session.intents & perm.INTENT_GUILDS:
                continue
            payload = self.state.guild_create_payload(
                guild_id, all_members=bool(session.intents & perm.INTENT_GUILD_MEMBERS)
            )
            # A join (unlike the post-READY backfill) carries no ``unavailable`` key.
            del payload["unavailable"]
            self.gateway._send_dispatch(session, "GUILD_CREATE", payload)

    def bot_role(self, guild: Json | str) -> Json:
        """The bot's managed role in ``guild``."""
        gid = ref(guild)
        for rid in self.state.guild_roles[gid]:
            tags = self.state.roles[rid].get("tags") or {}
            if tags.get("bot_id") == self.state.bot_user_id:
                return self.state.roles[rid]
        raise LookupError("bot has no managed role here")

    def create_channel(
        self,
        guild: Json | str,
        name: str,
        *,
        type: int = 0,
        topic: str | None = None,
        parent: Json | str | None = None,
        overwrites: Iterable[Mapping[str, Any]] | None = None,
        nsfw: bool = False,
    ) -> Json:
        """Create a guild channel (``type``: 0 text, 2 voice, 4 category, 5 news, 15 forum).

        ``overwrites`` are ``{"id", "type" (0 role / 1 member), "allow", "deny"}`` dicts.
        """
        ch = self.state.new_channel(
            guild,
            name,
            type=type,
            topic=topic,
            parent_id=ref(parent) if parent is not None else None,
            permission_overwrites=[dict(o) for o in overwrites or []],
            nsfw=nsfw,
        )
        actions.dispatch_channel(self, "CREATE", ch)
        return ch

    def create_thread(
        self,
        channel: Json | str,
        name: str,
        *,
        owner: Json | str,
        private: bool = False,
        from_message: Json | str | None = None,
    ) -> Json:
        """Create a thread as ``owner`` (dispatches THREAD_CREATE)."""
        thread = self.state.new_thread(
            channel,
            name,
            owner_id=ref(owner),
            type=12 if private else 11,
            thread_id=ref(from_message) if from_message is not None else None,
        )
        actions.dispatch_channel(self, "CREATE", thread)
        return thread

    def create_role(
        self,
        guild: Json | str,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Json:
        """Create a role (just above ``@everyone`` unless ``position``)."""
        role = self.state.new_role(
            guild,
            name,
            permissions=permissions,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            position=position,
        )
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": ref(guild), "role": self.state.role_payload(role)}
        )
        return role

    def everyone_role(self, guild: Json | str) -> Json:
        """The ``@everyone`` role (same id as the guild)."""
        return self.state.role(ref(guild))

    def add_member(
        self,
        guild: Json | str,
        user: Json | str,
        *,
        roles: Iterable[Json | str] = (),
        nick: str | None = None,
    ) -> Json:
        """Add ``user`` to ``guild``; returns the member payload (GUILD_MEMBER_ADD)."""
        gid = ref(guild)
        self.state.add_member(gid, user, roles=[ref(r) for r in roles], nick=nick)
        payload = self.state.member_payload(gid, ref(user))
        self.gateway.dispatch("GUILD_MEMBER_ADD", {**payload, "guild_id": gid})
        return payload

    def update_member(
        self,
        guild: Json | str,
        user: Json | str,
        *,
        roles: Iterable[Json | str] | None = None,
        nick: str | object | None = _ANY,
    ) -> Json:
        """Change a member as an admin would (dispatches GUILD_MEMBER_UPDATE)."""
        gid, uid = ref(guild), ref(user)
        record = self.state.member(gid, uid)
        if roles is not None:
            record.roles = [ref(r) for r in roles]
        if nick is not _ANY:
            record.nick = nick  # type: ignore[assignment]
        actions.dispatch_member_update(self, gid, uid)
        return self.state.member_payload(gid, uid)

    def remove_member(self, guild: Json | str, user: Json | str) -> None:
        """Remove a member (as if they left; dispatches GUILD_MEMBER_REMOVE)."""
        gid, uid = ref(guild), ref(user)
        self.state.member(gid, uid)
        del self.state.members[gid][uid]
        self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": gid, "user": self.state.user_payload(uid)}
        )

    def member(self, guild: Json | str, user: Json | str) -> Json:
        """Current member payload (roles, nick, communication_disabled_until, ...)."""
        return self.state.member_payload(ref(guild), ref(user))

    def dm_channel(self, user: Json | str) -> Json:
        """The DM channel between ``user`` and the bot (created on first use)."""
        return self.state.dm_channel(user)

    def channel(self, channel: Json | str) -> Json:
        """Current stored state of a channel/thread."""
        return copy.deepcopy(self.state.channel(channel))

    def message(self, message: Json | str) -> Json | None:
        """Current stored state of a message (None once deleted)."""
        msg = self.state.messages.get(ref(message))
        return copy.deepcopy(msg) if msg is not None else None

    def messages(self, channel: Json | str) -> list[Json]:
        """Messages of a channel, oldest first (ephemeral ones excluded)."""
        ids = self.state.channel_messages.get(ref(channel), [])
        return [copy.deepcopy(self.state.messages[i]) for i in ids]

    def threads(self, channel: Json | str | None = None) -> list[Json]:
        """Threads (optionally only those under ``channel``)."""
        return [
            copy.deepcopy(c)
            for c in self.state.channels.values()
            if c["type"] in THREAD_TYPES and (channel is None or c["parent_id"] == ref(channel))
        ]
