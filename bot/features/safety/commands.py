"""Safety commands: `report` for everyone, `concern …` for reviewers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, MessageRef
from bot.core.replies import Reply
from bot.features.safety.model import DismissReason, Status

if TYPE_CHECKING:
    from bot.features.safety.reports import Reports
    from bot.features.safety.service import SafetyService

CONCERN = Param("concern_id", ParamType.INTEGER, min_value=1)
DISMISSALS = tuple(r.value for r in DismissReason)


def declare(service: SafetyService, reports: Reports) -> list[Command]:
    """The safety commands, bound to the service."""

    async def report(
        ctx: Context,
        message: MessageRef | None = None,
        message_link: str | None = None,
        details: str | None = None,
    ) -> Reply:
        return await reports.report(ctx, message, message_link, details)

    async def list_(ctx: Context, concern_state: str | None = None) -> Reply:
        return await service.list_concerns(ctx, concern_state)

    async def show(ctx: Context, concern_id: int) -> Reply:
        return await service.show(ctx, concern_id)

    async def ack(ctx: Context, concern_id: int) -> Reply:
        return await service.acknowledge(ctx, concern_id)

    async def dismiss(
        ctx: Context, concern_id: int, dismissal: str, dismiss_note: str | None = None
    ) -> Reply:
        return await service.dismiss(ctx, concern_id, dismissal, dismiss_note)

    async def case(ctx: Context, concern_id: int) -> Reply:
        return await service.open_case(ctx, concern_id)

    async def escalate(ctx: Context, concern_id: int) -> Reply:
        return await service.escalate(ctx, concern_id)

    async def reporter(ctx: Context, concern_id: int, access_reason: str) -> Reply:
        return await service.reveal_reporter(ctx, concern_id, access_reason)

    async def may_read(ctx: Context, **_: object) -> None:
        await service.may_read(ctx)

    review = Capability.REVIEW_CONCERNS
    return [
        Command(
            "report",
            report,
            params=(
                Param("message_link", required=False, max_length=300),
                Param("details", ParamType.TEXT, required=False, max_length=500),
            ),
            message_menu_key="safety.menu.report",
            discreet=True,
            private=True,
        ),
        Command(
            "list",
            list_,
            group="concern",
            params=(
                Param(
                    "concern_state",
                    ParamType.CHOICE,
                    required=False,
                    choices=tuple(s.value for s in Status),
                ),
            ),
            check=may_read,
            private=True,
        ),
        Command("show", show, group="concern", params=(CONCERN,), check=may_read, private=True),
        Command("ack", ack, group="concern", params=(CONCERN,), capability=review, private=True),
        Command(
            "dismiss",
            dismiss,
            group="concern",
            params=(
                CONCERN,
                Param("dismissal", ParamType.CHOICE, choices=DISMISSALS),
                Param("dismiss_note", ParamType.TEXT, required=False, max_length=300),
            ),
            capability=review,
            private=True,
        ),
        Command("case", case, group="concern", params=(CONCERN,), capability=review, private=True),
        Command(
            "escalate",
            escalate,
            group="concern",
            params=(CONCERN,),
            capability=review,
            private=True,
        ),
        Command(
            "reporter",
            reporter,
            group="concern",
            params=(CONCERN, Param("access_reason", ParamType.TEXT, max_length=300)),
            capability=review,
            private=True,
        ),
    ]
