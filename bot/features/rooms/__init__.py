"""Discussion rooms: a topic, a facilitator, house rules accepted before writing."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.context import PersonRef
from bot.core.i18n import Translator
from bot.features.rooms.commands import declare
from bot.features.rooms.personal_data import RoomsPersonalData
from bot.features.rooms.repository import RoomRepository
from bot.features.rooms.service import RoomService

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Wire the repository, service, commands, job, observer, purpose and privacy hooks."""

    async def translator_for(person: PersonRef) -> Translator:
        _, found = await app.dispatcher.actor_for(person, frozenset())
        return app.dispatcher.translator(app.dispatcher.locale_for(found, None))

    def keep_for(data_class: str) -> timedelta | None:
        framework = app.services.get("framework")
        if framework is None or data_class not in framework.data_classes:
            return None
        return framework.data_classes[data_class].keep_for

    repo = RoomRepository(app.db)
    service = RoomService(
        repo,
        app.audit,
        app.scheduler,
        app.clock,
        app.platform,
        app.catalogues,
        app.settings.default_locale,
        app.settings.zone,
        translator_for,
    )
    app.registry.extend(declare(service))
    app.events.on_message(service.observe)
    app.events.resolve_purpose(service.purpose)
    app.purge_hooks.append(service.purge)
    app.personal_data.append(RoomsPersonalData(repo, service, service.room_translator, keep_for))
    app.services["rooms"] = service
