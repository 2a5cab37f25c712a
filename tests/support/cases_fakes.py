"""Test-only stand-ins for the case-file tests: the safety service and a moderated platform.

The safety feature (issue #6) registers `app.services["safety"]` with `get_concern`; until it
is merged, these tests register this fake with the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.dry_run import DryRunModeration
from bot.features.safety.model import ConcernView
from tests.support.recording_platform import RecordingPlatform

FakeConcernView = ConcernView  # the real view: a fake safety service returns it


@dataclass
class FakeSafety:
    """`app.services["safety"]` as case files use it."""

    concerns: dict[int, FakeConcernView] = field(default_factory=dict)

    def add(
        self,
        concern_id: int,
        *,
        subject: str | None,
        at: datetime,
        platform: str = "recording",
        room_id: str = "lobby",
        message_id: str | None = "m-flagged",
        excerpt: str = "a worrying message",
    ) -> FakeConcernView:
        view = FakeConcernView(
            concern_id, "detector", ("hostility",), "high", "open", platform, room_id,
            message_id, None, excerpt, subject, at,
        )  # fmt: skip
        self.concerns[concern_id] = view
        return view

    async def get_concern(self, concern_id: int) -> FakeConcernView | None:
        return self.concerns.get(concern_id)


@dataclass
class ModeratedRecordingPlatform(RecordingPlatform):
    """A recording platform that is also a running adapter with a dry-run moderation port."""

    moderation: DryRunModeration = field(default_factory=DryRunModeration)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
