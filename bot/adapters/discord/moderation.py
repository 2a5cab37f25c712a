"""Discord implementations of the ModerationActions and SpaceAdmin ports."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.rooms import DiscordPublicRooms
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.errors import HavenError

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter


class DiscordModeration:
    """Timeouts, message removal and kicks through discord.py."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    async def _member(self, person: PersonRef) -> discord.Member:
        client = self.adapter.client
        for guild_id in self.adapter.settings.guild_ids:
            guild = client.get_guild(guild_id)
            if guild is None:
                continue
            member = guild.get_member(int(person.user_id))
            if member is None:
                try:
                    member = await guild.fetch_member(int(person.user_id))
                except discord.NotFound:
                    continue
            return member
        raise HavenError("that person is not in any configured guild")

    async def remove_message(self, message: MessageRef, reason: str) -> None:
        """Delete the message."""
        # The HTTP layer carries the audit-log reason; PartialMessage.delete cannot.
        await self.adapter.client.http.delete_message(
            int(message.room_id), int(message.message_id), reason=reason
        )

    async def timeout(self, person: PersonRef, until: datetime, reason: str) -> None:
        """Discord's member timeout (communication disabled until `until`)."""
        member = await self._member(person)
        await member.timeout(until, reason=reason)

    async def lift_timeout(self, person: PersonRef, reason: str) -> None:
        """End the member's timeout."""
        member = await self._member(person)
        await member.timeout(None, reason=reason)

    async def remove_from_space(self, person: PersonRef, reason: str) -> None:
        """Kick the member from the guild."""
        member = await self._member(person)
        await member.kick(reason=reason)


class DiscordSpaceAdmin(DiscordPublicRooms):
    """Private threads and role changes through discord.py."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    async def open_private_room(
        self, name: str, members: list[PersonRef], parent: RoomRef | None = None
    ) -> RoomRef:
        """A private thread in `parent` with `members` added."""
        if parent is None:
            raise HavenError("a private thread needs a parent channel on Discord")
        channel = await self.adapter.channel(parent.room_id)
        if not isinstance(channel, discord.TextChannel):
            raise HavenError("private threads need a text channel as parent")
        thread = await channel.create_thread(
            name=name[:100], type=discord.ChannelType.private_thread, invitable=False
        )
        for person in members:
            await thread.add_user(discord.Object(int(person.user_id)))
        return RoomRef("discord", str(thread.id), thread.name, True)

    async def add_member(self, room: RoomRef, person: PersonRef) -> None:
        """Add one more person to a private thread Haven opened."""
        channel = await self.adapter.channel(room.room_id)
        if not isinstance(channel, discord.Thread):
            raise HavenError("only threads take new members")
        await channel.add_user(discord.Object(int(person.user_id)))

    async def close_room(self, room: RoomRef, reason: str) -> None:
        """Delete the thread or channel with its messages."""
        channel = await self.adapter.channel(room.room_id)
        if isinstance(channel, discord.Thread | discord.abc.GuildChannel):
            await channel.delete(reason=reason)

    async def set_role(self, person: PersonRef, role: str, granted: bool) -> None:
        """Add or remove the Discord role mapped to the Haven role `role`."""
        ids = [ids for r, ids in self.adapter.settings.roles.items() if r.value == role]
        if not ids or not ids[0]:
            raise HavenError(f"no Discord role is mapped to {role}")
        member = await DiscordModeration(self.adapter)._member(person)
        target = discord.Object(ids[0][0])
        if granted:
            await member.add_roles(target, reason="Haven role change")
        else:
            await member.remove_roles(target, reason="Haven role change")
