"""The Discord adapter: the real discord.py client, slash commands from declarations.

Interactions become core invocations through the same dispatcher as on Matrix, so
permissions, errors and texts are the same on both platforms.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import TYPE_CHECKING, Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot.adapters.discord.moderation import DiscordModeration, DiscordSpaceAdmin
from bot.adapters.discord.recent_ids import RecentIds
from bot.adapters.discord.render import (
    CUSTOM_ID_PREFIX,
    PUBLIC_ID_PREFIX,
    chunks,
    is_ephemeral,
    send_kwargs,
)
from bot.adapters.discord.slash import build_commands
from bot.adapters.discord.translator import CatalogueTranslator
from bot.core.binding import TextCommandError, action_arguments, parse_command_line
from bot.core.capabilities import Role
from bot.core.commands import Command, ParamType
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.dry_run import DryRunModeration
from bot.core.errors import HavenError, UserError
from bot.core.events import IncomingMessage, MemberJoined
from bot.core.replies import Reply, ReplyKind
from bot.storage.platform_state_repository import PlatformStateRepository

if TYPE_CHECKING:
    from bot.app import Haven
    from bot.core.i18n import Translator
    from bot.core.ports import ModerationActions

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFER_AFTER = 2.0  # Discord wants an answer within 3 s; defer before that


class HavenDiscordClient(discord.Client):
    """discord.py client whose events are forwarded to the adapter."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogueTranslator(self.adapter.app.catalogues))
        for item in self.adapter.build():
            self.tree.add_command(item, guilds=self.adapter.guild_objects())
        self.tree.on_error = self.adapter.on_tree_error  # type: ignore[method-assign]

    async def on_ready(self) -> None:
        await self.adapter.on_ready()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.on_interaction(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.adapter.on_member_join(member)


class DiscordAdapter:
    """Serves Haven's commands in the configured Discord guilds."""

    name = PLATFORM

    def __init__(self, app: Haven) -> None:
        self.app = app
        self.settings = app.settings.discord
        self.state = PlatformStateRepository(app.db, PLATFORM)
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        self.client = HavenDiscordClient(
            self,
            intents=intents,
            guild_ready_timeout=self.settings.guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._synced = False
        self._deferred_privately: dict[int, bool] = {}
        self._recent = RecentIds()
        self.english = app.catalogues.translator("en")
        self.moderation: ModerationActions = (
            DryRunModeration() if app.settings.dry_run else DiscordModeration(self)
        )
        self.space_admin = DiscordSpaceAdmin(self)

    # -- lifecycle -----------------------------------------------------------------------

    def _point_at_api(self) -> None:
        # Only set when configured (the local emulator in tests); never by default.
        if self.settings.api_base_url:
            discord.http.Route.BASE = self.settings.api_base_url.rstrip("/")
        if self.settings.gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.settings.gateway_url)

    async def start(self) -> None:
        """Log in, connect to the gateway and wait until guilds are ready."""
        token = self.app.secrets.discord_token
        if token is None:
            raise HavenError("Discord is enabled but HAVEN_DISCORD_TOKEN is not set")
        self._point_at_api()
        await self.client.login(token.get_secret_value())
        self._task = asyncio.create_task(self.client.connect(reconnect=True), name="discord")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=60, return_when="FIRST_COMPLETED"
        )
        if ready not in done:
            ready.cancel()
            if self._task.done() and self._task.exception() is not None:
                raise HavenError("Discord connection failed") from self._task.exception()
            raise HavenError("Discord did not become ready within 60 s")

    async def stop(self) -> None:
        """Close the gateway connection and HTTP session."""
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def on_ready(self) -> None:
        """Sync commands (only when the declarations changed), then report ready."""
        if not self._synced:
            self._synced = True
            await self.sync_commands()
        self._ready.set()

    def guild_objects(self) -> list[discord.Object]:
        """The configured guilds."""
        return [discord.Object(gid) for gid in self.settings.guild_ids]

    def build(self) -> list[Any]:
        """discord.py command objects for every declaration."""
        return build_commands(self.app.registry, self.english, self._run, self._run_menu)

    def fingerprint(self) -> str:
        """Declarations plus texts: a change in either needs a new sync."""
        texts = hashlib.sha256()
        for locale in self.app.catalogues.locales():
            for key in sorted(self.app.catalogues.keys(locale)):
                texts.update(f"{locale}:{key}={self.app.catalogues.lookup(locale, key)}".encode())
        return f"{self.app.registry.fingerprint()}:{texts.hexdigest()}"

    async def sync_commands(self) -> list[int]:
        """Sync per guild when the stored fingerprint differs; returns synced guild ids."""
        synced = []
        fingerprint = self.fingerprint()
        for guild in self.guild_objects():
            key = f"commands:{guild.id}"
            if await self.state.get(key) == fingerprint:
                continue
            await self.client.tree.sync(guild=guild)
            await self.state.set(key, fingerprint)
            synced.append(guild.id)
        if synced:
            log.info("synced application commands to %d guild(s)", len(synced))
        return synced

    # -- interactions --------------------------------------------------------------------

    def _identity(self, user: discord.abc.User) -> PersonRef:
        return PersonRef(PLATFORM, str(user.id), user.display_name)

    def _roles(self, user: discord.abc.User) -> frozenset[Role]:
        roles = {Role.MEMBER}
        if isinstance(user, discord.Member):
            ids = {r.id for r in user.roles}
            for role, configured in self.settings.roles.items():
                if ids.intersection(configured):
                    roles.add(role)
        return frozenset(roles)

    def _room(self, channel: Any, channel_id: int | None) -> RoomRef:
        name = getattr(channel, "name", "") or ""
        private = isinstance(channel, discord.DMChannel) or (
            isinstance(channel, discord.Thread) and channel.is_private()
        )
        return RoomRef(PLATFORM, str(channel_id or getattr(channel, "id", "")), name, private)

    def _convert(self, command: Command, values: dict[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = {}
        for name, value in values.items():
            param = command.param(name)
            if value is None or param is None:
                continue
            if param.type is ParamType.MEMBER and isinstance(value, discord.abc.User):
                converted[name] = self._identity(value)
            elif param.type is ParamType.ROOM and hasattr(value, "id"):
                converted[name] = self._room(value, value.id)
            else:
                converted[name] = value
        return converted

    async def _run(
        self, command: Command, interaction: discord.Interaction, values: dict[str, Any]
    ) -> None:
        invocation = Invocation(
            command,
            self._identity(interaction.user),
            self._roles(interaction.user),
            self._room(interaction.channel, interaction.channel_id),
            self._convert(command, values),
            locale_hint=interaction.locale.value,
        )
        await self._answer(interaction, invocation)

    async def _run_menu(
        self, command: Command, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        target = MessageRef(
            PLATFORM,
            str(message.channel.id),
            str(message.id),
            self._identity(message.author),
            message.content,
            message.jump_url,
        )
        invocation = Invocation(
            command,
            self._identity(interaction.user),
            self._roles(interaction.user),
            self._room(interaction.channel, interaction.channel_id),
            {},
            locale_hint=interaction.locale.value,
            message=target,
        )
        await self._answer(interaction, invocation)

    async def _answer(self, interaction: discord.Interaction, invocation: Invocation) -> None:
        """Run the invocation; defer if it is slow, then answer (ephemeral when private)."""
        if not self._recent.add(interaction.id):
            return
        private = invocation.command.private or invocation.command.discreet
        deferral: asyncio.Future[None] | None = None

        def defer() -> None:
            nonlocal deferral
            self._deferred_privately[interaction.id] = private
            deferral = asyncio.ensure_future(
                interaction.response.defer(ephemeral=private, thinking=True)
            )

        timer = asyncio.get_running_loop().call_later(DEFER_AFTER, defer)
        try:
            reply = await self.app.dispatcher.invoke(invocation, self)
        finally:
            timer.cancel()
        if deferral is not None:
            await deferral
        await self._respond(interaction, reply, force_private=invocation.command.discreet)

    async def _respond(
        self, interaction: discord.Interaction, reply: Reply, *, force_private: bool = False
    ) -> None:
        ephemeral = force_private or is_ephemeral(reply)
        pieces = chunks(reply.text)
        kwargs = send_kwargs(reply)
        if interaction.response.is_done():
            deferred_privately = self._deferred_privately.pop(interaction.id, False)
            if ephemeral and not deferred_privately:
                # The public "thinking…" placeholder must not become a private answer.
                await interaction.delete_original_response()
                await interaction.followup.send(pieces[0], ephemeral=True, **kwargs)
            else:
                # Deferred: the "thinking…" placeholder becomes the answer.
                files = kwargs.pop("files", None)
                if files:
                    kwargs["attachments"] = files
                await interaction.edit_original_response(content=pieces[0], **kwargs)
        else:
            await interaction.response.send_message(pieces[0], ephemeral=ephemeral, **kwargs)
        for piece in pieces[1:]:
            await interaction.followup.send(piece, ephemeral=ephemeral)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons route to commands: `haven:confirm:CODE` runs `confirm CODE`."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        public = custom_id.startswith(PUBLIC_ID_PREFIX)
        if not public and not custom_id.startswith(CUSTOM_ID_PREFIX):
            return
        prefix = PUBLIC_ID_PREFIX if public else CUSTOM_ID_PREFIX
        name, _, argument = custom_id[len(prefix) :].partition(":")
        command = self.app.registry.get(name)
        if command is None:
            return
        if not self._recent.add(interaction.id):
            return
        try:
            args = action_arguments(command, argument)
        except UserError:
            return
        invocation = Invocation(
            command,
            self._identity(interaction.user),
            self._roles(interaction.user),
            self._room(interaction.channel, interaction.channel_id),
            args,
            locale_hint=interaction.locale.value,
        )
        reply = await self.app.dispatcher.invoke(invocation, self)
        if public:
            # A shared control (e.g. Join): the announcement stays, the presser is answered.
            await interaction.response.send_message(
                chunks(reply.text)[0], ephemeral=True, **_mentions(reply)
            )
            return
        # The answer replaces the prompt, so its buttons cannot be pressed twice.
        await interaction.response.edit_message(
            content=chunks(reply.text)[0], view=None, **_mentions(reply)
        )

    # -- text commands -------------------------------------------------------------------

    def _serves(self, message: discord.Message) -> bool:
        if message.author.bot or message.author.id == getattr(self.client.user, "id", None):
            return False
        return message.guild is None or message.guild.id in self.settings.guild_ids

    async def on_message(self, message: discord.Message) -> None:
        """`!group sub args` typed in a channel or DM: the same commands as on Matrix.

        Other messages in the guild go to the features that observe messages.
        """
        if not self._serves(message):
            return
        if not (
            self.settings.text_commands
            and message.content.startswith(self.settings.command_prefix)
        ):
            observed = message.guild is not None and self.app.events.wants_messages
            if observed and self._recent.add(message.id):
                await self._publish_message(message)
            return
        if not self._recent.add(message.id):
            return
        identity = self._identity(message.author)
        roles = self._roles(message.author)
        room = self._room(message.channel, message.channel.id)
        line = message.content[len(self.settings.command_prefix) :]
        try:
            command, args = parse_command_line(
                self.app.registry, line, self.settings.command_prefix
            )
        except TextCommandError as exc:
            discreet = exc.command is not None and exc.command.discreet and not room.private
            if discreet:
                await self._remove_quietly(message)
            reply = await self.app.dispatcher.refusal(
                identity, roles, exc.error, self, exc.command
            )
            if discreet:
                await self.send_private(identity, reply)
            else:
                await self._reply_to_message(message, identity, reply)
            return
        discreet = command.discreet and not room.private
        args = {k: self._resolve_text(command, k, v, message) for k, v in args.items()}
        target = None
        if command.message_menu_key and message.reference is not None:
            target = await self._referenced(message)
        if discreet:
            # Gone before anyone reads it: the channel must not learn who reported or asked.
            await self._remove_quietly(message)
        invocation = Invocation(command, identity, roles, room, args, message=target)
        reply = await self.app.dispatcher.invoke(invocation, self)
        if discreet:
            await self.send_private(identity, reply)
        else:
            await self._reply_to_message(message, identity, reply)

    async def _remove_quietly(self, message: discord.Message) -> None:
        """Delete a discreet command's own message."""
        try:
            await message.delete()
        except discord.HTTPException as exc:
            log.warning("could not delete a discreet command message: %s", exc.status)

    async def _publish_message(self, message: discord.Message) -> None:
        author = self._identity(message.author)
        ref = MessageRef(
            PLATFORM,
            str(message.channel.id),
            str(message.id),
            author,
            message.content,
            message.jump_url,
        )
        room = self._room(message.channel, message.channel.id)
        purpose = self.configured_purpose(message.channel.id)
        parent_id = getattr(message.channel, "parent_id", None)
        if purpose is None and parent_id is not None:
            purpose = self.configured_purpose(parent_id)
        await self.app.events.message(
            IncomingMessage(ref, room, author, self.app.clock.now(), purpose)
        )

    def configured_purpose(self, channel_id: int | str) -> str | None:
        """The purpose a channel has in `discord.channels` (lobby, moderators, ...), if any."""
        for purpose, configured in self.settings.channels.items():
            if str(configured) == str(channel_id):
                return purpose
        return None

    async def on_member_join(self, member: discord.Member) -> None:
        """Someone joined the guild: tell the features that greet newcomers."""
        if member.bot or member.guild.id not in self.settings.guild_ids:
            return
        await self.app.events.joined(
            MemberJoined(self._identity(member), None, self.app.clock.now())
        )

    def _resolve_text(
        self, command: Command, name: str, value: Any, message: discord.Message
    ) -> Any:
        param = command.param(name)
        if param is None or not isinstance(value, str):
            return value
        if param.type is ParamType.MEMBER:
            wanted = value.strip("<@!>")
            for user in message.mentions:
                if str(user.id) == wanted:
                    return self._identity(user)
        return value

    async def _referenced(self, message: discord.Message) -> MessageRef | None:
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        target = reference.resolved
        if not isinstance(target, discord.Message):
            try:
                target = await message.channel.fetch_message(reference.message_id)
            except discord.NotFound:
                return None
        return MessageRef(
            PLATFORM,
            str(target.channel.id),
            str(target.id),
            self._identity(target.author),
            target.content,
            target.jump_url,
        )

    async def _reply_to_message(
        self, message: discord.Message, identity: PersonRef, reply: Reply
    ) -> None:
        in_dm = isinstance(message.channel, discord.DMChannel)
        keep_inline = reply.kind in (ReplyKind.ERROR, ReplyKind.CONFIRM)
        if reply.private and not keep_inline and not in_dm:
            await self.send_private(identity, reply)
            translator = await self._translator_for(message.author, None)
            await message.reply(
                translator.gettext("common.sent_privately"),
                mention_author=False,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        for index, piece in enumerate(chunks(reply.text)):
            kwargs = send_kwargs(reply) if index == 0 else {}
            await message.reply(piece, mention_author=False, **kwargs)

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Errors discord.py raises before Haven's handler runs (e.g. bad option types)."""
        reference = str(interaction.id)[-8:]
        log.error(
            "application command error %s (reference %s)",
            type(error).__name__,
            reference,
            exc_info=error,
        )
        translator = await self._translator_for(interaction.user, interaction.locale.value)
        text = translator.gettext("error.internal", reference=reference)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def _translator_for(self, user: discord.abc.User, hint: str | None) -> Translator:
        _, person = await self.app.dispatcher.actor_for(self._identity(user), frozenset())
        return self.app.dispatcher.translator(self.app.dispatcher.locale_for(person, hint))

    # -- ChatPlatform port ---------------------------------------------------------------

    def command_syntax(self, command: Command, translate: Translator) -> str:
        """`/group sub name:<name> [option:<option>]`."""
        parts = [f"/{command.qualified_name}"]
        for param in command.params:
            required = param.required and not param.option
            shown = param.shown_name
            parts.append(f"{shown}:<…>" if required else f"[{shown}:<…>]")
        return " ".join(parts)

    def room_for(self, purpose: str) -> RoomRef | None:
        """The channel configured for `purpose` in `discord.channels`."""
        channel_id = self.settings.channels.get(purpose)
        if channel_id is None:
            return None
        channel = self.client.get_channel(channel_id)
        return RoomRef(PLATFORM, str(channel_id), getattr(channel, "name", "") or "")

    def mention(self, person: PersonRef) -> str:
        """`<@id>`."""
        return f"<@{person.user_id}>"

    async def channel(self, channel_id: str) -> discord.abc.Messageable:
        """A channel or thread by id (from the cache, else fetched)."""
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        if not isinstance(channel, discord.abc.Messageable):
            raise HavenError(f"channel {channel_id} cannot hold messages")
        return channel

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        """Post in a channel or thread."""
        channel = await self.channel(room.room_id)
        sent = None
        for index, piece in enumerate(chunks(reply.text)):
            kwargs = send_kwargs(reply) if index == 0 else {}
            message = await channel.send(piece, **kwargs)
            sent = sent or message
        assert sent is not None
        return MessageRef(PLATFORM, room.room_id, str(sent.id), link=sent.jump_url)

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        """Send a direct message."""
        user = self.client.get_user(int(person.user_id)) or await self.client.fetch_user(
            int(person.user_id)
        )
        dm = await user.create_dm()
        return await self.send(RoomRef(PLATFORM, str(dm.id), "", True), reply)

    async def fetch_message(self, room_id: str, message_id: str) -> MessageRef | None:
        """A message by id (e.g. one a member links to in a report), if Haven can read it."""
        try:
            channel = await self.channel(room_id)
            message = await channel.fetch_message(int(message_id))
        except (discord.HTTPException, HavenError, ValueError):
            return None
        return MessageRef(
            PLATFORM,
            room_id,
            message_id,
            self._identity(message.author),
            message.content,
            message.jump_url,
        )

    async def members_with_role(self, role: str) -> list[PersonRef]:
        """Guild members holding the Discord roles mapped to `role`."""
        wanted = set(self.settings.roles.get(Role(role), []))
        found: dict[str, PersonRef] = {}
        for guild_id in self.settings.guild_ids:
            guild = self.client.get_guild(guild_id)
            if guild is None:
                continue
            for member in guild.members:
                if not member.bot and wanted.intersection(r.id for r in member.roles):
                    found[str(member.id)] = self._identity(member)
        return list(found.values())


def _mentions(reply: Reply) -> dict[str, Any]:
    kwargs = send_kwargs(reply)
    return {"allowed_mentions": kwargs["allowed_mentions"]}
