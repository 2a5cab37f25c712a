"""Acting as users: messages, reactions, slash/context commands, components, modals."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterable, Mapping
from typing import Any

from . import actions, interactions
from . import permissions as perm
from .base import EmulatorBase
from .interactions import InteractionHandle
from .snowflake import iso_now
from .state import THREAD_TYPES, Json, ref


class UserActionsMixin(EmulatorBase):
    """What a human user can do; each method dispatches the matching gateway event."""

    # ============================================================ users acting
    def _check_user_can_send(self, user_id: str, channel: Json) -> None:
        gid = channel.get("guild_id")
        if gid is None:
            if self.state.dm_recipient(channel["id"]) != user_id:
                raise PermissionError(f"user {user_id} is not in DM channel {channel['id']}")
            return
        if user_id not in self.state.members[gid]:
            raise PermissionError(f"user {user_id} is not a member of guild {gid}")
        member = self.state.members[gid][user_id]
        if member.communication_disabled_until is not None:
            until = member.communication_disabled_until
            if until > iso_now():
                raise PermissionError(f"user {user_id} is timed out until {until}")
        needed = perm.VIEW_CHANNEL | (
            perm.SEND_MESSAGES_IN_THREADS
            if channel["type"] in THREAD_TYPES
            else perm.SEND_MESSAGES
        )
        if self.state.channel_permissions(channel["id"], user_id) & needed != needed:
            raise PermissionError(f"user {user_id} cannot send in channel {channel['id']}")
        self._check_slowmode(user_id, channel)

    def _check_slowmode(self, user_id: str, channel: Json) -> None:
        """``rate_limit_per_user``: one message per interval, unless the user manages them."""
        seconds = int(channel.get("rate_limit_per_user") or 0)
        exempt = perm.MANAGE_MESSAGES | perm.MANAGE_CHANNELS
        if seconds <= 0 or self.state.channel_permissions(channel["id"], user_id) & exempt:
            return
        sent: dict[tuple[str, str], float] = self.__dict__.setdefault("_slowmode_sent", {})
        now = time.monotonic()
        last = sent.get((channel["id"], user_id))
        if last is not None and now - last < seconds:
            raise PermissionError(f"user {user_id} is in slow mode in channel {channel['id']}")
        sent[(channel["id"], user_id)] = now

    async def send_message(
        self,
        user: Json | str,
        channel: Json | str,
        content: str = "",
        *,
        reply_to: Json | str | None = None,
        embeds: list[Json] | None = None,
        attachments: Iterable[tuple[str, bytes]] = (),
        allowed_mentions: Json | None = None,
    ) -> Json:
        """Post a message as ``user`` (checks membership, permissions and timeouts).

        Returns the stored message dict (MESSAGE_CREATE has been dispatched).
        ``attachments`` are ``(filename, data)`` pairs.
        """
        uid = self.state.user(user)["id"]
        ch = self.state.channel(channel)
        self._check_user_can_send(uid, ch)
        body: Json = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            body["message_reference"] = {"message_id": ref(reply_to)}
        if allowed_mentions is not None:
            body["allowed_mentions"] = allowed_mentions
        files = [
            {"filename": name, "data": data, "size": len(data), "content_type": None}
            for name, data in attachments
        ]
        msg = actions.post_message(self, ch["id"], uid, body, files)
        await asyncio.sleep(0)
        return copy.deepcopy(msg)

    async def edit_message(self, user: Json | str, message: Json | str, content: str) -> Json:
        """Edit a user's own message (dispatches MESSAGE_UPDATE)."""
        msg = self.state.message(message)
        if msg["author"]["id"] != ref(user):
            raise PermissionError("users can only edit their own messages")
        actions.edit_message(self, msg["id"], {"content": content})
        await asyncio.sleep(0)
        return copy.deepcopy(msg)

    async def delete_message(self, message: Json | str) -> None:
        """Delete a message as its author or a moderator (dispatches MESSAGE_DELETE)."""
        actions.remove_message(self, ref(message))
        await asyncio.sleep(0)

    async def add_reaction(self, user: Json | str, message: Json | str, emoji: str) -> None:
        """React as ``user`` (``emoji``: unicode or ``name:id``)."""
        actions.add_reaction(self, ref(message), ref(user), emoji)
        await asyncio.sleep(0)

    async def remove_reaction(self, user: Json | str, message: Json | str, emoji: str) -> None:
        """Remove ``user``'s reaction."""
        actions.remove_reaction(self, ref(message), ref(user), emoji)
        await asyncio.sleep(0)

    def _start_interaction(self, payload: Json) -> InteractionHandle:
        if not any(s.valid for s in self.gateway.sessions.values()):
            raise RuntimeError("no bot gateway session: is the client connected?")
        handle = InteractionHandle(self, payload)
        self.interactions[handle.id] = handle
        self.interactions_by_token[handle.token] = handle
        self.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(payload))
        return handle

    def _check_command_allowed(self, command: Json, user_id: str, channel: Json) -> None:
        gid = channel.get("guild_id")
        if gid is None:
            if command.get("contexts") is not None and 1 not in command["contexts"]:
                raise PermissionError(f"command {command['name']!r} is not usable in DMs")
            if command.get("guild_id"):
                raise PermissionError("guild commands cannot be used in DMs")
            return
        have = self.state.channel_permissions(channel["id"], user_id)
        if not have & perm.USE_APPLICATION_COMMANDS:
            raise PermissionError("user lacks USE_APPLICATION_COMMANDS here")
        needed = command.get("default_member_permissions")
        if needed is not None and have & int(needed) != int(needed):
            raise PermissionError(
                f"command {command['name']!r} needs permissions {needed} the user lacks"
            )

    async def invoke_slash(
        self,
        user: Json | str,
        channel: Json | str,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run ``/command`` as ``user``; ``command`` may be ``"group sub"`` or ``"cmd sub"``.

        ``options`` maps option names to values: str/int/float/bool, or user/channel/role
        dicts (or ids) for those option types.  The command must have been registered by
        the bot, and options are type-checked against its registration (ValueError if not).
        """
        ch = self.state.channel(channel)
        uid = self.state.user(user)["id"]
        data = interactions.command_data(self, command, options or {}, ch.get("guild_id"), uid)
        cmd = self.state.commands[data["id"]].payload
        self._check_command_allowed(cmd, uid, ch)
        payload = interactions.base_payload(
            self, interactions.APPLICATION_COMMAND, uid, ch, data, locale=locale
        )
        handle = self._start_interaction(payload)
        await asyncio.sleep(0)
        return handle

    async def invoke_message_command(
        self,
        user: Json | str,
        channel: Json | str,
        name: str,
        target_message: Json | str,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run the message context-menu command ``name`` on ``target_message``."""
        ch = self.state.channel(channel)
        uid = self.state.user(user)["id"]
        cmd = interactions.find_command(self, name, 3, ch.get("guild_id"))
        self._check_command_allowed(cmd, uid, ch)
        target = self.state.message(target_message)
        data: Json = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: actions.gateway_message(self, target)}},
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload = interactions.base_payload(
            self, interactions.APPLICATION_COMMAND, uid, ch, data, locale=locale
        )
        handle = self._start_interaction(payload)
        await asyncio.sleep(0)
        return handle

    async def invoke_user_command(
        self,
        user: Json | str,
        channel: Json | str,
        name: str,
        target_user: Json | str,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run the user context-menu command ``name`` on ``target_user``."""
        ch = self.state.channel(channel)
        uid = self.state.user(user)["id"]
        cmd = interactions.find_command(self, name, 2, ch.get("guild_id"))
        self._check_command_allowed(cmd, uid, ch)
        resolved: Json = {}
        interactions._resolved_user(self, ch.get("guild_id"), ref(target_user), resolved)
        data: Json = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 2,
            "target_id": ref(target_user),
            "resolved": resolved,
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload = interactions.base_payload(
            self, interactions.APPLICATION_COMMAND, uid, ch, data, locale=locale
        )
        handle = self._start_interaction(payload)
        await asyncio.sleep(0)
        return handle

    async def autocomplete(
        self,
        user: Json | str,
        channel: Json | str,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        timeout: float = 5.0,
        locale: str = "en-US",
    ) -> list[Json]:
        """Send an autocomplete interaction for option ``focused``; returns the choices."""
        ch = self.state.channel(channel)
        uid = self.state.user(user)["id"]
        data = interactions.command_data(
            self, command, options, ch.get("guild_id"), uid, focused=focused
        )
        payload = interactions.base_payload(
            self, interactions.AUTOCOMPLETE, uid, ch, data, locale=locale
        )
        handle = self._start_interaction(payload)
        await handle.wait_response(timeout)
        return list(handle.autocomplete_choices or [])

    async def click_button(
        self,
        user: Json | str,
        message: Json | str,
        custom_id: str,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click the button ``custom_id`` on ``message`` as ``user``."""
        return await self._component(user, message, custom_id, 2, None, locale)

    async def select_options(
        self,
        user: Json | str,
        message: Json | str,
        custom_id: str,
        values: list[str],
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Choose ``values`` in the select menu ``custom_id`` on ``message``."""
        return await self._component(user, message, custom_id, None, values, locale)

    async def _component(
        self,
        user: Json | str,
        message: Json | str,
        custom_id: str,
        expected_type: int | None,
        values: list[str] | None,
        locale: str,
    ) -> InteractionHandle:
        msg = self.state.message(message)
        comp = actions.find_component(msg.get("components", []), custom_id)
        if comp is None:
            raise ValueError(f"message {msg['id']} has no component {custom_id!r}")
        if expected_type is not None and comp["type"] != expected_type:
            raise ValueError(f"component {custom_id!r} is type {comp['type']}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        uid = self.state.user(user)["id"]
        if msg["flags"] & actions.FLAG_EPHEMERAL:
            owner = self._ephemeral_owner(msg["id"])
            if owner is not None and owner != uid:
                raise PermissionError("only the recipient can use an ephemeral message")
        data: Json = {"custom_id": custom_id, "component_type": comp["type"]}
        if values is not None:
            data["values"] = list(values)
        payload = interactions.base_payload(
            self, interactions.MESSAGE_COMPONENT, uid, msg["channel_id"], data, locale=locale
        )
        payload["message"] = actions.gateway_message(self, msg)
        handle = self._start_interaction(payload)
        await asyncio.sleep(0)
        return handle

    def _ephemeral_owner(self, message_id: str) -> str | None:
        for handle in self.interactions.values():
            if message_id == handle.original_message_id or message_id in handle.followup_ids:
                return handle.user_id
        return None

    async def submit_modal(
        self,
        interaction: InteractionHandle,
        values: Mapping[str, Any],
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the modal the bot answered ``interaction`` with (callback type 9)."""
        modal = interaction.modal
        if modal is None:
            raise ValueError("the bot did not answer this interaction with a modal")
        data = {
            "custom_id": modal["custom_id"],
            "components": interactions.modal_submission(modal, values),
        }
        payload = interactions.base_payload(
            self,
            interactions.MODAL_SUBMIT,
            interaction.user_id,
            interaction.channel_id,
            data,
            locale=locale,
        )
        if "message" in interaction.payload:
            payload["message"] = copy.deepcopy(interaction.payload["message"])
        handle = self._start_interaction(payload)
        handle.triggered_by = interaction
        await asyncio.sleep(0)
        return handle
