"""Audit: read (`audit show`) and check (`audit verify`) the hash-chained audit trail.

The chain itself lives in `bot/storage/audit_repository.py` (every feature appends through
`app.audit.record`); this feature adds the coordinator's commands (every refusal of them
audited), and purges the trail by retention without breaking it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.audit.commands import declare
from bot.features.audit.repository import AuditPeopleRepository
from bot.features.audit.service import AuditService

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Register the commands, the refusal observer, the purge hook and the chaining."""
    service = AuditService(app.audit, AuditPeopleRepository(app.db))
    app.registry.extend(declare(service))
    app.dispatcher.on_permission_refused.append(service.permission_refused)
    app.purge_hooks.append(service.purge)
    app.on_started.append(service.chain_existing)
    app.services["audit"] = service
