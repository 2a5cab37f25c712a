"""Tournaments: gaming events from sign-up to debrief, on every platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.tournaments.commands import declare
from bot.features.tournaments.personal_data import TournamentData
from bot.features.tournaments.personal_repository import TournamentPersonalRepository
from bot.features.tournaments.repository import TournamentRepository
from bot.features.tournaments.service import Announcer, TournamentService

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Wire the repository, service, commands, jobs and restart reconciliation."""
    announcer = Announcer(app.platform, app.catalogues, app.settings.default_locale)
    service = TournamentService(
        TournamentRepository(app.db), app.audit, app.scheduler, app.clock, announcer
    )
    app.registry.extend(declare(service))
    app.on_started.append(service.reconcile)
    app.services["tournaments"] = service
    app.personal_data.append(TournamentData(TournamentPersonalRepository(app.db)))
