"""Case files: a state machine, notes, assignment, audited access and confirmed actions."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.features.cases.commands import declare
from bot.features.cases.personal_data import CasePersonalData
from bot.features.cases.repository import CaseRepository
from bot.features.cases.service import DATA_CLASS, CaseService
from bot.features.cases.states import CaseState
from bot.storage.retention import Retained

if TYPE_CHECKING:
    from bot.app import Haven

DEFAULT_RETENTION = timedelta(days=730)


def setup(app: Haven) -> None:
    """Register the service, commands, retention rule, personal data and legal hold."""
    repo = CaseRepository(app.db)
    service = CaseService(repo, app.audit, app.people, app.services, app.platform)
    app.services["cases"] = service
    app.registry.extend(declare(service))
    app.dispatcher.on_permission_refused.append(service.permission_refused)
    # Closed cases go once their retention has passed since closing; open ones never do
    # (their closed_at is NULL, and the condition says so explicitly).
    app.retained.append(
        Retained("case_file", DATA_CLASS, "closed_at", f"state = '{CaseState.CLOSED.value}'")
    )

    def keep_for() -> timedelta:
        framework = app.services.get("framework")
        if framework is None or DATA_CLASS not in framework.data_classes:
            return DEFAULT_RETENTION
        return framework.data_classes[DATA_CLASS].keep_for

    app.personal_data.append(CasePersonalData(repo, keep_for))
    app.legal_holds.append(service.held_person_ids)
