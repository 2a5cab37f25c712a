"""Matrix side of discussion rooms: space child rooms whose power levels gate writing.

Sending a message needs `events_default` (WRITE_LEVEL), above the members' level 0;
reactions stay at 0 so a member can react ✅ to accept the house rules. Accepting
raises the person to WRITE_LEVEL in that room only. Matrix has no slow mode: Haven
enforces it (the rooms feature redacts a message sent too soon), so `set_slow_mode`
answers False. Archiving raises `events_default` to the bot's level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nio

from bot.core.context import PersonRef, RoomRef
from bot.core.errors import HavenError

if TYPE_CHECKING:
    from bot.adapters.matrix.adapter import MatrixAdapter

WRITE_LEVEL = 1
BOT_LEVEL = 100


async def _call(awaitable: Any) -> Any:
    # moderation.py subclasses this mixin, so its helpers are imported when used.
    from bot.adapters.matrix.moderation import _call as call

    return await call(awaitable)


async def set_user_level(
    client: nio.AsyncClient, room_id: str, user: str, level: int | None
) -> None:
    """The shared power-level helper of moderation.py."""
    from bot.adapters.matrix.moderation import set_user_level as set_level

    await set_level(client, room_id, user, level)


class MatrixPublicRooms:
    """The discussion-room methods of the Matrix `SpaceAdmin`."""

    adapter: MatrixAdapter

    async def open_public_room(
        self, name: str, topic: str, parent: RoomRef | None = None
    ) -> RoomRef:
        """A room of the space (members may join), where only allowed people write."""
        client = self.adapter.client
        space = self.adapter.settings.space_id
        if not space:
            raise HavenError("discussion rooms need a configured space")
        via = client.user_id.split(":", 1)[1]
        initial_state: list[dict[str, Any]] = [
            {
                "type": "m.space.parent",
                "state_key": space,
                "content": {"via": [via], "canonical": True},
            },
            {
                "type": "m.room.join_rules",
                "state_key": "",
                "content": {
                    "join_rule": "restricted",
                    "allow": [{"type": "m.room_membership", "room_id": space}],
                },
            },
            {
                "type": "m.room.guest_access",
                "state_key": "",
                "content": {"guest_access": "forbidden"},
            },
        ]
        created = await _call(
            client.room_create(
                name=name[:200],
                topic=topic,
                preset=nio.RoomPreset.private_chat,
                initial_state=initial_state,
                power_level_override={
                    "users": {client.user_id: BOT_LEVEL},
                    "users_default": 0,
                    "events_default": WRITE_LEVEL,
                    "events": {
                        "m.reaction": 0,
                        "m.room.power_levels": BOT_LEVEL,
                        "m.room.name": 50,
                        "m.room.topic": 50,
                    },
                },
            )
        )
        await _call(
            client.room_put_state(
                space,
                "m.space.child",
                {"via": [via], "suggested": True},
                state_key=created.room_id,
            )
        )
        self.adapter.allowed_rooms.add(created.room_id)
        return RoomRef("matrix", created.room_id, name)

    async def set_can_write(self, room: RoomRef, person: PersonRef, allowed: bool) -> None:
        """Raise the person to WRITE_LEVEL in this room (or back to the default).

        An allowed person is also invited, so someone who accepted from the lobby (or the
        facilitator) finds the room; the server refuses the invite of a member already
        there, which is fine.
        """
        client = self.adapter.client
        await set_user_level(
            client, room.room_id, person.user_id, WRITE_LEVEL if allowed else None
        )
        if allowed:
            await client.room_invite(room.room_id, person.user_id)

    async def set_slow_mode(self, room: RoomRef, seconds: int) -> bool:
        """Matrix has no slow mode: Haven enforces it."""
        return False

    async def archive_room(self, room: RoomRef, reason: str) -> None:
        """Sending and reacting need the bot's level: the room becomes read-only."""
        client = self.adapter.client
        state = await client.room_get_state_event(room.room_id, "m.room.power_levels")
        if not isinstance(state, nio.RoomGetStateEventResponse):
            raise HavenError(f"cannot read power levels: {state}")
        content: dict[str, Any] = dict(state.content)
        content["events_default"] = BOT_LEVEL
        events = dict(content.get("events") or {})
        events["m.reaction"] = BOT_LEVEL
        content["events"] = events
        content["users"] = {client.user_id: BOT_LEVEL}
        await _call(client.room_put_state(room.room_id, "m.room.power_levels", content))
