"""Matrix implementations of the ModerationActions and SpaceAdmin ports.

Matrix has no timeout with an end: a mute lowers the person's power level below what
sending needs in every room of the space, remembers the previous levels and the end
time in the database, and `lift_expired` restores them (so it survives a restart).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import nio

from bot.adapters.matrix.rooms import MatrixPublicRooms
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.errors import HavenError
from bot.storage.timestamps import from_text, to_text

if TYPE_CHECKING:
    from bot.adapters.matrix.adapter import MatrixAdapter

log = logging.getLogger(__name__)
MUTED_LEVEL = -1


class MatrixModeration:
    """Redactions, mutes by power level, and kicks through matrix-nio."""

    def __init__(self, adapter: MatrixAdapter) -> None:
        self.adapter = adapter

    @property
    def client(self) -> nio.AsyncClient:
        return self.adapter.client

    def space_rooms(self) -> list[str]:
        """The space and its child rooms (not direct chats)."""
        settings = self.adapter.settings
        rooms = [settings.space_id] if settings.space_id else []
        rooms += [r for r in self.adapter.allowed_rooms if r not in self.adapter.dm_room_ids]
        return list(dict.fromkeys(rooms))

    async def remove_message(self, message: MessageRef, reason: str) -> None:
        """Redact the event."""
        await _call(self.client.room_redact(message.room_id, message.message_id, reason))

    async def timeout(self, person: PersonRef, until: datetime, reason: str) -> None:
        """Mute in every room of the space until `until`."""
        previous: dict[str, int | None] = {}
        for room_id in self.space_rooms():
            previous[room_id] = await set_user_level(
                self.client, room_id, person.user_id, MUTED_LEVEL
            )
        record = {"until": to_text(until), "previous": previous, "reason": reason}
        await self.adapter.state.set(f"mute:{person.user_id}", json.dumps(record))

    async def lift_timeout(self, person: PersonRef, reason: str) -> None:
        """Restore the levels the person had before the mute."""
        stored = await self.adapter.state.get(f"mute:{person.user_id}")
        if stored is None:
            return
        record = json.loads(stored)
        for room_id, level in record["previous"].items():
            await set_user_level(self.client, room_id, person.user_id, level)
        await self.adapter.state.delete(f"mute:{person.user_id}")

    async def lift_expired(self, now: datetime | None = None) -> int:
        """Lift every mute whose end has passed; returns how many."""
        now = now or datetime.now(UTC)
        lifted = 0
        for key, value in await self.adapter.state.items("mute:"):
            if from_text(json.loads(value)["until"]) <= now:
                user_id = key.removeprefix("mute:")
                await self.lift_timeout(PersonRef("matrix", user_id), "timeout ended")
                lifted += 1
        return lifted

    async def remove_from_space(self, person: PersonRef, reason: str) -> None:
        """Kick from every room of the space and the space itself."""
        for room_id in reversed(self.space_rooms()):
            response = await self.client.room_kick(room_id, person.user_id, reason)
            if not isinstance(response, nio.RoomKickResponse):
                log.warning(
                    "kick from a space room failed: %s", getattr(response, "status_code", "")
                )


class MatrixSpaceAdmin(MatrixPublicRooms):
    """Invite-only rooms and power-level roles through matrix-nio."""

    def __init__(self, adapter: MatrixAdapter) -> None:
        self.adapter = adapter

    async def open_private_room(
        self, name: str, members: list[PersonRef], parent: RoomRef | None = None
    ) -> RoomRef:
        """An invite-only room with `members` invited; Haven keeps serving it."""
        created = await _call(
            self.adapter.client.room_create(
                name=name,
                invite=[p.user_id for p in members],
                preset=nio.RoomPreset.private_chat,
            )
        )
        await self.adapter.remember_room(created.room_id)
        return RoomRef("matrix", created.room_id, name, True)

    async def add_member(self, room: RoomRef, person: PersonRef) -> None:
        """Invite one more person into a room Haven opened."""
        await _call(self.adapter.client.room_invite(room.room_id, person.user_id))

    async def close_room(self, room: RoomRef, reason: str) -> None:
        """Close a room for good: everyone is removed and Haven leaves it."""
        client = self.adapter.client
        state = await client.room_get_state(room.room_id)
        if isinstance(state, nio.RoomGetStateResponse):
            for event in state.events:
                member = event.get("state_key")
                membership = event.get("content", {}).get("membership")
                if (
                    event.get("type") == "m.room.member"
                    and member != client.user_id
                    and membership in ("join", "invite")
                ):
                    # Kicking also withdraws a pending invite.
                    await client.room_kick(room.room_id, member, reason)
        await client.room_leave(room.room_id)
        await self.adapter.forget_room(room.room_id)

    async def set_role(self, person: PersonRef, role: str, granted: bool) -> None:
        """Set the person's power level in the space to the role's threshold (or reset)."""
        levels = {r.value: lvl for r, lvl in self.adapter.settings.roles.power_levels.items()}
        if role not in levels:
            raise HavenError(f"no power level is mapped to {role}")
        space = self.adapter.settings.space_id
        if not space:
            raise HavenError("roles need a configured space")
        await set_user_level(
            self.adapter.client, space, person.user_id, levels[role] if granted else None
        )


async def set_user_level(
    client: nio.AsyncClient, room_id: str, user_id: str, level: int | None
) -> int | None:
    """Set (or with None, remove) a user's power level; returns the previous one."""
    state = await client.room_get_state_event(room_id, "m.room.power_levels")
    if not isinstance(state, nio.RoomGetStateEventResponse):
        raise HavenError(f"cannot read power levels: {state}")
    content: dict[str, Any] = dict(state.content)
    users = dict(content.get("users") or {})
    previous = users.get(user_id)
    if level is None:
        users.pop(user_id, None)
    else:
        users[user_id] = level
    content["users"] = users
    await _call(client.room_put_state(room_id, "m.room.power_levels", content))
    return previous


async def _call(awaitable: Any) -> Any:
    """matrix-nio returns errors instead of raising: raise them here."""
    response = await awaitable
    if isinstance(response, nio.ErrorResponse):
        raise HavenError(f"Matrix request failed: {response.status_code} {response.message}")
    return response
