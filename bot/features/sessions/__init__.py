"""Sessions: scheduled and recurring sessions with RSVP, reminders and start notices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.sessions.commands import declare
from bot.features.sessions.repository import SessionRepository
from bot.features.sessions.service import REMIND_JOB, START_JOB, SessionService
from bot.storage.retention import Retained

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Wire the service, its commands and jobs, retention and personal data."""
    service = SessionService(
        SessionRepository(app.db),
        app.people,
        app.audit,
        app.scheduler,
        app.clock,
        app.settings.zone,
        app.platform,
        app.catalogues,
        app.settings.default_locale,
    )
    app.registry.extend(declare(service))
    app.scheduler.register(REMIND_JOB, service.reminder_due)
    app.scheduler.register(START_JOB, service.started)
    app.on_started.append(service.reconcile)
    # Ended and cancelled sessions go 90 days (framework) after they ended, with their
    # RSVPs and reminder records (ON DELETE CASCADE); a live series is kept while it runs.
    app.retained.append(Retained("session", "sessions", "ended_at", "ended_at IS NOT NULL"))
    app.retained.append(Retained("session_reminder", "sessions", "sent_at"))
    app.personal_data.append(service)
    app.services["sessions"] = service
