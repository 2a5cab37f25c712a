"""The duty rota: manual on-call and scheduled shifts, as `app.services["rota"]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.rota.commands import declare
from bot.features.rota.repository import RotaRepository
from bot.features.rota.service import JOB_KIND, RotaService
from bot.storage.retention import Retained

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Wire the roster, its commands, shift-start jobs, retention and personal data."""
    service = RotaService(
        RotaRepository(app.db), app.people, app.audit, app.scheduler, app.clock, app.settings.zone
    )
    app.registry.extend(declare(service))
    app.scheduler.register(JOB_KIND, service.shift_started)
    app.on_started.append(service.reconcile)
    app.retained.append(Retained("rota_oncall", "duty_rota", "ends_at"))
    # Only dated shifts end; weekly ones stay until a coordinator clears them.
    app.retained.append(Retained("rota_shift", "duty_rota", "ends_at", "ends_at IS NOT NULL"))
    app.personal_data.append(service)
    app.services["rota"] = service
