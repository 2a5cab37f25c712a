"""Help desk ("ask a youth worker"), outreach check-ins, and the signposting directory."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.features.helpdesk.commands import declare
from bot.features.helpdesk.config import OfficeHours, load_helpdesk_settings
from bot.features.helpdesk.directory import load_directory
from bot.features.helpdesk.messenger import Messenger
from bot.features.helpdesk.outreach import OutreachService
from bot.features.helpdesk.privacy import HelpdeskData, HelpdeskPurge, Holds
from bot.features.helpdesk.repository import HelpdeskRepository, OutreachRepository
from bot.features.helpdesk.service import HelpdeskService
from bot.storage.retention import Retained

if TYPE_CHECKING:
    from bot.app import Haven


# Checked by `haven check-config` (file name beside the framework file -> loader).
CONFIG_FILES = {"helpdesk.yaml": load_helpdesk_settings, "signposting.yaml": load_directory}


def setup(app: Haven) -> None:
    """Load the directory and office hours, wire services, commands and observers.

    The config files sit beside the framework file (`config/helpdesk.yaml`,
    `config/signposting.yaml`).
    """
    folder = app.settings.framework.parent
    settings = load_helpdesk_settings(folder / "helpdesk.yaml")
    directory = load_directory(folder / "signposting.yaml")
    zone = ZoneInfo(settings.zone) if settings.zone else app.settings.zone
    messenger = Messenger(
        app.platform, app.catalogues, app.people, app.settings.default_locale, zone
    )
    repo = HelpdeskRepository(app.db)
    outreach_repo = OutreachRepository(app.db)
    helpdesk = HelpdeskService(
        repo,
        outreach_repo,
        app.audit,
        app.clock,
        messenger,
        settings,
        OfficeHours(settings.office_hours, zone),
        directory,
        app.services,
    )
    outreach = OutreachService(outreach_repo, helpdesk, app.audit, settings)
    app.registry.extend(declare(helpdesk, outreach, directory))
    app.services["directory"] = directory
    app.services["helpdesk"] = helpdesk
    app.services["outreach"] = outreach
    app.events.on_message(helpdesk.observe)
    app.events.resolve_purpose(helpdesk.purpose_of)
    app.on_started.append(helpdesk.started)
    holds = Holds(app.legal_holds, app.services)
    app.personal_data.append(
        HelpdeskData(
            repo,
            outreach_repo,
            holds,
            helpdesk.forget_room,
        )
    )
    app.purge_hooks.append(HelpdeskPurge(repo, holds, messenger, helpdesk.forget_room))
    app.retained.append(Retained("outreach_checkin", "outreach", "sent_at"))
    app.retained.append(Retained("outreach_available", "outreach", "since"))
