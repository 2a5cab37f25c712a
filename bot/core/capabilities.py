"""Roles people hold in Haven and the capabilities each role grants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Role(StrEnum):
    """A Haven role, mapped from platform roles in config."""

    MEMBER = "member"
    YOUTH_WORKER = "youth_worker"
    MODERATOR = "moderator"
    COORDINATOR = "coordinator"
    PARTNER = "partner"


class Capability(StrEnum):
    """What a command needs; checked in the core, never in adapters."""

    USE_BOT = "USE_BOT"
    RUN_EVENTS = "RUN_EVENTS"
    RUN_ROOMS = "RUN_ROOMS"
    RUN_HELPDESK = "RUN_HELPDESK"
    REVIEW_CONCERNS = "REVIEW_CONCERNS"
    VIEW_CASES = "VIEW_CASES"
    MODERATE = "MODERATE"
    MANAGE_FRAMEWORK = "MANAGE_FRAMEWORK"
    MANAGE_ROTA = "MANAGE_ROTA"
    TAKE_DUTY = "TAKE_DUTY"
    VIEW_AUDIT = "VIEW_AUDIT"
    ROUNDTABLE = "ROUNDTABLE"


_WORKER = {
    Capability.USE_BOT,
    Capability.RUN_EVENTS,
    Capability.RUN_ROOMS,
    Capability.RUN_HELPDESK,
    Capability.TAKE_DUTY,
}
_MODERATOR = {
    Capability.USE_BOT,
    Capability.REVIEW_CONCERNS,
    Capability.VIEW_CASES,
    Capability.MODERATE,
    Capability.TAKE_DUTY,
}

DEFAULT_ROLE_CAPABILITIES: Mapping[Role, frozenset[Capability]] = {
    Role.MEMBER: frozenset({Capability.USE_BOT}),
    Role.YOUTH_WORKER: frozenset(_WORKER),
    Role.MODERATOR: frozenset(_MODERATOR),
    Role.COORDINATOR: frozenset(Capability),
    Role.PARTNER: frozenset({Capability.USE_BOT, Capability.ROUNDTABLE}),
}


class CapabilityPolicy:
    """Answers whether a set of roles grants a capability."""

    def __init__(self, mapping: Mapping[Role, Iterable[Capability]] | None = None) -> None:
        source = mapping if mapping is not None else DEFAULT_ROLE_CAPABILITIES
        self._mapping = {role: frozenset(caps) for role, caps in source.items()}

    def capabilities(self, roles: Iterable[Role]) -> frozenset[Capability]:
        """All capabilities granted by `roles` (every person is at least a member)."""
        caps: set[Capability] = set(self._mapping.get(Role.MEMBER, ()))
        for role in roles:
            caps |= self._mapping.get(role, frozenset())
        return frozenset(caps)

    def allows(self, roles: Iterable[Role], capability: Capability) -> bool:
        """True when any of `roles` grants `capability`."""
        return capability in self.capabilities(roles)
