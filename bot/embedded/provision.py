"""Create Haven's Matrix space and its rooms on a homeserver, idempotently.

The layout is one ``m.space`` room with six child rooms. Rooms open to the community
use the ``restricted`` join rule (members of the space may join); the moderators and
partners rooms are invite-only. The bot and the coordinator get power level 100
everywhere and the coordinator is invited to every room.

``provision_space`` reconciles rather than only creates: with a saved layout it
reuses the rooms the bot is still in, recreates missing ones, and repairs links,
join rules, power levels and the coordinator's invite. Nothing is sent when the
rooms already match.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

from nio import AsyncClient, AsyncClientConfig, ErrorResponse, Response
from nio.api import RoomPreset, RoomVisibility
from nio.responses import (
    JoinedRoomsResponse,
    RoomCreateResponse,
    RoomGetStateResponse,
    RoomInviteResponse,
    RoomPutStateResponse,
)

from bot.embedded.secrets import read_json, write_private_json
from bot.embedded.synapse import DEFAULT_ROOM_VERSION

logger = logging.getLogger(__name__)

LAYOUT_FILE = "space_layout.json"
ADMIN_LEVEL = 100

SPACE_CHILD = "m.space.child"
SPACE_PARENT = "m.space.parent"
JOIN_RULES = "m.room.join_rules"
POWER_LEVELS = "m.room.power_levels"
MEMBER = "m.room.member"
GUEST_ACCESS = "m.room.guest_access"

_R = TypeVar("_R", bound=Response)


class ProvisionError(Exception):
    """A homeserver request made while provisioning failed.

    Attributes:
        errcode: Matrix error code such as ``M_FORBIDDEN`` (``None`` if unknown).
        status: HTTP status, when nio exposes it.
        action: What was being attempted, for the log and the message.
    """

    def __init__(
        self, action: str, errcode: str | None, message: str, status: int | None = None
    ) -> None:
        self.action = action
        self.errcode = errcode
        self.status = status
        self.message = message
        super().__init__(f"{action} failed: {errcode or 'error'} {message}".rstrip())


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """One child room of the space."""

    key: str
    name: str
    topic: str
    restricted: bool
    """True: members of the space may join. False: invite only."""


ROOM_SPECS: tuple[RoomSpec, ...] = (
    RoomSpec("lobby", "Lobby", "Say hello and find your way around.", True),
    RoomSpec("tournaments", "Tournaments", "Tournament announcements and sign-ups.", True),
    RoomSpec("discussion", "Discussion", "Talk about games and everything else.", True),
    RoomSpec("helpdesk", "Helpdesk", "Ask the team for help.", True),
    RoomSpec("moderators", "Moderators", "Moderation team only.", False),
    RoomSpec("partners", "Partners", "Coordination with partner organisations.", False),
)


@dataclass(slots=True)
class SpaceLayout:
    """Room IDs of a provisioned space: ``rooms`` maps a key such as ``"lobby"`` to an ID."""

    space_id: str
    rooms: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {"space_id": self.space_id, "rooms": dict(self.rooms)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a layout from ``to_dict`` output."""
        rooms = data.get("rooms") or {}
        return cls(str(data["space_id"]), {str(k): str(v) for k, v in rooms.items()})

    def save(self, path: Path) -> None:
        """Write the layout to ``path`` as JSON (mode 0600, atomic)."""
        write_private_json(path, self.to_dict())

    @classmethod
    def load(cls, path: Path) -> Self | None:
        """Read a layout saved by ``save``; ``None`` if the file does not exist."""
        data = read_json(path)
        if data is None:
            return None
        return cls.from_dict(data)

    def all_room_ids(self) -> list[str]:
        """Space ID followed by the child room IDs."""
        return [self.space_id, *self.rooms.values()]


def check(response: Response, expected: type[_R], action: str) -> _R:
    """Return ``response`` if it is an ``expected``; raise ``ProvisionError`` otherwise.

    matrix-nio reports failures by returning ``ErrorResponse`` objects instead of
    raising, so every call goes through here.
    """
    if isinstance(response, expected):
        return response
    status = None
    transport = getattr(response, "transport_response", None)
    if transport is not None:
        status = getattr(transport, "status", None)
    if isinstance(response, ErrorResponse):
        raise ProvisionError(action, response.status_code, response.message, status)
    raise ProvisionError(action, None, f"unexpected response {type(response).__name__}", status)


def _server_of(user_id: str) -> str:
    if not user_id.startswith("@") or ":" not in user_id:
        raise ValueError(f"not a Matrix user ID: {user_id!r}")
    return user_id.split(":", 1)[1]


