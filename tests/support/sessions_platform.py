"""A recording platform that can run as an adapter (for jobs) and can crash mid-fan-out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.core.context import MessageRef, PersonRef
from bot.core.replies import Reply
from tests.support.recording_platform import RecordingPlatform


@dataclass
class AdapterPlatform(RecordingPlatform):
    """`RecordingPlatform` with `start`/`stop`, an optional per-send cost, and a crash.

    With `crash_after` = n, the n-th private message is delivered and then the platform
    hangs (that send and every later one never return), so a test can kill Haven at
    exactly that point, as if the process died right after the platform accepted it.
    """

    send_cost: float = 0.0
    crash_after: int | None = None
    private_count: int = field(default=0)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        if self.crash_after is not None and self.private_count >= self.crash_after:
            await asyncio.Event().wait()  # dead: never delivers, never returns
        if self.send_cost:
            await asyncio.sleep(self.send_cost)
        ref = await super().send_private(person, reply)
        self.private_count += 1
        if self.crash_after is not None and self.private_count >= self.crash_after:
            await asyncio.Event().wait()
        return ref

    def private_to(self, user_id: str) -> list[str]:
        """Texts sent privately to one user."""
        return [r.text for room, r in self.sent if room == f"dm:{user_id}"]
