"""Privacy: the ethical framework, and the retention purge it drives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.privacy.framework import load_framework
from bot.features.privacy.repository import RetentionRepository
from bot.features.privacy.retention import RetentionService

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Load the framework and arm the daily purge."""
    framework = load_framework(app.settings.framework)
    service = RetentionService(
        framework,
        RetentionRepository(app.db),
        app.audit,
        app.scheduler,
        app.clock,
        app.settings.zone,
        app.platform,
        app.retained,
        app.purge_hooks,
    )
    app.services["framework"] = framework
    app.services["retention"] = service
    app.on_started.append(service.ensure_scheduled)
