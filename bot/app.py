"""Composition root: settings -> storage -> services -> adapters.

Features receive the `Haven` object in their `setup` and take what they need from it
(registry, database, repositories, clock), as maubot injects into plugins.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from bot.core.capabilities import CapabilityPolicy
from bot.core.commands import CommandRegistry
from bot.core.dispatch import Dispatcher
from bot.core.events import EventHub
from bot.core.i18n import Catalogues, default_catalogues
from bot.core.personal_data import LegalHold, PersonalDataSource
from bot.core.ports import Clock, SystemClock
from bot.scheduling.scheduler import Scheduler
from bot.settings import Secrets, Settings
from bot.storage.audit_repository import AuditRepository
from bot.storage.confirmation_repository import ConfirmationRepository
from bot.storage.database import Database
from bot.storage.job_repository import JobRepository
from bot.storage.migrations import migrate
from bot.storage.people_repository import PeopleRepository
from bot.storage.retention import PurgeHook, Retained

log = logging.getLogger(__name__)

DEFAULT_FEATURES: tuple[str, ...] = (
    "basics",
    "privacy",
    "audit",
    "rota",
    "helpdesk",
    "tournaments",
    "cases",
    "rooms",
    "sessions",
    "safety",
)


class Adapter(Protocol):
    """A running platform connection."""

    name: str

    async def start(self) -> None:
        """Connect and begin serving (returns once ready)."""
        ...

    async def stop(self) -> None:
        """Disconnect cleanly."""
        ...


class Haven:
    """One Haven instance: storage, commands, dispatcher and platform adapters."""

    def __init__(
        self,
        settings: Settings,
        secrets: Secrets | None = None,
        *,
        clock: Clock | None = None,
        features: Sequence[str] = DEFAULT_FEATURES,
        catalogues: Catalogues | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets or Secrets()
        self.clock = clock or SystemClock()
        self.catalogues = catalogues or default_catalogues()
        self.db = Database(settings.database.path)
        self.people = PeopleRepository(self.db)
        self.confirmations = ConfirmationRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.scheduler = Scheduler(JobRepository(self.db), self.clock)
        self.registry = CommandRegistry()
        self.policy = CapabilityPolicy()
        self.dispatcher = Dispatcher(
            self.registry,
            self.people,
            self.confirmations,
            self.catalogues,
            self.policy,
            self.clock,
            default_locale=settings.default_locale,
            timezone=settings.zone,
        )
        self.adapters: list[Adapter] = []
        self.on_started: list[Callable[[], Awaitable[None]]] = []
        self.services: dict[str, Any] = {}
        # Extension points features fill in `setup` (see bot/core/personal_data.py and
        # bot/storage/retention.py); the privacy feature walks them.
        self.retained: list[Retained] = []
        self.purge_hooks: list[PurgeHook] = []
        self.personal_data: list[PersonalDataSource] = []
        self.legal_holds: list[LegalHold] = []
        self.events = EventHub()
        # Run by the long-running process only (`haven run`), before it freezes start-up
        # objects: build what features otherwise build on first use.
        self.warm_ups: list[Callable[[], Awaitable[None]]] = []
        self._features = tuple(features)
        self._stopped = asyncio.Event()
        self._opened = False

    async def open(self) -> None:
        """Open and migrate the database, then set up every feature (once)."""
        if self._opened:
            return
        self._opened = True
        await self.db.open()
        await migrate(self.db)
        for name in self._features:
            module = importlib.import_module(f"bot.features.{name}")
            module.setup(self)
        log.info("features ready: %s (%d commands)", ", ".join(self._features), len(self.registry))

    def build_adapters(self) -> None:
        """Create the adapters enabled in settings."""
        if self.settings.matrix.enabled:
            from bot.adapters.matrix.adapter import MatrixAdapter

            self.adapters.append(MatrixAdapter(self))
        if self.settings.discord.enabled:
            from bot.adapters.discord.adapter import DiscordAdapter

            self.adapters.append(DiscordAdapter(self))

    async def start(self) -> None:
        """Open storage and start every enabled adapter; on failure, close what opened."""
        try:
            await self.open()
            if not self.adapters:
                self.build_adapters()
            for adapter in self.adapters:
                await adapter.start()
                log.info("%s adapter started", adapter.name)
            restored = await self.scheduler.start()
            if restored:
                log.info("restored %d scheduled job(s)", restored)
            for hook in self.on_started:
                await hook()
        except BaseException:
            await self.close()
            raise

    async def run(self) -> None:
        """Start, then serve until `stop` is called."""
        try:
            await self.start()
            await self._stopped.wait()
        finally:
            await self.close()

    def platform(self, name: str) -> Any:
        """The running adapter of platform `name` (it implements the chat ports)."""
        for adapter in self.adapters:
            if adapter.name == name:
                return adapter
        raise LookupError(f"platform {name} is not running")

    async def wait_until_stopped(self) -> None:
        """Return once `request_stop` was called."""
        await self._stopped.wait()

    def request_stop(self) -> None:
        """Ask `run` to return."""
        self._stopped.set()

    async def close(self) -> None:
        """Stop the scheduler and adapters, then close storage."""
        await self.scheduler.stop()
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.name)
        await self.db.close()
        self._opened = False
