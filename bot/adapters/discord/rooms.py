"""Discord side of discussion rooms: text channels whose permissions gate writing.

A thread cannot carry its own permission overwrites (it inherits its parent's), so a
discussion room is a text channel beside the configured discussion channel, in its
category. @everyone may read but not send; a member-level overwrite lets a person write
once they accepted the house rules. Slow mode is Discord's own `rate_limit_per_user`.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

import discord

from bot.core.context import PersonRef, RoomRef
from bot.core.errors import HavenError

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

MEMBER_OVERWRITE = 1
WRITE = discord.Permissions(send_messages=True, send_messages_in_threads=True)
# What @everyone may not do in a discussion room until they accept (or ever, once closed).
LOCKED = discord.PermissionOverwrite(
    send_messages=False,
    send_messages_in_threads=False,
    create_public_threads=False,
    create_private_threads=False,
)


def channel_name(topic: str) -> str:
    """A Discord channel name from a topic (lower case, dashes, at most 100 characters)."""
    slug = re.sub(r"[^\w-]+", "-", topic.lower(), flags=re.UNICODE).strip("-")
    return (slug or "discussion")[:100]


class DiscordPublicRooms:
    """The discussion-room methods of the Discord `SpaceAdmin`."""

    adapter: DiscordAdapter

    async def _guild_for(self, parent: RoomRef | None) -> tuple[discord.Guild, object]:
        client = self.adapter.client
        if parent is not None:
            channel = await self.adapter.channel(parent.room_id)
            guild = getattr(channel, "guild", None)
            if guild is not None:
                category = getattr(channel, "category", None)
                if isinstance(channel, discord.Thread) and channel.parent is not None:
                    category = channel.parent.category
                return guild, category
        for guild_id in self.adapter.settings.guild_ids:
            guild = client.get_guild(guild_id)
            if guild is not None:
                return guild, None
        raise HavenError("no configured guild to open a room in")

    async def open_public_room(
        self, name: str, topic: str, parent: RoomRef | None = None
    ) -> RoomRef:
        """A text channel all can read, where nobody writes until allowed."""
        guild, category = await self._guild_for(parent)
        channel = await guild.create_text_channel(
            channel_name(name),
            topic=topic[:1024],
            category=category if isinstance(category, discord.CategoryChannel) else None,
            overwrites={guild.default_role: LOCKED},
            reason="Haven discussion room",
        )
        return RoomRef("discord", str(channel.id), channel.name)

    async def set_can_write(self, room: RoomRef, person: PersonRef, allowed: bool) -> None:
        """A member overwrite that allows sending (or none)."""
        http = self.adapter.client.http
        if allowed:
            await http.edit_channel_permissions(
                int(room.room_id),
                int(person.user_id),
                str(WRITE.value),
                "0",
                MEMBER_OVERWRITE,
                reason="accepted the house rules",
            )
        else:
            with contextlib.suppress(discord.NotFound):
                await http.delete_channel_permissions(
                    int(room.room_id), int(person.user_id), reason="write permission removed"
                )

    async def set_slow_mode(self, room: RoomRef, seconds: int) -> bool:
        """Discord's own slow mode; the platform enforces it."""
        channel = await self.adapter.channel(room.room_id)
        if not isinstance(channel, discord.TextChannel):
            raise HavenError("slow mode needs a text channel")
        await channel.edit(slowmode_delay=seconds, reason="Haven slow mode")
        return True

    async def archive_room(self, room: RoomRef, reason: str) -> None:
        """Only @everyone's locked overwrite stays: nobody but staff with admin may write."""
        channel = await self.adapter.channel(room.room_id)
        if not isinstance(channel, discord.TextChannel):
            raise HavenError("only a text channel can be archived")
        await channel.edit(overwrites={channel.guild.default_role: LOCKED}, reason=reason)
