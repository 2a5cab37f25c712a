"""Privacy: the ethical framework, the retention purge, the notice, `mydata` export/erase."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.privacy.commands import declare
from bot.features.privacy.framework import load_framework
from bot.features.privacy.identity_retention import IdentityRetention
from bot.features.privacy.mydata import FoundationData, Holds, MyData
from bot.features.privacy.notice import NoticeService
from bot.features.privacy.personal_repository import PersonalRepository
from bot.features.privacy.repository import RetentionRepository
from bot.features.privacy.retention import RetentionService

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Load the framework, arm the daily purge, and wire the notice and `mydata`."""
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
    _setup_mydata(app, service)


def _setup_mydata(app: Haven, retention: RetentionService) -> None:
    framework = retention.framework
    personal = PersonalRepository(app.db)
    holds = Holds(app.legal_holds)
    foundation = FoundationData(personal, app.people, holds, retention.keep_for)
    app.personal_data.append(foundation)
    mydata = MyData(app.personal_data, foundation, app.audit)
    notices = NoticeService(
        framework,
        app.people,
        app.catalogues,
        app.registry,
        app.events,
        app.platform,
        app.settings.default_locale,
    )
    app.dispatcher.seen_hooks.append(notices.on_command)
    app.events.on_join(notices.on_join)
    app.on_started.append(notices.go_live)
    app.purge_hooks.append(IdentityRetention(personal, app.people, mydata, holds, notices.forget))
    app.registry.extend(declare(mydata, notices, retention.keep_for, app.settings.zone))
    app.services["mydata"] = mydata
    app.services["notices"] = notices
