"""Attributes shared by the emulator's mixins (all set in ``DiscordEmulator.__init__``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import EmulatorConfig
    from .controls import Waiters
    from .gateway import GatewayServer
    from .interactions import InteractionHandle
    from .rest_core import InjectedRateLimit, RecordedCall
    from .state import EmulatorState


class EmulatorBase:
    """Declares the state the mixins (world, acting, controls) operate on."""

    state: EmulatorState
    gateway: GatewayServer
    config: EmulatorConfig
    host: str
    port: int
    dm_app_permissions: int
    interactions: dict[str, InteractionHandle]
    interactions_by_token: dict[str, InteractionHandle]
    attachments: dict[str, bytes]
    message_log: list[str]
    calls: list[RecordedCall]
    waiters: Waiters
    _consumed: set[str]
    _rate_limits: list[InjectedRateLimit]