def _join_rules(spec: RoomSpec | None, space_id: str | None) -> dict[str, Any]:
    if spec is not None and spec.restricted:
        assert space_id is not None
        return {
            "join_rule": "restricted",
            "allow": [{"type": "m.room_membership", "room_id": space_id}],
        }
    return {"join_rule": "invite"}


def _child_content(index: int, spec: RoomSpec, via: str) -> dict[str, Any]:
    return {"via": [via], "order": f"{index:02d}", "suggested": spec.restricted}


def _parent_content(via: str) -> dict[str, Any]:
    return {"via": [via], "canonical": True}


class _Provisioner:
    def __init__(
        self,
        client: AsyncClient,
        bot_user_id: str,
        coordinator_user_id: str,
        space_name: str,
        room_version: str,
    ) -> None:
        self.client = client
        self.bot = bot_user_id
        self.coordinator = coordinator_user_id
        self.space_name = space_name
        self.room_version = room_version
        self.via = _server_of(bot_user_id)
        self.admins = {bot_user_id: ADMIN_LEVEL, coordinator_user_id: ADMIN_LEVEL}
        self.invitees = [] if coordinator_user_id == bot_user_id else [coordinator_user_id]

    async def joined_rooms(self) -> set[str]:
        resp = check(await self.client.joined_rooms(), JoinedRoomsResponse, "list joined rooms")
        return set(resp.rooms)

    async def create_room(
        self, name: str, topic: str, initial_state: Iterable[dict[str, Any]], *, space: bool
    ) -> str:
        resp = await self.client.room_create(
            visibility=RoomVisibility.private,
            name=name,
            topic=topic,
            room_version=self.room_version,
            preset=RoomPreset.private_chat,
            invite=self.invitees,
            initial_state=list(initial_state),
            power_level_override={"users": dict(self.admins)},
            space=space,
        )
        room_id = check(resp, RoomCreateResponse, f"create room {name!r}").room_id
        logger.info("created %s %r: %s", "space" if space else "room", name, room_id)
        return room_id

    async def create_space(self) -> str:
        return await self.create_room(
            self.space_name,
            f"{self.space_name} community space",
            [
                {"type": JOIN_RULES, "state_key": "", "content": _join_rules(None, None)},
                {"type": GUEST_ACCESS, "state_key": "", "content": {"guest_access": "forbidden"}},
            ],
            space=True,
        )

    async def create_child(self, spec: RoomSpec, space_id: str) -> str:
        return await self.create_room(
            spec.name,
            spec.topic,
            [
                {
                    "type": SPACE_PARENT,
                    "state_key": space_id,
                    "content": _parent_content(self.via),
                },
                {"type": JOIN_RULES, "state_key": "", "content": _join_rules(spec, space_id)},
                {"type": GUEST_ACCESS, "state_key": "", "content": {"guest_access": "forbidden"}},
            ],
            space=False,
        )

    async def room_state(self, room_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        resp = check(
            await self.client.room_get_state(room_id), RoomGetStateResponse, f"read {room_id}"
        )
        return {(ev["type"], ev.get("state_key", "")): ev.get("content", {}) for ev in resp.events}

    async def put_state(
        self,
        state: Mapping[tuple[str, str], Mapping[str, Any]],
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        state_key: str = "",
    ) -> None:
        if state.get((event_type, state_key)) == content:
            return
        resp = await self.client.room_put_state(room_id, event_type, content, state_key)
        check(resp, RoomPutStateResponse, f"set {event_type} in {room_id}")
        logger.info("updated %s %r in %s", event_type, state_key, room_id)

    async def reconcile(
        self,
        room_id: str,
        join_rules: dict[str, Any],
        links: Iterable[tuple[str, str, dict[str, Any]]],
        unlink: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Bring one existing room to the wanted state, sending only what differs."""
        state = await self.room_state(room_id)
        for event_type, state_key, content in links:
            await self.put_state(state, room_id, event_type, content, state_key)
        for event_type, state_key in unlink:
            if state.get((event_type, state_key)):
                await self.put_state(state, room_id, event_type, {}, state_key)
        await self.put_state(state, room_id, JOIN_RULES, join_rules)

        power = dict(state.get((POWER_LEVELS, ""), {}))
        users = dict(power.get("users", {}))
        if any(users.get(user) != level for user, level in self.admins.items()):
            users.update(self.admins)
            power["users"] = users
            await self.put_state(state, room_id, POWER_LEVELS, power)

        for invitee in self.invitees:
            membership = state.get((MEMBER, invitee), {}).get("membership")
            if membership in (None, "leave"):
                resp = await self.client.room_invite(room_id, invitee)
                check(resp, RoomInviteResponse, f"invite {invitee} to {room_id}")
                logger.info("invited %s to %s", invitee, room_id)
            elif membership == "ban":
                logger.warning("%s is banned from %s; not inviting", invitee, room_id)

    async def run(
        self, previous: SpaceLayout | None, save: Callable[[SpaceLayout], None]
    ) -> SpaceLayout:
        joined = await self.joined_rooms()
        created: set[str] = set()

        if previous is not None and previous.space_id in joined:
            layout = SpaceLayout(previous.space_id, {})
        else:
            if previous is not None:
                logger.warning("space %s is gone; creating a new one", previous.space_id)
            layout = SpaceLayout(await self.create_space(), {})
            created.add(layout.space_id)
            save(layout)
        space_id = layout.space_id

        for spec in ROOM_SPECS:
            old = previous.rooms.get(spec.key) if previous is not None else None
            if old is not None and old in joined:
                layout.rooms[spec.key] = old
            else:
                layout.rooms[spec.key] = await self.create_child(spec, space_id)
                created.add(layout.rooms[spec.key])
                save(layout)

        space_links = [
            (SPACE_CHILD, layout.rooms[spec.key], _child_content(i, spec, self.via))
            for i, spec in enumerate(ROOM_SPECS, start=1)
        ]
        # Unlink only rooms this layout replaced: other code may add its own children.
        replaced = set(previous.rooms.values()) - set(layout.rooms.values()) if previous else set()
        stale_children = [(SPACE_CHILD, room_id) for room_id in sorted(replaced)]
        await self.reconcile(space_id, _join_rules(None, None), space_links, stale_children)

        parent_link = [(SPACE_PARENT, space_id, _parent_content(self.via))]
        stale_parent = []
        if previous is not None and previous.space_id != space_id:
            stale_parent.append((SPACE_PARENT, previous.space_id))
        for spec in ROOM_SPECS:
            room_id = layout.rooms[spec.key]
            if room_id not in created:
                await self.reconcile(
                    room_id, _join_rules(spec, space_id), parent_link, stale_parent
                )
        save(layout)
        return layout


async def provision_space(
    homeserver_url: str,
    bot_access_token: str,
    bot_user_id: str,
    coordinator_user_id: str,
    *,
    space_name: str = "Haven",
    data_dir: Path | None = None,
    room_version: str = DEFAULT_ROOM_VERSION,
    client: AsyncClient | None = None,
) -> SpaceLayout:
    """Create or repair Haven's space and its child rooms, acting as the bot.

    Args:
        homeserver_url: Client-server API base URL.
        bot_access_token: The bot's access token; it becomes creator of every room.
        bot_user_id: The bot's Matrix ID; its server name is used for ``via``.
        coordinator_user_id: Gets power level 100 and an invite to every room.
        space_name: Display name of the space.
        data_dir: Where ``space_layout.json`` is kept. With a saved layout, rooms the
            bot is still joined to are reused; without ``data_dir`` every call
            creates a new space.
        room_version: Version for new rooms (``restricted`` needs 8 or later).
        client: An already logged-in nio client to use instead of a new one; it
            is left open.

    Returns:
        The layout, also saved to ``data_dir`` when given.

    Raises:
        ProvisionError: a request failed; ``errcode`` holds the Matrix error code.
    """
    layout_path = data_dir / LAYOUT_FILE if data_dir is not None else None
    previous = SpaceLayout.load(layout_path) if layout_path is not None else None

    def save(layout: SpaceLayout) -> None:
        if layout_path is not None:
            layout.save(layout_path)

    own_client = client is None
    if client is None:
        client = AsyncClient(
            homeserver_url,
            bot_user_id,
            config=AsyncClientConfig(encryption_enabled=False, request_timeout=30),
        )
        client.access_token = bot_access_token
    try:
        provisioner = _Provisioner(
            client, bot_user_id, coordinator_user_id, space_name, room_version
        )
        layout = await provisioner.run(previous, save)
    finally:
        if own_client:
            await client.close()
    logger.info("space %s ready with %d rooms", layout.space_id, len(layout.rooms))
    return layout


__all__ = [
    "LAYOUT_FILE",
    "ROOM_SPECS",
    "ProvisionError",
    "RoomSpec",
    "SpaceLayout",
    "check",
    "provision_space",
]
