"""Declarations of the `case` commands.

Every case command is private and discreet: its answers, prompts and errors go only to the
person who asked, and on Matrix the typed command line is removed from a shared room at
once, so no note, reason or case detail stays where members can read it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.capabilities import Capability
from bot.core.commands import Command, Param, ParamType
from bot.core.context import Context, PersonRef
from bot.core.replies import Reply
from bot.features.cases.model import ActionKind
from bot.features.cases.render import state_name
from bot.features.cases.service import CaseService
from bot.features.cases.states import SETTABLE, CaseState

GROUP = "case"
CASE = Param("case", ParamType.INTEGER, min_value=1)
KINDS = tuple(k.value for k in ActionKind)


def declare(service: CaseService) -> list[Command]:
    """Every case command."""

    async def show(ctx: Context, case: int) -> Reply:
        return Reply(await service.show(ctx, case), private=True)

    async def list_(ctx: Context, state: str | None, mine: bool | None) -> Reply:
        return Reply(await service.list(ctx, state, bool(mine)), private=True)

    async def note(ctx: Context, case: int, text: str) -> Reply:
        note_id = await service.note(ctx, case, text)
        return Reply(ctx.t("case.note.added", case=case, note=note_id), private=True)

    async def assign(ctx: Context, case: int, member: PersonRef) -> Reply:
        await service.assign(ctx, case, member)
        return Reply(ctx.t("case.assign.done", case=case, member=member.label), private=True)

    async def state(ctx: Context, case: int, state: str) -> Reply:
        await service.set_state(ctx, case, state)
        return Reply(
            ctx.t("case.state.done", case=case, state=state_name(ctx, state)), private=True
        )

    async def check_close(ctx: Context, case: int, outcome: str) -> None:
        await service.check_state(ctx, case, CaseState.CLOSED.value)

    async def close(ctx: Context, case: int, outcome: str) -> Reply:
        await service.set_state(ctx, case, CaseState.CLOSED.value, outcome)
        return Reply(ctx.t("case.close.done", case=case), private=True)

    async def check_reopen(ctx: Context, case: int, reason: str) -> None:
        await service.check_reopen(ctx, case)

    async def reopen(ctx: Context, case: int, reason: str) -> Reply:
        await service.reopen(ctx, case, reason)
        return Reply(ctx.t("case.reopen.done", case=case), private=True)

    async def link(ctx: Context, case: int, concern: int) -> Reply:
        await service.link(ctx, case, concern)
        return Reply(ctx.t("case.link.done", case=case, concern=concern), private=True)

    async def check_action(
        ctx: Context,
        case: int,
        kind: str,
        reason: str | None,
        duration: timedelta | None,
        concern: int | None,
        partner: str | None,
    ) -> None:
        await service.check_action(ctx, case, kind, reason, duration, concern, partner)

    async def action(
        ctx: Context,
        case: int,
        kind: str,
        reason: str | None,
        duration: timedelta | None,
        concern: int | None,
        partner: str | None,
    ) -> Reply:
        done, result = await service.act(ctx, case, kind, reason or "", duration, concern, partner)
        return Reply(
            ctx.t(
                "case.action.done",
                case=case,
                kind=ctx.t(f"choice.kind.{done.value}"),
                result=ctx.t(f"case.result.{result.value}"),
            ),
            private=True,
        )

    read, change = Capability.VIEW_CASES, Capability.MODERATE
    return [
        Command(
            "show", show, group=GROUP, params=(CASE,), capability=read, private=True, discreet=True
        ),
        Command(
            "list",
            list_,
            group=GROUP,
            capability=read,
            private=True,
            discreet=True,
            params=(
                Param(
                    "state",
                    ParamType.CHOICE,
                    choices=tuple(s.value for s in CaseState),
                    required=False,
                    option=True,
                ),
                Param("mine", ParamType.BOOLEAN, required=False, option=True, default=False),
            ),
        ),
        Command(
            "note",
            note,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(CASE, Param("text", ParamType.TEXT, max_length=2000)),
        ),
        Command(
            "assign",
            assign,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(CASE, Param("member", ParamType.MEMBER)),
        ),
        Command(
            "state",
            state,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(
                CASE,
                Param("state", ParamType.CHOICE, choices=tuple(s.value for s in SETTABLE)),
            ),
        ),
        Command(
            "close",
            close,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(CASE, Param("outcome", ParamType.TEXT, max_length=1000)),
            check=check_close,
            confirm_key="case.close.confirm",
        ),
        Command(
            "reopen",
            reopen,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(CASE, Param("reason", ParamType.TEXT, max_length=1000)),
            check=check_reopen,
            confirm_key="case.reopen.confirm",
        ),
        Command(
            "link",
            link,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(CASE, Param("concern", ParamType.INTEGER, min_value=1)),
        ),
        Command(
            "action",
            action,
            group=GROUP,
            capability=change,
            private=True,
            discreet=True,
            params=(
                CASE,
                Param("kind", ParamType.CHOICE, choices=KINDS),
                Param("reason", ParamType.STRING, required=False, option=True, max_length=500),
                Param("duration", ParamType.DURATION, required=False, option=True),
                Param("concern", ParamType.INTEGER, required=False, option=True, min_value=1),
                Param("partner", ParamType.STRING, required=False, option=True, max_length=100),
            ),
            check=check_action,
            confirm_key="case.action.confirm",
        ),
    ]
