"""Declarations of the `audit` commands (coordinator only: VIEW_AUDIT)."""

from __future__ import annotations

from datetime import datetime

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context
from bot.core.replies import Reply
from bot.features.audit.service import MAX_LIMIT, AuditService

GROUP = "audit"


def declare(service: AuditService) -> list[Command]:
    """`audit show` and `audit verify`."""

    async def show(
        ctx: Context,
        actor: str | None,
        object: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        before: int | None,
    ) -> Reply:
        return await service.show(
            ctx, actor=actor, obj=object, since=since, until=until, limit=limit, before=before
        )

    async def verify(ctx: Context) -> Reply:
        return await service.verify(ctx)

    return [
        Command(
            "show",
            show,
            group=GROUP,
            capability=Capability.VIEW_AUDIT,
            private=True,
            params=(
                Param("actor", required=False, option=True, max_length=100),
                Param("object", required=False, option=True, max_length=100),
                Param("since", ParamType.DATETIME, required=False, option=True),
                Param("until", ParamType.DATETIME, required=False, option=True),
                Param(
                    "limit",
                    ParamType.INTEGER,
                    required=False,
                    option=True,
                    default=20,
                    min_value=1,
                    max_value=MAX_LIMIT,
                ),
                Param("before", ParamType.INTEGER, required=False, option=True, min_value=1),
            ),
        ),
        Command("verify", verify, group=GROUP, capability=Capability.VIEW_AUDIT, private=True),
    ]
