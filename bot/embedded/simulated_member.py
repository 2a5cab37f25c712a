"""Simulated Matrix members for `haven demo`, benchmarks and tests.

A `SimulatedMember` is a real matrix-nio client with its own sync loop that records
every event it sees, so a script can send commands and wait for the bot's answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nio

Event = dict[str, Any]


def _expect(response: Any, expected: type) -> None:
    """matrix-nio returns errors instead of raising them."""
    if not isinstance(response, expected):
        raise RuntimeError(f"Matrix request failed: {response}")


@dataclass
class SimulatedMember:
    """A Matrix account driven by code: sends messages, records what arrives."""

    user_id: str
    access_token: str = field(repr=False)
    device_id: str
    homeserver: str
    client: nio.AsyncClient = field(init=False)
    events: list[tuple[str, Event]] = field(default_factory=list)
    invites: list[str] = field(default_factory=list)
    auto_join: bool = True
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.client = nio.AsyncClient(self.homeserver, self.user_id)
        self.client.access_token = self.access_token
        self.client.device_id = self.device_id

    async def start(self) -> None:
        """Skip history, then record everything from now on."""
        first = await self.client.sync(timeout=0)
        _expect(first, nio.SyncResponse)
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            resp = await self.client.sync(timeout=2000, since=self.client.next_batch)
            if not isinstance(resp, nio.SyncResponse):
                await asyncio.sleep(0.2)
                continue
            async with self._changed:
                for room_id in resp.rooms.invite:
                    self.invites.append(room_id)
                    if self.auto_join:
                        await self.client.join(room_id)
                for room_id, info in resp.rooms.join.items():
                    for event in info.timeline.events:
                        self.events.append((room_id, event.source))
                self._changed.notify_all()

    async def stop(self) -> None:
        """Stop syncing and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    async def join(self, room_id: str) -> None:
        """Join a room."""
        resp = await self.client.join(room_id)
        _expect(resp, nio.JoinResponse)

    async def send(self, room_id: str, body: str, **extra: Any) -> str:
        """Send a text message; returns its event id."""
        content = {"msgtype": "m.text", "body": body, **extra}
        resp = await self.client.room_send(room_id, "m.room.message", content)
        _expect(resp, nio.RoomSendResponse)
        return resp.event_id

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        """React to an event with `key`."""
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        resp = await self.client.room_send(room_id, "m.reaction", content)
        _expect(resp, nio.RoomSendResponse)
        return resp.event_id

    async def wait_for(
        self, predicate: Callable[[str, Event], bool], timeout: float = 10.0
    ) -> tuple[str, Event]:
        """The first recorded (room, event) matching `predicate`, waiting if needed."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for room_id, event in self.events:
                    if predicate(room_id, event):
                        return room_id, event
                await self._changed.wait()

    async def reply_to(self, room_id: str, event_id: str, timeout: float = 10.0) -> Event:
        """The bot's reply to our event `event_id`."""
        _, event = await self.wait_for(
            lambda r, e: r == room_id and in_reply_to(e) == event_id, timeout
        )
        return event

    async def command(self, room_id: str, line: str, timeout: float = 10.0) -> Event:
        """Send a command line and return the bot's reply to it."""
        event_id = await self.send(room_id, line)
        return await self.reply_to(room_id, event_id, timeout)

    def replies_to(self, event_id: str) -> list[Event]:
        """Every recorded reply to `event_id`."""
        return [e for _, e in self.events if in_reply_to(e) == event_id]


def in_reply_to(event: Event) -> str | None:
    """The event id an event replies to, if any."""
    relates = event.get("content", {}).get("m.relates_to") or {}
    return (relates.get("m.in_reply_to") or {}).get("event_id")


def body(event: Event) -> str:
    """The text body of an event."""
    return str(event.get("content", {}).get("body", ""))
