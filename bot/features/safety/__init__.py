"""Safety: concerns from the detector, member reports and the help desk, reviewed by people.

Software may notice; only a person decides. The detector and reports only queue a concern;
moderators see it in their room, the on-duty moderator is pinged and, without an
acknowledgement in time, the backup and then the coordinators.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from bot.core.detection import Detector
from bot.features.safety.commands import declare
from bot.features.safety.config import DEFAULT_PATH, load_safety_config
from bot.features.safety.detection import load_detector
from bot.features.safety.homeserver import HomeserverReports
from bot.features.safety.observer import DetectorObserver, screened_rooms
from bot.features.safety.privacy import SafetyPersonalData, purge_hook, retained
from bot.features.safety.reports import Reports
from bot.features.safety.repository import SafetyRepository
from bot.features.safety.service import SafetyService

if TYPE_CHECKING:
    from bot.app import Haven

log = logging.getLogger(__name__)


# Checked by `haven check-config` (file or folder beside the framework file -> loader).
CONFIG_FILES = {"safety.yaml": load_safety_config, "lexicons": load_detector}


def setup(app: Haven) -> None:
    """Wire the queue, the detector observer, reports, commands, escalation and privacy.

    `config/safety.yaml` sits beside the framework file (`HAVEN_SAFETY_CONFIG` overrides).
    """
    beside = app.settings.framework.parent / "safety.yaml"
    path = os.environ.get("HAVEN_SAFETY_CONFIG") or (beside if beside.exists() else DEFAULT_PATH)
    service = SafetyService(app, SafetyRepository(app.db), load_safety_config(path))
    reports = Reports(service)
    lexicons = app.settings.framework.parent / "lexicons"
    loaded: list[Detector] = []

    def detector() -> Detector | None:
        # About a second for ~4,000 terms: built by the long-running process's warm-up,
        # else on first use (tests); a test may set `service.detector`.
        if service.detector is not None:
            return service.detector
        if not loaded:
            loaded.append(load_detector(lexicons))
        return loaded[0]

    async def preload() -> None:
        await asyncio.to_thread(detector)

    app.events.on_message(DetectorObserver(service, detector, screened_rooms(app)))
    app.registry.extend(declare(service, reports))
    app.on_started.append(service.reconcile)
    app.warm_ups.append(preload)
    homeserver = HomeserverReports(service)
    app.on_started.append(homeserver.start)
    service.homeserver = homeserver
    app.retained.append(retained())
    app.purge_hooks.append(purge_hook(service))
    app.personal_data.append(SafetyPersonalData(service))
    app.services["safety"] = service
