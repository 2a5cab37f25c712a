"""The detector's observer: screened rooms only, and a flagged message only queues a concern.

This module may reach the review queue and nothing else: it never holds the platform's
moderation port (a test checks this file's source), so no consequential action can ever
follow from software alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.core.detection import Detector, Severity
from bot.core.events import IncomingMessage
from bot.features.safety.model import Source

if TYPE_CHECKING:
    from bot.features.safety.service import SafetyService

log = logging.getLogger(__name__)


class DetectorObserver:
    """Scans messages of screened rooms; a flagged one becomes a concern for a person."""

    def __init__(
        self,
        service: SafetyService,
        detector: Callable[[], Detector | None],
        screened: Callable[[], set[str]],
    ) -> None:
        self.service = service
        self._detector = detector
        self._screened = screened

    async def __call__(self, event: IncomingMessage) -> None:
        """Handle one ordinary message (logs ids only, never the text)."""
        if not event.text:
            return
        detector = self._detector()
        if detector is None:
            return
        app = self.service.app
        purpose = await app.events.purpose_of(event.room, event.configured_purpose)
        if purpose not in self._screened():
            return
        detection = detector.scan(event.text)
        if not detection.flagged:
            return
        person = await app.people.ensure_person(event.author.platform, event.author.user_id)
        categories = sorted(detection.categories, key=lambda c: -detection.categories[c])
        concern_id, _ = await self.service.queue(
            source=Source.DETECTOR,
            categories=[c.value for c in categories],
            severity=detection.severity or Severity.NORMAL,
            platform=event.message.platform,
            room_id=event.room.room_id,
            message_id=event.message.message_id,
            link=event.message.link,
            excerpt=event.text,
            subject_person_id=person.person_id,
            score=detection.score,
            matched=detection.matched,
        )
        log.info("message %s flagged: concern %d queued", event.message.message_id, concern_id)


def screened_rooms(app: Any) -> Callable[[], set[str]]:
    """The framework's screened room purposes (read each time: the framework may change)."""

    def read() -> set[str]:
        framework = app.services.get("framework")
        return set(framework.screened_rooms) if framework is not None else set()

    return read
