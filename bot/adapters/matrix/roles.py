"""Matrix users -> Haven roles, from power levels in the space and explicit lists."""

from __future__ import annotations

from bot.core.capabilities import Role
from bot.settings import MatrixRoles


def roles_for(user_id: str, power_level: int, mapping: MatrixRoles) -> frozenset[Role]:
    """Roles of a user: every role whose threshold the power level reaches, plus lists."""
    roles = {Role.MEMBER}
    for role, threshold in mapping.power_levels.items():
        if power_level >= threshold:
            roles.add(role)
    for role, users in mapping.users.items():
        if user_id in users:
            roles.add(role)
    return frozenset(roles)
